"""Robust fine-tuning: add perturbed copies of the training split to it.

Set ``augment`` in :class:`~open_interpreter.config.FineTuneConfig`, e.g.
``fine_tune(..., augment={"perturbations": ["char-swap", "word-dropout"], "rate": 0.1,
"copies": 1})``. Each copy of each training example gets one perturbation drawn (seeded)
from the list; validation and test data are never touched. Synonym-like substitutions use
the embedding space of the model being fine-tuned (before training); entity swaps draw
from the entities of the training split itself.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

from open_interpreter.analysis.neighbours import EmbeddingNeighbours, EntityInventory
from open_interpreter.analysis.perturbations import (
    PerturbationResources,
    check_perturbations,
    perturb_examples,
)
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples

if TYPE_CHECKING:
    from open_interpreter.config import AugmentSettings

logger = logging.getLogger(__name__)


def augment_training_data(
    examples: Examples, settings: AugmentSettings, *, model: Any, tokenizer: Any, seed: int
) -> Examples:
    """Return ``examples`` followed by ``settings.copies`` perturbed copies of each.

    Args:
        examples: The training split.
        settings: Which perturbations, at what rate, how many copies.
        model: The model about to be fine-tuned (its embeddings give the neighbours).
        tokenizer: Its tokenizer.
        seed: The run's seed.

    Returns:
        The original examples first, then the copies, copy by copy; unchanged when
        ``settings.perturbations`` is empty.

    Raises:
        ConfigError: ``entity-swap`` asked for on text classification data.
    """
    names = list(settings.perturbations)
    if not names:
        return examples
    token_task = isinstance(examples, TokenExamples)
    check_perturbations(names, token_task=token_task)
    resources = PerturbationResources(
        neighbours=EmbeddingNeighbours.of_model(model, tokenizer)
        if "neighbour-substitution" in names
        else None,
        entities=EntityInventory.from_examples(examples) if "entity-swap" in names else None,
    )
    parts = [examples]
    for copy in range(settings.copies):
        rng = random.Random(f"{seed}/augment/{copy}")
        chosen = [rng.choice(names) for _ in range(len(examples))]
        parts.append(
            _perturbed_copy(examples, chosen, settings.rate, seed * 1_000 + copy, resources)
        )
    augmented = _concatenate(parts)
    logger.info(
        "augmented the training data (copies=%d; %s; rate %s): %d → %d examples",
        settings.copies,
        ", ".join(names),
        settings.rate,
        len(examples),
        len(augmented),
    )
    return augmented


def _perturbed_copy(
    examples: Examples,
    chosen: list[str],
    rate: float,
    seed: int,
    resources: PerturbationResources,
) -> Examples:
    """Perturb example ``i`` with ``chosen[i]``, keeping the examples' order."""
    pieces: list[Any] = [None] * len(examples)
    for name in sorted(set(chosen)):
        indices = [i for i, n in enumerate(chosen) if n == name]
        subset = perturb_examples(
            examples.subset(indices), name, rate=rate, seed=seed, resources=resources
        )
        for j, i in enumerate(indices):
            pieces[i] = subset.subset([j])
    return _concatenate(pieces) if pieces else examples.subset([])


def _concatenate(parts: list[Examples]) -> Examples:
    first = parts[0]
    if isinstance(first, TokenExamples):
        return TokenExamples(
            tokens=[t for p in parts for t in p.tokens],
            tags=[t for p in parts for t in p.tags],
            source=first.source,
        )
    return TextExamples(
        texts=[t for p in parts for t in p.texts],
        labels=[label for p in parts for label in p.labels],
        text_pairs=None if first.text_pairs is None else [t for p in parts for t in p.text_pairs],
        source=first.source,
    )
