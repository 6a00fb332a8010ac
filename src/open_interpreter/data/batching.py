"""Batches with as little padding as possible.

Training batches are drawn length-grouped: the shuffled data is cut into pools of 64
batches, each pool is sorted by length and cut into batches, and the batches are
shuffled again. Every batch is still a random draw of similar-length examples, and
padding — pure wasted compute on a CPU — mostly disappears. Evaluation batches are
simply sorted by length. Each batch is padded only to its own longest member.
"""

from __future__ import annotations

import random

import torch

from open_interpreter.data.encoding import IGNORE_INDEX, Feature

POOL_BATCHES = 64


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


def inference_batches(features: list[Feature], batch_size: int) -> list[list[int]]:
    """Return batches of feature indices sorted by length (longest first)."""
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def collate(batch: list[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest member and stack it into tensors.

    Args:
        batch: Features to stack.
        pad_id: The tokenizer's padding id.

    Returns:
        ``input_ids``, ``attention_mask``, and ``token_type_ids`` / ``labels`` when present.
    """
    width = max(len(f) for f in batch)
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
            label_width = max(len(f.labels) for f in batch)
            labels = torch.full((len(batch), label_width), IGNORE_INDEX, dtype=torch.long)
            for row, f in enumerate(batch):
                labels[row, : len(f.labels)] = torch.tensor(f.labels)
        else:
            labels = torch.tensor([f.labels for f in batch], dtype=torch.long)
        out["labels"] = labels
    return out
