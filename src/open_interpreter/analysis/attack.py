"""A gradient-guided word-substitution attack (HotFlip-style, at most ``max_words`` words).

For each example the model gets right, repeat until its prediction is wrong or
``max_words`` words have been changed:

1. take the gradient of the loss of the gold answer with respect to the input embeddings;
2. for every word that is one whole-word sub-word (for NER: outside the gold entities),
   estimate the loss gained by swapping it for each of its nearest neighbours in the
   model's embedding space: ``(e_new - e_old) · gradient`` (the first-order step of
   HotFlip, Ebrahimi et al. 2018, restricted to neighbours so replacements stay plausible);
3. try the ``beam`` best swaps for real and keep the one that lowers the gold answer's
   probability most (none that lowers it: give up).

The attack success rate is the share of attacked examples whose prediction it flipped
(a text's label, or any of a sentence's entities).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from open_interpreter.analysis.encoding import WordEncoding, encode_text, encode_tokens
from open_interpreter.analysis.neighbours import EmbeddingNeighbours
from open_interpreter.analysis.scoring import (
    Target,
    class_probabilities,
    model_device,
    model_logits,
    target_probabilities,
)
from open_interpreter.data.examples import Examples, TextExamples
from open_interpreter.data.validation import check_labels_known
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.tasks.token_classification import entities_from_tags

if TYPE_CHECKING:
    from open_interpreter.bundle import ModelBundle


@dataclass
class AttackExample:
    """One attacked example.

    Attributes:
        index: Its position in the data.
        original: The input, as text.
        adversarial: The input after the substitutions.
        changes: Each substitution: ``word`` (index), ``from`` and ``to``.
        expected: The gold label (or the gold entities, for NER).
        before: The prediction on the original.
        after: The prediction on the adversarial input.
        probability_before: Probability of the gold answer on the original.
        probability_after: ... and on the adversarial input.
        succeeded: Whether the prediction became wrong.
    """

    index: int
    original: str
    adversarial: str
    changes: list[dict[str, Any]]
    expected: str
    before: str
    after: str
    probability_before: float
    probability_after: float
    succeeded: bool


@dataclass
class AttackResult:
    """What the attack achieved on a data set.

    Attributes:
        max_words: Most words it could change per example.
        attempted: Examples attacked (those the model got right).
        skipped: Examples not attacked because the model already got them wrong.
        examples: Every attacked example.
    """

    max_words: int
    attempted: int = 0
    skipped: int = 0
    examples: list[AttackExample] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        """Examples whose prediction the attack flipped."""
        return sum(e.succeeded for e in self.examples)

    @property
    def success_rate(self) -> float:
        """Share of attacked examples whose prediction was flipped."""
        return self.succeeded / self.attempted if self.attempted else 0.0

    @property
    def mean_words_changed(self) -> float:
        """Mean words changed in the successful attacks."""
        won = [len(e.changes) for e in self.examples if e.succeeded]
        return float(np.mean(won)) if won else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON values, with the summary figures."""
        return {
            "max_words": self.max_words,
            "attempted": self.attempted,
            "skipped": self.skipped,
            "succeeded": self.succeeded,
            "success_rate": self.success_rate,
            "mean_words_changed": self.mean_words_changed,
            "examples": [asdict(e) for e in self.examples],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttackResult:
        """Rebuild a result written by :meth:`to_dict`."""
        return cls(
            max_words=data["max_words"],
            attempted=data["attempted"],
            skipped=data["skipped"],
            examples=[AttackExample(**e) for e in data["examples"]],
        )


@dataclass
class _Case:
    """The state of one example under attack."""

    words: list[str]
    gold: list[str] | str
    text: str | None = None
    spans: list[tuple[int, int]] | None = None

    def replaced(self, word: int, new: str) -> _Case:
        words = list(self.words)
        words[word] = new
        if self.text is None:
            return _Case(words, self.gold)
        start, end = self.spans[word]
        return _Case(words, self.gold, text=self.text[:start] + new + self.text[end:])


def attack(
    bundle: ModelBundle,
    examples: Examples,
    *,
    max_words: int = 3,
    candidates: int = 20,
    beam: int = 8,
    limit: int | None = None,
    neighbours: EmbeddingNeighbours | None = None,
) -> AttackResult:
    """Attack the first ``limit`` labelled examples; see the module docs.

    Args:
        bundle: A model with its trained head.
        examples: Labelled texts or tagged sentences.
        max_words: Most words changed per example.
        candidates: Nearest neighbours considered per word.
        beam: Swaps tried for real at each step.
        limit: Examples to consider (all when None); wrong ones are skipped.
        neighbours: A prebuilt neighbour index of the model (built when None).

    Returns:
        The success rate and every attacked example.

    Raises:
        ConfigError: ``max_words`` below 1.
        DataError: The examples have no labels.
    """
    if max_words < 1:
        raise ConfigError(f"max_words must be at least 1, got {max_words=}")
    gold = examples.labels if isinstance(examples, TextExamples) else examples.tags
    if gold is None:
        raise DataError(f"cannot attack {examples.source}: it has no labels")
    if isinstance(examples, TextExamples) and examples.text_pairs is not None:
        raise DataError("the attack takes single texts; sentence pairs are not supported")
    check_labels_known(bundle.labels, examples, "attack data")
    model = bundle.model
    model.eval()
    neighbours = neighbours or EmbeddingNeighbours.of_model(model, bundle.tokenizer)
    result = AttackResult(max_words=max_words)
    for index in range(min(limit or len(examples), len(examples))):
        case = _case(bundle, examples, index)
        outcome = _attack_one(bundle, case, neighbours, max_words, candidates, beam)
        if outcome is None:
            result.skipped += 1
            continue
        outcome.index = index
        result.attempted += 1
        result.examples.append(outcome)
    return result


def _case(bundle: ModelBundle, examples: Examples, index: int) -> _Case:
    if isinstance(examples, TextExamples):
        return _Case([], str(examples.labels[index]), text=examples.texts[index])
    return _Case(list(examples.tokens[index]), list(examples.tags[index]))


def _encode(bundle: ModelBundle, case: _Case) -> tuple[_Case, WordEncoding]:
    tokenizer, max_length = bundle.tokenizer, bundle.max_length()
    if case.text is None:
        return case, encode_tokens(tokenizer, case.words, max_length)
    encoding = encode_text(tokenizer, case.text, max_length)
    return _Case(encoding.words, case.gold, text=case.text, spans=encoding.spans), encoding


def _gold_target(bundle: ModelBundle, case: _Case, encoding: WordEncoding) -> Target:
    labels = list(bundle.labels)
    if isinstance(case.gold, str):
        return Target(case.gold, [labels.index(case.gold)])
    first = encoding.first_positions()
    words = sorted(first)
    return Target("tags", [labels.index(case.gold[w]) for w in words], [first[w] for w in words])


def _prediction(bundle: ModelBundle, case: _Case, encoding: WordEncoding) -> tuple[str, bool]:
    """The prediction as text, and whether it is right."""
    labels = list(bundle.labels)
    probs = class_probabilities(bundle.model, encoding)
    if isinstance(case.gold, str):
        label = labels[int(np.argmax(probs))]
        return label, label == case.gold
    first = encoding.first_positions()
    tags = [
        labels[int(np.argmax(probs[first[w]]))] if w in first else "O"
        for w in range(len(case.words))
    ]
    gold = [t if w in first else "O" for w, t in enumerate(case.gold)]
    return _entities(case.words, tags), _spans(tags) == _spans(gold)


def _spans(tags: list[str]) -> set[tuple[str, int, int]]:
    return {(k, a, b) for k, a, b, _ in entities_from_tags(tags, [0.0] * len(tags))}


def _entities(words: list[str], tags: list[str]) -> str:
    found = [
        f"{' '.join(words[a:b])} ({k})" for k, a, b in sorted(_spans(tags), key=lambda s: s[1])
    ]
    return ", ".join(found) or "no entities"


def _attack_one(
    bundle: ModelBundle,
    case: _Case,
    neighbours: EmbeddingNeighbours,
    max_words: int,
    candidates: int,
    beam: int,
) -> AttackExample | None:
    case, encoding = _encode(bundle, case)
    before, right = _prediction(bundle, case, encoding)
    if not right:
        return None
    target = _gold_target(bundle, case, encoding)
    original, expected = (
        encoding.text,
        (case.gold if isinstance(case.gold, str) else _entities(case.words, case.gold)),
    )
    p_before = p_now = float(
        target_probabilities(bundle.model, encoding, [encoding.input_ids], target)[0]
    )
    changes: list[dict[str, Any]] = []
    after, succeeded = before, False
    while len(changes) < max_words:
        step = _best_swap(
            bundle.model, encoding, target, case, neighbours, changes, candidates, beam
        )
        if step is None or step[2] >= p_now:
            break
        word, token_id, p_now = step
        new = neighbours.word(token_id, like=case.words[word])
        changes.append({"word": word, "from": case.words[word], "to": new})
        case, encoding = _encode(bundle, case.replaced(word, new))
        target = _gold_target(bundle, case, encoding)
        after, right = _prediction(bundle, case, encoding)
        if not right:
            succeeded = True
            break
    p_after = float(target_probabilities(bundle.model, encoding, [encoding.input_ids], target)[0])
    return AttackExample(
        index=0,
        original=original,
        adversarial=encoding.text,
        changes=changes,
        expected=expected,
        before=before,
        after=after,
        probability_before=p_before,
        probability_after=p_after,
        succeeded=succeeded,
    )


def _best_swap(
    model: torch.nn.Module,
    encoding: WordEncoding,
    target: Target,
    case: _Case,
    neighbours: EmbeddingNeighbours,
    changes: list[dict[str, Any]],
    candidates: int,
    beam: int,
) -> tuple[int, int, float] | None:
    """The swap (word, new token id, gold probability after it) that hurts the model most."""
    table = model.get_input_embeddings().weight
    ids = torch.tensor([encoding.input_ids], device=model_device(model))
    embeds = model.get_input_embeddings()(ids).detach().requires_grad_(True)
    loss = -target.log_probability(model_logits(model, encoding, inputs_embeds=embeds).logits).sum()
    (gradient,) = torch.autograd.grad(loss, embeds)
    changed = {c["word"] for c in changes}
    proposals: list[tuple[float, int, int, int]] = []
    for word, positions in enumerate(encoding.word_positions()):
        if len(positions) != 1 or word in changed:
            continue
        if not isinstance(case.gold, str) and case.gold[word] != "O":
            continue
        position = positions[0]
        token = encoding.input_ids[position]
        options = neighbours.neighbour_ids(token, candidates)
        if not options:
            continue
        with torch.no_grad():
            gains = (table[list(options)] - table[token]) @ gradient[0, position]
        proposals += [
            (float(g), word, position, t) for g, t in zip(gains.tolist(), options, strict=True)
        ]
    if not proposals:
        return None
    proposals.sort(key=lambda p: -p[0])
    tried = proposals[:beam]
    rows = []
    for _, _, position, token in tried:
        row = list(encoding.input_ids)
        row[position] = token
        rows.append(row)
    probs = target_probabilities(model, encoding, rows, target)
    best = int(np.argmin(probs))
    return tried[best][1], tried[best][3], float(probs[best])
