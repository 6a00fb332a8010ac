"""Where and how models compute: device, precision (bf16 where native), threads and seeds."""

from __future__ import annotations

import contextlib
import functools
import logging
import random
from collections.abc import Iterator

import numpy as np
import torch

logger = logging.getLogger(__name__)


def pick_device() -> torch.device:
    """The first CUDA device when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX), so autocast pays."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def use_bf16(precision: str, device: torch.device) -> bool:
    """Resolve ``precision`` ('auto', 'bf16', 'fp32') to whether bf16 autocast is on."""
    if precision == "fp32":
        return False
    supported = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_native_bf16()
    if precision == "bf16" and not supported:
        logger.warning(
            "precision=bf16 asked for, but %s has no native bf16: it will be slow", device
        )
        return True
    return supported if precision == "auto" else True


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on ``device`` when ``enabled``, else a no-op context."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that two runs with one seed agree."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Use ``num_threads`` intra-op threads inside the block (unchanged when None)."""
    if num_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


EAGER_ATTENTION_UP_TO = 256
"""Longest input (in sub-words) for which CPU runs use the plain attention; see below."""


@contextlib.contextmanager
def cpu_attention(model: torch.nn.Module, device: torch.device, longest: int) -> Iterator[None]:
    """Run ``model`` with the plain ("eager") attention on a CPU for short inputs.

    PyTorch's fused attention kernel for CPUs is slow for the short sequences of
    classification and NER data, its backward pass most of all. Measured on minilm-l6 in
    bf16 autocast, batches without padding: a training step on 16 × 32 sub-words took 71 ms
    with plain attention against 126 ms fused (16 × 256: 570 against 796 ms); a forward
    pass on 64 × 128, 352 against 429 ms. (With padding, which takes PyTorch off its fused
    kernel, both measured the same.) Plain attention keeps the whole score matrix, so
    inputs longer than :data:`EAGER_ATTENTION_UP_TO` keep the fused kernel, and so do GPUs.

    Args:
        model: A Hugging Face model (or a PEFT model around one).
        device: Where it runs.
        longest: The longest input it will see inside the block.
    """
    config = getattr(model, "config", None)
    current = getattr(config, "_attn_implementation", None)
    switch = (
        device.type == "cpu"
        and current == "sdpa"
        and longest <= EAGER_ATTENTION_UP_TO
        and hasattr(model, "set_attn_implementation")
    )
    if not switch:
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(current)
