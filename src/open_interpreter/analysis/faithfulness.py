"""Do the attributions mean something? Deletion and insertion curves, and their AOPC.

For each explanation, words are removed (blanked out) in the order of their scores, most
important first, and the target probability is read after each step: a faithful method
makes it fall fast (*deletion*). Conversely, starting from a blank input and putting the
words back most important first should make it rise fast (*insertion*). Each curve is
read at ``steps`` evenly spaced fractions of the words, and summarised by its AOPC (area
over the perturbation curve, Samek et al. 2017):

- deletion AOPC  = mean over fractions f > 0 of  p(text) − p(text without the top f)
- insertion AOPC = mean over fractions f > 0 of  p(only the top f) − p(blank text)

Higher is better for both. A random word order, averaged over a few seeded draws, is
the floor a method has to clear.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from open_interpreter.analysis.attributions import METHODS, method_name, word_scores
from open_interpreter.analysis.encoding import WordEncoding, encode_text, encode_tokens
from open_interpreter.analysis.explanation import entity_targets, label_target
from open_interpreter.analysis.render import table_markdown
from open_interpreter.analysis.scoring import Target, blank_token_id, blanked, target_probabilities
from open_interpreter.data.examples import TextExamples
from open_interpreter.errors import DataError

if TYPE_CHECKING:
    from open_interpreter.bundle import ModelBundle

RANDOM = "random"

logger = logging.getLogger(__name__)


@dataclass
class MethodFaithfulness:
    """How faithful one method's word order is, averaged over the explanations.

    Attributes:
        method: The attribution method, or ``random``.
        deletion_aopc: Mean probability lost while removing the top words (higher is better).
        insertion_aopc: Mean probability gained while inserting the top words (higher is better).
        deletion_curve: Mean target probability after removing each fraction of the words.
        insertion_curve: Mean target probability with only each fraction of the words.
    """

    method: str
    deletion_aopc: float
    insertion_aopc: float
    deletion_curve: list[float]
    insertion_curve: list[float]


@dataclass
class FaithfulnessReport:
    """Deletion/insertion AOPC per attribution method, with the random baseline.

    Attributes:
        task: The model's task.
        explanations: How many decisions were explained (texts, or entities for NER).
        fractions: The fractions of words at which the curves were read.
        methods: One entry per method, ``random`` last.
        seed: Seed of the random orders.
    """

    task: str
    explanations: int
    fractions: list[float]
    methods: list[MethodFaithfulness]
    seed: int

    def method(self, name: str) -> MethodFaithfulness:
        """Return the entry of method ``name`` (``random`` for the baseline)."""
        wanted = name if name == RANDOM else method_name(name)
        return next(m for m in self.methods if m.method == wanted)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON values."""
        return asdict(self)

    def to_markdown(self) -> str:
        """A Markdown table: AOPC per method and its margin over random."""
        floor = self.method(RANDOM)
        rows = [
            (
                m.method,
                f"{m.deletion_aopc:.3f}",
                f"{m.deletion_aopc - floor.deletion_aopc:+.3f}" if m is not floor else "–",
                f"{m.insertion_aopc:.3f}",
                f"{m.insertion_aopc - floor.insertion_aopc:+.3f}" if m is not floor else "–",
            )
            for m in self.methods
        ]
        header = ("method", "deletion AOPC", "vs random", "insertion AOPC", "vs random")
        return (
            f"Faithfulness over {self.explanations} explanations ({self.task}), curves read at "
            f"{len(self.fractions) - 1} steps; higher is better.\n\n" + table_markdown(header, rows)
        )


