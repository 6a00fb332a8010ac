"""Score continuations by their log-likelihood after each prompt, with a decoder-only LM.

For every prompt and every continuation (a verbalizer word), the score is the summed (or
mean) log-probability of the continuation's tokens given the prompt. The work is shared:

- the longest token prefix common to all prompts (the system message, the instruction,
  demonstrations shared by every input) runs once, and its ``past_key_values`` are reused;
- prompts run in batches, sorted by length and left-padded (to a multiple of 16 tokens,
  so that kernels built for one shape serve the next batches), so the last position of
  every row is the prompt's last token and only that position's logits are computed;
- a continuation's first token is read off those logits; only the continuations longer
  than one token run again, one after the other, on the batch's cache (cut back to the
  prompt after each, never copied).

Example:
    >>> score_continuations(model, tokenizer, ["2 + 2 ="], [" 4", " 5"])  # doctest: +SKIP
    array([[-0.9, -4.2]])
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from open_interpreter.config import Precision
from open_interpreter.errors import ConfigError, DataError

Reduce = Literal["sum", "mean"]

MIN_SHARED_PREFIX = 4
"""Fewer common tokens than this are not worth a separate forward pass."""

PAD_TO_MULTIPLE = 16
"""Batches are padded to a multiple of this many tokens: fewer distinct shapes, so the
CPU kernels built for one shape (oneDNN primitives) are reused by the next batches."""


def score_continuations(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    continuations: Sequence[str],
    *,
    reduce: Reduce = "sum",
    batch_size: int = 8,
    add_special_tokens: bool = False,
    precision: Precision = "auto",
) -> np.ndarray:
    """Log-likelihood of each continuation after each prompt.

    Args:
        model: A decoder-only causal LM (``...ForCausalLM``).
        tokenizer: Its tokenizer.
        prompts: The texts to continue (rendered with the chat template where one is used).
        continuations: The texts to score after every prompt, with any leading space.
        reduce: ``"sum"`` of the token log-probabilities, or their ``"mean"`` (which does
            not favour short continuations).
        batch_size: Prompts per forward pass.
        add_special_tokens: Whether the tokenizer adds its special tokens (BOS) to the
            prompts; False for text rendered by a chat template, which holds them.
        precision: ``auto`` computes in bf16 autocast where the hardware does bf16 natively
            (about 2.5x faster on such CPUs), ``fp32`` never, ``bf16`` always.

    Returns:
        ``[len(prompts), len(continuations)]`` log-likelihoods (float64).

    Raises:
        ConfigError: ``reduce`` or ``batch_size`` is invalid, or the model is not a
            decoder-only LM.
        DataError: A prompt or continuation is empty once tokenized.
    """
    import torch

    from open_interpreter.runtime import autocast, use_bf16

    if reduce not in ("sum", "mean"):
        raise ConfigError(f"reduce must be 'sum' or 'mean', got {reduce=}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size=}")
    if getattr(model.config, "is_encoder_decoder", False):
        raise ConfigError("scoring continuations needs a decoder-only language model")
    prompt_ids = _ids(tokenizer, prompts, add_special_tokens, "prompt")
    continuation_ids = _ids(tokenizer, continuations, False, "continuation")
    shared = _shared_prefix_length(prompt_ids)
    order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
    scores = np.zeros((len(prompt_ids), len(continuation_ids)))
    bf16 = use_bf16(precision, _device(model))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), autocast(_device(model), bf16):
            prefix = _run_prefix(model, prompt_ids[0][:shared]) if shared else None
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                suffixes = [prompt_ids[i][shared:] for i in rows]
                batch = _score_batch(model, tokenizer, prefix, shared, suffixes, continuation_ids)
                scores[rows] = batch.double().cpu().numpy()
    finally:
        model.train(was_training)
    if reduce == "mean":
        scores /= np.array([len(ids) for ids in continuation_ids], dtype=float)
    return scores


def _ids(tokenizer: Any, texts: Sequence[str], special: bool, what: str) -> list[list[int]]:
    if not texts:
        raise DataError(f"no {what}s to score")
    ids = tokenizer(list(texts), add_special_tokens=special)["input_ids"]
    for index, row in enumerate(ids):
        if not row:
            raise DataError(f"{what} {index} ({texts[index]!r}) is empty once tokenized")
    return [list(row) for row in ids]


def _shared_prefix_length(rows: list[list[int]]) -> int:
    """Tokens every row begins with, leaving each row at least one token of its own."""
    limit = min(len(row) for row in rows) - 1
    length = 0
    while length < limit and all(row[length] == rows[0][length] for row in rows):
        length += 1
    return length if length >= MIN_SHARED_PREFIX else 0


def _device(model: Any) -> Any:
    return next(model.parameters()).device


def _cache_argument(model: Any) -> str:
    """The forward argument that takes a KV cache: ``cache`` (transformers >= 5.2x) or the
    older ``past_key_values``."""
    import inspect

    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def _cache_of(output: Any) -> Any:
    cache = output.get("cache")
    return cache if cache is not None else output.get("past_key_values")


def _run_prefix(model: Any, ids: list[int]) -> Any:
    import torch

    inputs = torch.tensor([ids], device=_device(model))
    return _cache_of(model(input_ids=inputs, use_cache=True, logits_to_keep=1))


def _expanded(cache: Any, rows: int) -> Any:
    """A copy of a one-row cache repeated for ``rows`` rows (the original stays untouched)."""
    if cache is None:
        return None
    copied = copy.deepcopy(cache)
    copied.batch_repeat_interleave(rows)
    return copied


def _score_batch(
    model: Any,
    tokenizer: Any,
    prefix: Any,
    shared: int,
    suffixes: list[list[int]],
    continuations: list[list[int]],
) -> Any:
    """Summed log-probabilities ``[rows, continuations]`` for one batch of prompt suffixes."""
    import torch

    device = _device(model)
    rows, longest = len(suffixes), max(len(s) for s in suffixes)
    width = -(-longest // PAD_TO_MULTIPLE) * PAD_TO_MULTIPLE
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((rows, width), pad, dtype=torch.long, device=device)
    mask = torch.zeros((rows, shared + width), dtype=torch.long, device=device)
    positions = torch.full((rows, width), shared, dtype=torch.long, device=device)
    lengths = torch.tensor([len(s) for s in suffixes], device=device)
    for row, suffix in enumerate(suffixes):  # left padding: every row ends at the last column
        ids[row, width - len(suffix) :] = torch.tensor(suffix, device=device)
        mask[row, :shared] = 1
        mask[row, shared + width - len(suffix) :] = 1
        positions[row, width - len(suffix) :] = torch.arange(shared, shared + len(suffix))
    out = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
        **{_cache_argument(model): _expanded(prefix, rows)},
    )
    next_token = out.logits[:, -1].float().log_softmax(-1)
    scores = next_token[:, [c[0] for c in continuations]]
    longer = [j for j, c in enumerate(continuations) if len(c) > 1]
    if longer:
        tails = [continuations[j] for j in longer]
        ends = shared + lengths
        scores[:, longer] += _tail_scores(model, _cache_of(out), mask, ends, tails)
    return scores


def _tail_scores(
    model: Any, cache: Any, mask: Any, ends: Any, continuations: list[list[int]]
) -> Any:
    """Log-probabilities of the 2nd, 3rd... tokens of each continuation after each row.

    One continuation at a time runs on the batch's cache, which is cut back to the prompt
    after each: no copy of the cache per continuation.

    Returns:
        ``[rows, len(continuations)]`` summed log-probabilities.
    """
    import torch

    rows, device = mask.shape[0], mask.device
    columns = []
    for ids in continuations:
        steps = len(ids) - 1
        inputs = torch.tensor(ids[:-1], device=device).expand(rows, steps)
        targets = torch.tensor(ids[1:], device=device).expand(rows, steps)
        out = model(
            input_ids=inputs,
            attention_mask=torch.cat([mask, mask.new_ones((rows, steps))], 1),
            position_ids=ends[:, None] + torch.arange(steps, device=device),
            use_cache=True,
            **{_cache_argument(model): cache},
        )
        logprobs = out.logits.float().log_softmax(-1)
        columns.append(logprobs.gather(-1, targets[..., None]).squeeze(-1).sum(-1))
        cache.crop(-steps)  # a negative count removes that many tokens, in every 5.x
    return torch.stack(columns, dim=1)
