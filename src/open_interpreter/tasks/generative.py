"""Generative tasks: chat SFT for causal LMs, and input → output for seq2seq models.

Both learn from :class:`~open_interpreter.data.examples.ChatExamples` with the loss on
the answers only, and are scored by loss / perplexity on every example plus exact match,
token F1, BLEU and ROUGE on up to ``generation.eval_examples`` greedy answers.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.batching import collate, inference_batches
from open_interpreter.data.chat import exchanges
from open_interpreter.data.chat_encoding import (
    encode_chat,
    encode_seq2seq,
    ensure_chat_template,
    pack,
)
from open_interpreter.data.encoding import IGNORE_INDEX, Feature
from open_interpreter.data.examples import ChatExamples
from open_interpreter.errors import DataError, ModelStateError
from open_interpreter.evaluation.generation import GenerationReport, evaluate_generation
from open_interpreter.tasks.base import Task


def language_model_loss(
    model: Any, features: list[Feature], *, pad_id: int, batch_size: int
) -> float | None:
    """Mean loss per answer token over labelled features (teacher forcing, no gradients)."""
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    with torch.inference_mode():
        for batch in inference_batches(features, batch_size):
            batch_inputs = collate([features[i] for i in batch], pad_id)
            inputs = {k: v.to(device) for k, v in batch_inputs.items()}
            count = int((inputs["labels"] != IGNORE_INDEX).sum())
            total += float(model(**inputs).loss) * count
            tokens += count
    model.train(was_training)
    return total / tokens if tokens else None


class GenerativeTask(Task):
    """What causal-LM and seq2seq fine-tuning share: chat data, no labels, text out."""

    generative: ClassVar[bool] = True
    headline_metric: ClassVar[str] = "loss"  # always measured; the others need references

    def _check(self, examples: Any) -> ChatExamples:
        if not isinstance(examples, ChatExamples):
            raise DataError(
                f"{self.name} learns from conversations or prompt/response pairs, but "
                f"{examples.source} holds labelled {type(examples).__name__}"
            )
        return examples

    def check_labelled(self, examples: Any, name: str, config: FineTuneConfig) -> None:
        """Nothing to check: conversations carry their answers (reading them checks that)."""

    def label_set(self, examples: ChatExamples) -> list[str]:  # type: ignore[override]
        """Generative tasks have no label set: the answers are free text."""
        self._check(examples)
        return []

    def decode(self, examples: Any, features: Any, result: Any, id2label: Any) -> list[Any]:
        """Not used: generative models answer by generating text (``generate()``)."""
        raise ModelStateError(f"{self.name} models answer with generate(), not class scores")

    def check_model(self, model: Any) -> None:
        """Raise unless ``model`` can learn this task.

        Raises:
            ModelStateError: It has no language-modelling head, or the wrong shape.
        """
        config = model.config
        has_head = getattr(model, "get_output_embeddings", lambda: None)() is not None
        if not has_head or bool(config.is_encoder_decoder) != (self.name == "seq2seq"):
            wanted = "an encoder-decoder (T5, BART)" if self.name == "seq2seq" else "a decoder"
            raise ModelStateError(
                f"{self.name} needs {wanted} model with a language-modelling head, but the "
                f"loaded model is a {type(model).__name__} ({config.model_type})"
            )

    @abstractmethod
    def prompts_and_references(self, examples: ChatExamples) -> tuple[list[Any], list[str]]:
        """Split examples into what the model is asked and the answers it should give."""

    def score(
        self,
        examples: ChatExamples,
        predictions: list[str],
        labels: list[str],  # type: ignore[override]
        loss: float | None,
        split: str,
    ) -> GenerationReport:
        """Compare generated answers with the references of the first examples."""
        prompts, references = self.prompts_and_references(self._check(examples))
        shown = [p if isinstance(p, str) else p[-1]["content"] for p in prompts]
        count = len(predictions)
        return evaluate_generation(
            predictions,
            references[:count],
            task=self.name,
            loss=loss,
            num_examples=len(examples),
            split=split,
            prompts=shown[:count],
        )

    def evaluate_encoded(
        self,
        model: Any,
        tokenizer: Any,
        examples: Any,
        features: list[Feature],
        labels: list[str],
        *,
        config: FineTuneConfig,
        split: str,
    ) -> GenerationReport:
        """Loss on every example, and greedy answers for ``generation.eval_examples`` of them."""
        from open_interpreter.generation import generate_texts, prompt_texts

        loss = language_model_loss(
            model, features, pad_id=tokenizer.pad_token_id, batch_size=config.eval_batch_size
        )
        count = min(config.generation.eval_examples, len(examples))
        prompts, _ = self.prompts_and_references(self._check(examples).subset(list(range(count))))
        settings = config.generation.model_copy(update={"temperature": 0.0})
        encoder_decoder = bool(model.config.is_encoder_decoder)
        texts = prompt_texts(tokenizer, prompts, chat=None, encoder_decoder=encoder_decoder)
        step = config.eval_batch_size
        predictions = [
            answer
            for start in range(0, len(texts), step)
            for answer in generate_texts(model, tokenizer, texts[start : start + step], settings)
        ]
        return self.score(examples, predictions, labels, loss, split)


class CausalLMTask(GenerativeTask):
    """Chat supervised fine-tuning: learn the assistant's turns of conversations."""

    name: ClassVar[str] = "causal-lm"
    auto_class: ClassVar[str] = "AutoModelForCausalLM"

    def encode(
        self,
        tokenizer: Any,
        examples: ChatExamples,
        label2id: dict[str, int] | None,  # type: ignore[override]
        max_length: int,
    ) -> list[Feature]:
        """Render with the chat template; label the assistant's tokens only."""
        ensure_chat_template(tokenizer)
        return encode_chat(
            tokenizer, self._check(examples), max_length, labelled=label2id is not None
        )

    def training_features(self, features: list[Feature], config: FineTuneConfig) -> list[Feature]:
        """Pack short examples together when ``config.packing`` is on."""
        return pack(features, config.max_length) if config.packing else features

    def prompts_and_references(self, examples: ChatExamples) -> tuple[list[Any], list[str]]:
        """Each conversation up to its last answer, and that answer."""
        prompts, references = [], []
        for messages in examples.conversations:
            last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
            prompts.append(messages[:last])
            references.append(messages[last]["content"])
        return prompts, references


class Seq2SeqTask(GenerativeTask):
    """Learn to turn an input text into an output text (T5, BART families)."""

    name: ClassVar[str] = "seq2seq"
    auto_class: ClassVar[str] = "AutoModelForSeq2SeqLM"

    def encode(
        self,
        tokenizer: Any,
        examples: ChatExamples,
        label2id: dict[str, int] | None,  # type: ignore[override]
        max_length: int,
    ) -> list[Feature]:
        """Inputs as encoder ids, answers as decoder labels."""
        sources, targets = exchanges(self._check(examples))
        return encode_seq2seq(
            tokenizer, sources, targets if label2id is not None else None, max_length
        )

    def prompts_and_references(self, examples: ChatExamples) -> tuple[list[Any], list[str]]:
        """The input texts and their target texts."""
        sources, targets = exchanges(examples)
        return list(sources), targets
