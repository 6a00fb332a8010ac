"""Which layers get adapters: the attention projections of each architecture.

LoRA on the attention projections (query, key, value and output) is the usual choice:
few parameters, most of the gain. Architectures not in the table fall back to ``peft``'s
own table, then to the linear layers whose names look like attention projections.
"""

from __future__ import annotations

from typing import Any

from open_interpreter.errors import ConfigError

_BERT_LIKE = ["query", "key", "value", "attention.output.dense"]
_LLAMA_LIKE = ["q_proj", "k_proj", "v_proj", "o_proj"]
_BART_LIKE = ["q_proj", "k_proj", "v_proj", "out_proj"]
_T5_LIKE = ["q", "k", "v", "o"]

ATTENTION_PROJECTIONS: dict[str, list[str]] = {
    **dict.fromkeys(("bert", "roberta", "xlm-roberta", "electra", "camembert"), _BERT_LIKE),
    "distilbert": ["q_lin", "k_lin", "v_lin", "out_lin"],
    "deberta-v2": ["query_proj", "key_proj", "value_proj", "attention.output.dense"],
    **dict.fromkeys(
        ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "olmo"), _LLAMA_LIKE
    ),
    "phi": ["q_proj", "k_proj", "v_proj", "dense"],
    "gpt2": ["c_attn", "attn.c_proj"],
    "gpt_neox": ["query_key_value", "attention.dense"],
    **dict.fromkeys(("t5", "mt5"), _T5_LIKE),
    **dict.fromkeys(("bart", "mbart", "marian", "pegasus"), _BART_LIKE),
}
"""Adapter targets per ``model_type``: the attention projections, named as in the model."""

_ATTENTION_NAMES = frozenset(
    {"query", "key", "value", "q_proj", "k_proj", "v_proj", "o_proj", "q", "k", "v", "o"}
)


def default_target_modules(model: Any) -> list[str]:
    """Pick the layers to adapt for ``model``'s architecture.

    Args:
        model: A ``transformers`` model.

    Returns:
        Module-name suffixes, as ``peft``'s ``target_modules`` takes them.

    Raises:
        ConfigError: Nothing that looks like an attention projection was found; the
            message asks for ``peft.target_modules``.

    Example:
        >>> default_target_modules(bert_model)  # doctest: +SKIP
        ['query', 'key', 'value', 'attention.output.dense']
    """
    import torch
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type in ATTENTION_PROJECTIONS:
        return list(ATTENTION_PROJECTIONS[model_type])
    if model_type in TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING:
        return list(TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING[model_type])
    found = sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] in _ATTENTION_NAMES
        }
    )
    if not found:
        raise ConfigError(
            f"cannot tell which layers of {type(model).__name__} (model_type={model_type!r}) to "
            "adapt: set peft.target_modules, e.g. ['q_proj', 'v_proj'], or 'all-linear'"
        )
    return found
