"""The default search space of each task, and why each range is what it is.

The ranges come from the fine-tuning literature and from this project's own runs:

- ``learning_rate``, log-uniform: the one setting that matters most. BERT's authors
  searched 2e-5 to 5e-5 for base-sized models; small models such as MiniLM want more
  (the shipped minilm-l6 examples use 1e-4), so full fine-tuning searches 1e-5 to 3e-4.
  Adapters (LoRA) train few weights from zero and want about ten times more: 5e-5 to
  5e-3. Log-uniform, because 1e-5 to 1e-4 matters as much as 1e-4 to 1e-3.
- ``epochs``, 2 to 5 (integers): BERT's 2 to 4, plus one for small data sets; pruning
  stops bad trials after their first epochs, so the top of the range costs little.
- ``batch_size``, 8, 16 or 32: smaller batches give more, noisier steps, which helps
  small data sets; on a CPU wider batches add padding more than speed.
- ``warmup_ratio``, 0 to 0.2: warm-up steadies the first steps of a fresh head.
- ``weight_decay``, 0 to 0.1: the range AdamW fine-tuning recipes use.
- ``dropout``, 0 to 0.3 (encoders only): the models ship 0.1; small data may want more.
- ``peft.r`` 4 to 32 and ``peft.alpha`` 8 to 64 (LoRA only): the rank bounds the
  adapter's capacity; alpha / r scales its update.

Generative tasks (causal-LM, seq2seq) search a lower learning-rate range, 1 to 3 epochs
and batches of 4 to 16, and leave dropout as the model has it.
"""

from __future__ import annotations

from typing import Any

from open_interpreter.config import FineTuneConfig

_LORA_METHODS = ("lora", "qlora")


def default_space(task_name: str, base: FineTuneConfig) -> dict[str, Any]:
    """The default search space for ``task_name`` (as YAML would write it), adapted to
    ``base``: adapter settings when it trains a LoRA adapter.

    Args:
        task_name: The task the study trains (``token-classification``...).
        base: The configuration every trial starts from.

    Returns:
        A mapping for :func:`~open_interpreter.tuning.space.parse_space`.

    Example:
        >>> sorted(default_space("token-classification", FineTuneConfig()))
        ['batch_size', 'dropout', 'epochs', 'learning_rate', 'warmup_ratio', 'weight_decay']
    """
    generative = task_name in ("causal-lm", "seq2seq")
    adapter = base.peft is not None
    if adapter:
        learning_rate = {"low": 5.0e-5, "high": 5.0e-3, "log": True}
    elif generative:
        learning_rate = {"low": 5.0e-6, "high": 1.0e-4, "log": True}
    else:
        learning_rate = {"low": 1.0e-5, "high": 3.0e-4, "log": True}
    space: dict[str, Any] = {
        "learning_rate": learning_rate,
        "epochs": {"low": 1, "high": 3} if generative else {"low": 2, "high": 5},
        "batch_size": [4, 8, 16] if generative else [8, 16, 32],
        "warmup_ratio": {"low": 0.0, "high": 0.2},
        "weight_decay": {"low": 0.0, "high": 0.1},
    }
    if not generative:
        space["dropout"] = {"low": 0.0, "high": 0.3}
    if adapter and base.peft.method in _LORA_METHODS:
        space["peft.r"] = [4, 8, 16, 32]
        space["peft.alpha"] = [8, 16, 32, 64]
    return space


def task_metrics(task_name: str, base: FineTuneConfig) -> list[str]:
    """The validation metrics a ``task_name`` run measures each epoch (what a study may
    optimise)."""
    if task_name in ("causal-lm", "seq2seq"):
        answers = ["exact_match", "token_f1", "bleu", "rouge1", "rouge2", "rougeL"]
        return ["loss", "perplexity", *(answers if base.generation.eval_examples else [])]
    metrics = ["accuracy", "macro_f1", "loss"]
    if task_name == "token-classification":
        metrics += ["entity_f1", "entity_precision", "entity_recall"]
    return metrics
