"""QLoRA: load the base model in 4-bit (NF4, via bitsandbytes) and train LoRA on top.

4-bit loading needs a CUDA GPU and the ``bitsandbytes`` package; where either is
missing, :func:`check_qlora_available` says so in one sentence before anything is
loaded. Everything else about QLoRA is LoRA.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from open_interpreter.errors import QuantizationUnavailableError


def check_qlora_available() -> None:
    """Raise unless 4-bit loading can run here.

    Raises:
        QuantizationUnavailableError: No CUDA GPU, or ``bitsandbytes`` is not installed.
            The message says what to do instead (``peft.method=lora``).
    """
    import torch

    if not torch.cuda.is_available():
        raise QuantizationUnavailableError(
            "peft.method='qlora' loads the base model in 4-bit, which needs a CUDA GPU, and "
            "none is available here; use peft.method='lora' (same adapters, full-precision base)"
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise QuantizationUnavailableError(
            "peft.method='qlora' needs the bitsandbytes package: pip install bitsandbytes "
            "(or use peft.method='lora')"
        )


def four_bit_config() -> Any:
    """The QLoRA paper's settings: NF4 weights, double quantisation, bf16 computation."""
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def load_four_bit(path: Path, auto_class: str, labels: list[str] | None) -> Any:
    """Load the model in ``path`` in 4-bit through ``auto_class``, ready for LoRA training.

    Args:
        path: A resolved model directory.
        auto_class: e.g. ``"AutoModelForCausalLM"`` or ``"AutoModelForTokenClassification"``.
        labels: The task head's labels (classification), or None.

    Returns:
        The quantised model, prepared for k-bit training (norms in fp32, input gradients).

    Raises:
        QuantizationUnavailableError: No CUDA GPU or no bitsandbytes.
    """
    import transformers
    from peft import prepare_model_for_kbit_training

    from open_interpreter.models.loading import head_config, quiet_transformers

    check_qlora_available()
    with quiet_transformers():
        model = getattr(transformers, auto_class).from_pretrained(
            path, quantization_config=four_bit_config(), device_map={"": 0}, **head_config(labels)
        )
    return prepare_model_for_kbit_training(model)
