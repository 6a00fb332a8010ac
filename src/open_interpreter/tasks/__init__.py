"""Tasks: how each kind of problem is encoded, predicted and scored."""

from __future__ import annotations

from typing import Any

from open_interpreter.data.examples import ChatExamples, Examples, TextExamples
from open_interpreter.errors import ConfigError
from open_interpreter.tasks.base import Task
from open_interpreter.tasks.generative import CausalLMTask, GenerativeTask, Seq2SeqTask
from open_interpreter.tasks.sequence_classification import (
    LabelPrediction,
    SentencePairTask,
    SequenceClassificationTask,
)
from open_interpreter.tasks.token_classification import (
    Entity,
    TokenClassificationTask,
    TokenPrediction,
)

TASKS: dict[str, type[Task]] = {
    task.name: task
    for task in (
        SequenceClassificationTask,
        SentencePairTask,
        TokenClassificationTask,
        CausalLMTask,
        Seq2SeqTask,
    )
}


def get_task(name: str) -> Task:
    """Return the task called ``name``.

    Raises:
        ConfigError: No such task.
    """
    try:
        return TASKS[name]()
    except KeyError:
        raise ConfigError(f"unknown task {name!r}; choose one of {sorted(TASKS)}") from None


def infer_task(examples: Examples, model: Any = None) -> Task:
    """Decide the task from the data: tag lists → token classification, pairs → sentence pair,
    conversations → causal-LM fine-tuning (seq2seq when ``model`` is an encoder-decoder)."""
    if isinstance(examples, ChatExamples):
        encoder_decoder = getattr(getattr(model, "config", None), "is_encoder_decoder", False)
        return Seq2SeqTask() if encoder_decoder else CausalLMTask()
    if isinstance(examples, TextExamples):
        return (
            SentencePairTask() if examples.text_pairs is not None else SequenceClassificationTask()
        )
    return TokenClassificationTask()


def language_task(model: Any) -> Task:
    """The generative task a pretrained language model does as it is loaded: seq2seq for an
    encoder-decoder, causal-LM otherwise.

    Raises:
        ModelStateError: The model cannot generate text (an encoder or a classifier).
    """
    encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
    task = Seq2SeqTask() if encoder_decoder else CausalLMTask()
    task.check_model(model)
    return task


__all__ = [
    "TASKS",
    "CausalLMTask",
    "Entity",
    "GenerativeTask",
    "LabelPrediction",
    "SentencePairTask",
    "Seq2SeqTask",
    "SequenceClassificationTask",
    "Task",
    "TokenClassificationTask",
    "TokenPrediction",
    "get_task",
    "infer_task",
    "language_task",
]