def faithfulness(
    bundle: ModelBundle,
    data: Any,
    labels: Any = None,
    *,
    methods: Sequence[str] = METHODS,
    limit: int = 50,
    steps: int = 10,
    random_orders: int = 3,
    seed: int = 0,
    ig_steps: int = 32,
) -> FaithfulnessReport:
    """Measure how faithful each attribution method is on ``data``; see the module docs.

    Args:
        bundle: A model with its trained head.
        data: Texts or token lists in any form ``fine_tune`` accepts (labels are not needed:
            the model's own predictions are explained).
        labels: Their labels, if ``data`` needs them to be read; unused otherwise.
        methods: Attribution methods to compare.
        limit: Explanations to average over (texts, or predicted entities for NER).
        steps: Points on each curve after the start.
        random_orders: Random orders averaged for the baseline.
        seed: Seed of the random orders.
        ig_steps: Integration steps of integrated gradients.

    Returns:
        Per method (and random), deletion and insertion AOPC and the mean curves.

    Raises:
        ConfigError: An unknown method.
        DataError: ``data`` holds nothing to explain.
    """
    from open_interpreter.data.inputs import to_examples

    names = [method_name(m) for m in methods]
    examples = to_examples(data, labels, source="faithfulness data")
    model, blank = bundle.model, blank_token_id(bundle.tokenizer)
    model.eval()
    fractions = [i / steps for i in range(steps + 1)]
    rng = np.random.default_rng(seed)
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {n: [] for n in [*names, RANDOM]}
    for encoding, target in _decisions(bundle, examples, limit):
        present = sorted({w for w in encoding.word_ids if w is not None})
        for name in names:
            scores = word_scores(model, encoding, target, name, blank_id=blank, steps=ig_steps)
            order = sorted(present, key=lambda w: (-scores[w], w))
            curves[name].append(_curves(model, encoding, target, order, fractions, blank))
        draws = [
            _curves(model, encoding, target, list(rng.permutation(present)), fractions, blank)
            for _ in range(random_orders)
        ]
        curves[RANDOM].append(tuple(np.mean([d[i] for d in draws], axis=0) for i in (0, 1)))
    count = len(curves[RANDOM])
    logger.info("faithfulness: %d explanations scored", count)
    if not count:
        raise DataError(
            "there is nothing to explain in the data (no texts, or no predicted entities)"
        )
    return FaithfulnessReport(
        task=bundle.task.name,
        explanations=count,
        fractions=fractions,
        methods=[_summary(name, curves[name]) for name in [*names, RANDOM]],
        seed=seed,
    )


def _decisions(
    bundle: ModelBundle, examples: Any, limit: int
) -> Iterable[tuple[WordEncoding, Target]]:
    """Yield up to ``limit`` (input, target) pairs: each text's label, or each entity."""
    tokenizer, max_length = bundle.tokenizer, bundle.max_length()
    produced = 0
    for i in range(len(examples)):
        if isinstance(examples, TextExamples):
            encoding = encode_text(tokenizer, examples.texts[i], max_length)
            targets = [label_target(bundle, encoding)]
        else:
            encoding = encode_tokens(tokenizer, examples.tokens[i], max_length)
            targets = [t for t, _ in entity_targets(bundle, encoding)]
        for target in targets:
            if produced >= limit:
                return
            produced += 1
            yield encoding, target


def _curves(
    model: Any,
    encoding: WordEncoding,
    target: Target,
    order: list[int],
    fractions: list[float],
    blank: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Target probability while deleting, and while inserting, words in ``order``."""
    # Round up: the first step removes at least one word, even from a short text.
    counts = [math.ceil(f * len(order) - 1e-9) for f in fractions]
    rows = [blanked(encoding, order[:k], blank) for k in counts]
    rows += [blanked(encoding, order[k:], blank) for k in counts]
    probs = target_probabilities(model, encoding, rows, target)
    return probs[: len(counts)], probs[len(counts) :]


def _summary(name: str, curves: list[tuple[np.ndarray, np.ndarray]]) -> MethodFaithfulness:
    deletion = np.array([c[0] for c in curves], dtype=np.float64)
    insertion = np.array([c[1] for c in curves], dtype=np.float64)
    return MethodFaithfulness(
        method=name,
        deletion_aopc=float(np.mean(deletion[:, :1] - deletion[:, 1:])),
        insertion_aopc=float(np.mean(insertion[:, 1:] - insertion[:, :1])),
        deletion_curve=[round(float(v), 6) for v in deletion.mean(axis=0)],
        insertion_curve=[round(float(v), 6) for v in insertion.mean(axis=0)],
    )
