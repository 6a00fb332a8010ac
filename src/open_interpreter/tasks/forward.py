"""Run a model over encoded features in length-sorted batches, without gradients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from open_interpreter.data.batching import collate, inference_batches
from open_interpreter.data.encoding import Feature
from open_interpreter.progress import tracked

if TYPE_CHECKING:  # torch loads only when a model runs: results stay torch-free
    import torch

CPU_BATCH_SIZE = 16
"""Most features per forward pass on a CPU. A CPU gains little from wide batches, and a
small set of mixed lengths (a server's batch of requests) sorted into one wide batch is
mostly padding: 64 requests of CoNLL-2003 sentences were tagged at 248 texts/s in one
batch of 64 and at 572 texts/s in four of 16. On the whole sorted dev set both give about
860 sentences/s."""


@dataclass
class ForwardResult:
    """Class probabilities for each feature, in the features' order, and the mean loss.

    Attributes:
        probabilities: Per feature, ``[num_labels]`` (sequence tasks) or
            ``[length, num_labels]`` (token tasks) float32 arrays.
        loss: Mean loss over labelled features, or None when unlabelled.
    """

    probabilities: list[np.ndarray]
    loss: float | None


def forward(
    model: torch.nn.Module,
    features: list[Feature],
    *,
    pad_id: int,
    batch_size: int = 64,
    device: torch.device | None = None,
    precision: str = "fp32",
) -> ForwardResult:
    """Compute probabilities for every feature; sorted batches keep padding small.

    Args:
        model: A Hugging Face model with a classification head.
        features: Encoded inputs (with labels for a loss).
        pad_id: The tokenizer's padding id.
        batch_size: Features per forward pass (at most :data:`CPU_BATCH_SIZE` on a CPU).
        device: Where to run; the model's own device by default.
        precision: ``auto`` runs in bf16 autocast where the hardware computes bf16
            natively (about twice as fast on such CPUs), ``fp32`` never does.

    Returns:
        The probabilities and mean loss.
    """
    import torch

    from open_interpreter.runtime import autocast, cpu_attention, use_bf16

    device = device or next(model.parameters()).device
    if device.type == "cpu":
        batch_size = min(batch_size, CPU_BATCH_SIZE)
    bf16 = use_bf16(precision, device)
    was_training = model.training
    model.eval()
    probabilities: list[np.ndarray | None] = [None] * len(features)
    loss_sum, loss_weight = 0.0, 0
    longest = max((len(f) for f in features), default=0)
    with torch.inference_mode(), cpu_attention(model, device, longest):
        for batch in tracked(inference_batches(features, batch_size)):  # a bar if announced
            inputs = collate([features[i] for i in batch], pad_id)
            inputs = {k: v.to(device) for k, v in inputs.items()}
            with autocast(device, bf16):
                out = model(**inputs)
            # Weigh each batch's mean loss by its labelled examples (tokens); labels the
            # model has no output for are -100, and a batch of only those has no loss.
            weight = int((inputs["labels"] != -100).sum()) if "labels" in inputs else 0
            if out.loss is not None and weight:
                loss_sum += float(out.loss) * weight
                loss_weight += weight
            probs = torch.softmax(out.logits.float(), dim=-1).cpu().numpy()
            for row, i in enumerate(batch):
                probabilities[i] = probs[row, : len(features[i])] if probs.ndim == 3 else probs[row]
    model.train(was_training)
    loss = loss_sum / loss_weight if loss_weight else None
    return ForwardResult(probabilities=probabilities, loss=loss)  # type: ignore[arg-type]
