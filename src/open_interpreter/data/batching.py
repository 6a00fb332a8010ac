"""Batches with as little padding as possible.

Training batches are drawn length-grouped: the shuffled data is cut into pools of 64
batches, each pool is sorted by length and cut into batches, and the batches are
shuffled again. Every batch is still a random draw of similar-length examples, and
padding — pure wasted compute on a CPU — mostly disappears. Evaluation batches are
simply sorted by length. Each batch is padded only to its own longest member.

A model's loss is the mean over its batch's labelled tokens, so in a batch of short
sentences each token weighs more than in a batch of long ones; grouping makes such
batches common. :func:`token_weight` gives the factor that makes every labelled token
count the same, as it does (on average) in randomly drawn batches.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from open_interpreter.data.encoding import IGNORE_INDEX, Feature

if TYPE_CHECKING:  # torch loads only when a batch is stacked: decoding stays torch-free
    import torch

POOL_BATCHES = 64
TRAINING_WIDTH_MULTIPLE = 8
"""Training batches are padded to a multiple of 8 sub-words. Every new batch shape makes
the CPU's bf16 kernels (oneDNN) build and cache new code and buffers, and the heap
fragments around them: with widths of any length the process grew by 0.8 GB over one
CoNLL-2003 epoch (peak 1.70 GB); with multiples of 8 it peaked at 1.33 GB, for 157
against 163 samples/s."""


def training_batches(
    features: list[Feature],
    batch_size: int,
    *,
    seed: int,
    epoch: int,
    group_by_length: bool = True,
) -> list[list[int]]:
    """Return the batches (lists of feature indices) of one training epoch.

    The order depends only on ``seed`` and ``epoch``, so a resumed run replays it.

    Args:
        features: The encoded training set.
        batch_size: Features per batch.
        seed: Run seed.
        epoch: Epoch number (0-based).
        group_by_length: Put features of similar length in the same batch.

    Returns:
        The epoch's batches in the order they are to be used.
    """
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(features)))
    rng.shuffle(order)
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    pool = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(features[i]), reverse=True)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def labelled_tokens(features: list[Feature]) -> int:
    """Labelled tokens (labels other than ``-100``) in ``features``; 0 for one-label examples."""
    return sum(
        sum(label != IGNORE_INDEX for label in f.labels)
        for f in features
        if isinstance(f.labels, list)
    )


def token_weight(labels: torch.Tensor | None, mean_tokens: float) -> float:
    """The factor for a batch's mean loss that weighs each of its labelled tokens alike.

    Args:
        labels: The collated batch's labels (see :func:`collate`).
        mean_tokens: Labelled tokens in an average batch of the epoch.

    Returns:
        ``labelled tokens in the batch / mean_tokens``; 1.0 when examples carry one label
        each (or none).
    """
    if labels is None or labels.dim() < 2 or not mean_tokens:
        return 1.0
    tokens = int((labels != IGNORE_INDEX).sum())
    return tokens / mean_tokens if tokens else 1.0


def inference_batches(features: list[Feature], batch_size: int) -> list[list[int]]:
    """Return batches of feature indices sorted by length (longest first)."""
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def collate(batch: list[Feature], pad_id: int, multiple_of: int = 1) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest member and stack it into tensors.

    Args:
        batch: Features to stack.
        pad_id: The tokenizer's padding id.
        multiple_of: Round the padded width up to a multiple of this. Training uses 8
            (:data:`TRAINING_WIDTH_MULTIPLE`).

    Returns:
        ``input_ids``, ``attention_mask``, and ``token_type_ids`` / ``labels`` when present.
    """
    import torch

    width = _round_up(max(len(f) for f in batch), multiple_of)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, f in enumerate(batch):
        ids[row, : len(f)] = torch.tensor(f.input_ids)
        mask[row, : len(f)] = 1
    out = {"input_ids": ids, "attention_mask": mask}
    if batch[0].token_type_ids is not None:
        types = torch.zeros((len(batch), width), dtype=torch.long)
        for row, f in enumerate(batch):
            types[row, : len(f)] = torch.tensor(f.token_type_ids)
        out["token_type_ids"] = types
    if batch[0].labels is not None:
        if isinstance(batch[0].labels, list):
            # Per-token labels; a seq2seq target has its own length, padded separately.
            label_width = _round_up(max(len(f.labels) for f in batch), multiple_of)
            labels = torch.full((len(batch), label_width), IGNORE_INDEX, dtype=torch.long)
            for row, f in enumerate(batch):
                labels[row, : len(f.labels)] = torch.tensor(f.labels)
        else:
            labels = torch.tensor([f.labels for f in batch], dtype=torch.long)
        out["labels"] = labels
    return out


def _round_up(width: int, multiple_of: int) -> int:
    return -(-width // multiple_of) * multiple_of
