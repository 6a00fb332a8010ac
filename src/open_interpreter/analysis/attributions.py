"""Word attributions: how much each word of an input pushes the model toward its target.

Three methods, each giving one score per word (sub-word scores are put back together):

- ``integrated-gradients``: gradients of the target probability integrated along a straight
  path from a blank input (every word's sub-words replaced by the blank token, special
  tokens kept) to the real one, over the word embeddings (Captum's
  ``LayerIntegratedGradients``). Signed; the scores of a text sum to about
  p(target | text) - p(target | blank text).
- ``occlusion``: the drop in target probability when one word is blanked out (Captum's
  ``FeatureAblation`` with one feature per word). Signed; needs nothing but the model's
  outputs, so it works for any model.
- ``attention-rollout``: attention weights averaged over heads, mixed with the identity
  (the residual stream) and multiplied through the layers (Abnar & Zuidema, 2020), read
  at the first token (classification) or at the entity's sub-words (NER). Non-negative, and
  the same for every label: it shows where the model looks, not what it concludes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from open_interpreter.analysis.encoding import WordEncoding
from open_interpreter.analysis.scoring import Target, model_device, model_logits
from open_interpreter.errors import ConfigError

METHODS = ("integrated-gradients", "occlusion", "attention-rollout")
ALIASES = {
    "ig": "integrated-gradients",
    "integrated_gradients": "integrated-gradients",
    "attention": "attention-rollout",
    "rollout": "attention-rollout",
}


def method_name(method: str) -> str:
    """Return the canonical name of an attribution method (``ig`` → ``integrated-gradients``).

    Raises:
        ConfigError: No such method.
    """
    name = ALIASES.get(str(method).lower(), str(method).lower())
    if name not in METHODS:
        raise ConfigError(
            f"unknown attribution method {method!r}; choose one of {list(METHODS)} "
            f"(or the short names {sorted(ALIASES)})"
        )
    return name


def word_scores(
    model: torch.nn.Module,
    encoding: WordEncoding,
    target: Target,
    method: str,
    *,
    blank_id: int,
    steps: int = 32,
) -> list[float]:
    """Score every word of ``encoding`` for ``target`` with ``method``.

    Args:
        model: A classification or token-classification model (in eval mode).
        encoding: The input.
        target: What to explain.
        method: One of :data:`METHODS` (or an alias).
        blank_id: The token that stands in for a removed sub-word.
        steps: Integration steps of integrated gradients.

    Returns:
        One score per word; words cut off by truncation score 0.

    Raises:
        ConfigError: Unknown method, or attention rollout on a model without attentions.
    """
    method = method_name(method)
    if method == "occlusion":
        return _occlusion(model, encoding, target, blank_id)
    if method == "integrated-gradients":
        per_subword = _integrated_gradients(model, encoding, target, blank_id, steps)
    else:
        per_subword = _attention_rollout(model, encoding, target)
    return _sum_per_word(encoding, per_subword)


def _sum_per_word(encoding: WordEncoding, per_subword: np.ndarray) -> list[float]:
    scores = np.zeros(len(encoding.words), dtype=np.float64)
    for position, word in enumerate(encoding.word_ids):
        if word is not None:
            scores[word] += float(per_subword[position])
    return [float(s) for s in scores]


def _target_function(model: torch.nn.Module, encoding: WordEncoding, target: Target) -> Any:
    def probability(input_ids: torch.Tensor) -> torch.Tensor:
        return target.probability(model_logits(model, encoding, input_ids).logits)

    return probability


def _integrated_gradients(
    model: torch.nn.Module, encoding: WordEncoding, target: Target, blank_id: int, steps: int
) -> np.ndarray:
    from captum.attr import LayerIntegratedGradients

    device = model_device(model)
    ids = torch.tensor([encoding.input_ids], device=device)
    kept = zip(encoding.input_ids, encoding.word_ids, strict=True)
    baseline = torch.tensor([[t if w is None else blank_id for t, w in kept]], device=device)
    method = LayerIntegratedGradients(
        _target_function(model, encoding, target), model.get_input_embeddings()
    )
    attributions = method.attribute(
        ids, baselines=baseline, n_steps=steps, internal_batch_size=min(steps, 16)
    )
    return attributions.sum(dim=-1)[0].detach().float().cpu().numpy()


def _occlusion(
    model: torch.nn.Module, encoding: WordEncoding, target: Target, blank_id: int
) -> list[float]:
    from captum.attr import FeatureAblation

    present = [w for w in encoding.word_ids if w is not None]
    specials = (max(present) + 1) if present else 0
    groups = [specials if w is None else w for w in encoding.word_ids]
    device = model_device(model)
    ids = torch.tensor([encoding.input_ids], device=device)
    mask = torch.tensor([groups], device=device)
    with torch.inference_mode():
        attributions = FeatureAblation(_target_function(model, encoding, target)).attribute(
            ids, baselines=blank_id, feature_mask=mask, perturbations_per_eval=16
        )
    per_position = attributions[0].float().cpu().numpy()
    scores = [0.0] * len(encoding.words)
    for position, word in enumerate(encoding.word_ids):
        if word is not None:
            scores[word] = float(per_position[position])
    return scores


@contextlib.contextmanager
def _eager_attention(model: torch.nn.Module) -> Iterator[None]:
    """Use the eager attention kernel inside the block: fused kernels return no weights."""
    before = getattr(getattr(model, "config", None), "_attn_implementation", None)
    switch = before not in (None, "eager") and hasattr(model, "set_attn_implementation")
    if switch:
        model.set_attn_implementation("eager")
    try:
        yield
    finally:
        if switch:
            model.set_attn_implementation(before)


def _attention_rollout(
    model: torch.nn.Module, encoding: WordEncoding, target: Target
) -> np.ndarray:
    ids = torch.tensor([encoding.input_ids], device=model_device(model))
    with _eager_attention(model), torch.inference_mode():
        attentions = model_logits(model, encoding, ids, output_attentions=True).attentions
    if not attentions:
        raise ConfigError(
            f"attention-rollout needs attention weights, and {type(model).__name__} returns "
            "none; use integrated-gradients or occlusion"
        )
    length = ids.shape[1]
    identity = torch.eye(length, device=ids.device)
    rollout = identity
    for layer in attentions:
        mixed = 0.5 * layer[0].float().mean(dim=0) + 0.5 * identity
        rollout = (mixed / mixed.sum(dim=-1, keepdim=True)) @ rollout
    rows = target.positions if target.positions is not None else [0]
    return rollout[rows].mean(dim=0).cpu().numpy()
