"""Penalties that keep a continued model near what earlier tasks needed: EWC (Kirkpatrick
et al. 2017) with a diagonal Fisher, and L2-SP (Li et al. 2018) toward the previous weights.

Both are plain functions of the model, plugged into the training loop's ``penalty`` hook.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from open_interpreter.data.batching import collate
from open_interpreter.data.encoding import Feature
from open_interpreter.runtime import pick_device

Weights = dict[str, torch.Tensor]


def snapshot(model: torch.nn.Module) -> Weights:
    """A detached copy of the model's trainable weights (the anchor θ*), on the CPU."""
    return {
        name: p.detach().to("cpu", copy=True)
        for name, p in model.named_parameters()
        if p.requires_grad
    }


def diagonal_fisher(
    model: torch.nn.Module, features: list[Feature], *, pad_id: int, batch_size: int
) -> Weights:
    """Estimate the diagonal of the empirical Fisher information of ``model`` on labelled
    ``features``: the mean over batches of the squared gradient of the mean loss, scaled
    by the batch size (so it does not shrink with bigger batches).

    Returns:
        Per trainable weight, a tensor of its shape (on the CPU).
    """
    device = pick_device()
    model.to(device)
    was_training = model.training
    model.eval()  # no dropout: the Fisher of the model as it predicts
    fisher = {
        n: torch.zeros_like(p, device="cpu") for n, p in model.named_parameters() if p.requires_grad
    }
    batches = max(1, math.ceil(len(features) / batch_size))
    for start in range(0, len(features), batch_size):
        batch = features[start : start + batch_size]
        inputs = {k: v.to(device) for k, v in collate(batch, pad_id).items()}
        model.zero_grad(set_to_none=True)
        model(**inputs).loss.backward()
        for name, p in model.named_parameters():
            if p.grad is not None and name in fisher:
                fisher[name] += (p.grad.detach() ** 2).cpu() * len(batch)
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return {name: f / (batches * batch_size) for name, f in fisher.items()}


def fitted(weights: Weights, model: torch.nn.Module) -> Weights:
    """``weights`` shaped like the model's: a grown head's new rows get zeros (no Fisher,
    no anchor pull yet); weights the model lacks are dropped."""
    out = {}
    for name, p in model.named_parameters():
        old = weights.get(name)
        if old is None or old.dim() != p.dim():
            continue
        if old.shape == p.shape:
            out[name] = old
        elif old.shape[1:] == p.shape[1:] and old.shape[0] < p.shape[0]:
            grown = torch.zeros(p.shape, dtype=old.dtype)
            grown[: old.shape[0]] = old
            out[name] = grown
    return out


def ewc_penalty(fisher: Weights, anchor: Weights, strength: float) -> Any:
    """λ/2 · Σ F (θ − θ*)² over the weights with a Fisher estimate."""
    moved: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def penalty(model: torch.nn.Module) -> torch.Tensor:
        total = torch.zeros((), device=next(model.parameters()).device)
        for name, p in model.named_parameters():
            if name not in fisher or not p.requires_grad:
                continue
            if name not in moved or moved[name][0].device != p.device:
                moved[name] = (fisher[name].to(p.device), anchor[name].to(p.device))
            f, theta = moved[name]
            total = total + (f * (p - theta) ** 2).sum()
        return strength / 2 * total

    return penalty


def l2sp_penalty(anchor: Weights, strength: float) -> Any:
    """α/2 · ‖θ − θ_previous‖² over the weights the previous version had (new head rows
    are pulled toward zero, as weight decay would)."""
    moved: dict[str, torch.Tensor] = {}

    def penalty(model: torch.nn.Module) -> torch.Tensor:
        total = torch.zeros((), device=next(model.parameters()).device)
        for name, p in model.named_parameters():
            if name not in anchor or not p.requires_grad:
                continue
            if name not in moved or moved[name].device != p.device:
                moved[name] = anchor[name].to(p.device)
            total = total + ((p - moved[name]) ** 2).sum()
        return strength / 2 * total

    return penalty
