"""Scores for generated text: loss and perplexity, exact match, token F1, BLEU and ROUGE.

- **loss / perplexity**: mean cross-entropy of the reference answers' tokens under the
  model (teacher forcing) and its exponential — needs no generation;
- **exact match** and **token F1**: SQuAD's definitions — answers lower-cased, stripped
  of punctuation, articles (a, an, the) and extra spaces; F1 over the bag of words;
- **BLEU**: corpus BLEU from ``sacrebleu`` (13a tokenisation), 0–100;
- **ROUGE-1 / ROUGE-2 / ROUGE-L**: mean F-measures from Google's ``rouge-score``
  (with stemming), 0–1.

Example:
    >>> report = evaluate_generation(["Paris."], ["paris"], task="causal-lm")
    >>> report.exact_match, report.token_f1
    (1.0, 1.0)
"""

from __future__ import annotations

import json
import logging
import math
import re
import string
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from open_interpreter.errors import DataError

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_SAMPLES_SHOWN = 3


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze spaces (SQuAD's normalisation)."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> float:
    """1.0 when the normalised answers are equal, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    """F1 of the normalised answers' words (as bags of words); 1.0 when both are empty."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def bleu(predictions: list[str], references: list[str]) -> float:
    """Corpus BLEU (sacrebleu, 13a tokenisation, 0–100)."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(predictions, [references]).score)


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Mean ROUGE-1, ROUGE-2 and ROUGE-L F-measures (rouge-score, stemmed, 0–1)."""
    from rouge_score import rouge_scorer

    kinds = ("rouge1", "rouge2", "rougeL")
    absl = logging.getLogger("absl")  # rouge-score logs "Using default tokenizer." at INFO
    level = absl.level
    absl.setLevel(logging.WARNING)
    try:
        scorer = rouge_scorer.RougeScorer(list(kinds), use_stemmer=True)
    finally:
        absl.setLevel(level)
    totals = dict.fromkeys(kinds, 0.0)
    for prediction, reference in zip(predictions, references, strict=True):
        scores = scorer.score(reference, prediction)
        for kind in kinds:
            totals[kind] += scores[kind].fmeasure
    return {kind: total / len(predictions) for kind, total in totals.items()}


@dataclass(frozen=True, kw_only=True)
class GenerationReport:
    """The scores of a generative model on one split.

    Reads as its token F1 where a number is expected (``f"{report:.2f}"``), or as its
    loss when nothing was generated; ``str(report)`` is a readable block with a few
    sample answers.
    """

    task: str
    """``"causal-lm"`` or ``"seq2seq"``."""
    split: str = "test"
    """Which split was scored."""
    num_examples: int
    """Examples whose loss was measured."""
    loss: float | None = None
    """Mean loss per answer token."""
    generated: int = 0
    """Examples answered by generation (the scores below are over these)."""
    exact_match: float | None = None
    """Share of answers equal to the reference after normalisation."""
    token_f1: float | None = None
    """Mean word-overlap F1 with the reference."""
    bleu: float | None = None
    """Corpus BLEU, 0–100."""
    rouge1: float | None = None
    """Mean ROUGE-1 F-measure."""
    rouge2: float | None = None
    """Mean ROUGE-2 F-measure."""
    rougeL: float | None = None
    """Mean ROUGE-L F-measure."""
    samples: list[dict[str, str]] = field(default_factory=list)
    """A few ``{"prompt", "reference", "answer"}`` triples."""

    @property
    def perplexity(self) -> float | None:
        """``exp(loss)``: how many tokens the model hesitates between, on average."""
        return None if self.loss is None else math.exp(min(self.loss, 50.0))

    @property
    def headline(self) -> float:
        """Token F1 when answers were generated, else the loss."""
        return self.token_f1 if self.token_f1 is not None else float(self.loss or 0.0)

    def metrics(self) -> dict[str, float]:
        """Flat scalar metrics (those measured) for logging and early stopping."""
        names = ("loss", "perplexity", "exact_match", "token_f1", "bleu", "rouge1", "rouge2")
        values = {name: getattr(self, name) for name in (*names, "rougeL")}
        return {name: float(v) for name, v in values.items() if v is not None}

    def __str__(self) -> str:
        parts = [f"{self.num_examples} examples"]
        parts += [f"{name} {value:.4f}" for name, value in self.metrics().items()]
        lines = [f"{self.task} on {self.split}: " + ", ".join(parts)]
        if self.generated:
            lines.append(f"(answer scores over {self.generated} generated answers, greedy)")
        for sample in self.samples[:_SAMPLES_SHOWN]:
            lines += [
                "",
                f"prompt:    {_one_line(sample['prompt'])}",
                f"reference: {_one_line(sample['reference'])}",
                f"answer:    {_one_line(sample['answer'])}",
            ]
        return "\n".join(lines)

    def __float__(self) -> float:
        return float(self.headline)

    def __format__(self, format_spec: str) -> str:
        return format(self.headline, format_spec) if format_spec else str(self)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values, with the perplexity."""
        return {**asdict(self), "perplexity": self.perplexity}

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON to ``path`` (parent folders are created)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def evaluate_generation(
    predictions: list[str],
    references: list[str],
    *,
    task: str,
    loss: float | None = None,
    num_examples: int | None = None,
    split: str = "test",
    prompts: list[str] | None = None,
) -> GenerationReport:
    """Score generated answers against reference answers.

    Args:
        predictions: The generated answers.
        references: The reference answers, in the same order.
        task: ``"causal-lm"`` or ``"seq2seq"``.
        loss: The mean loss per answer token, when it was measured.
        num_examples: Examples whose loss was measured (default: ``len(references)``).
        split: The split's name.
        prompts: The prompts, to show a few samples.

    Returns:
        The report.

    Raises:
        DataError: Predictions and references differ in number.
    """
    if len(predictions) != len(references):
        raise DataError(
            f"{len(predictions)} predictions but {len(references)} references: they must pair up"
        )
    scores: dict[str, float] = {}
    if predictions:
        n = len(predictions)
        scores["exact_match"] = sum(map(exact_match, predictions, references)) / n
        scores["token_f1"] = sum(map(token_f1, predictions, references)) / n
        scores["bleu"] = bleu(predictions, references)
        scores.update(rouge(predictions, references))
    samples = [
        {"prompt": p, "reference": r, "answer": a}
        for p, r, a in zip(prompts or [], references, predictions, strict=False)
    ][:_SAMPLES_SHOWN]
    return GenerationReport(
        task=task,
        split=split,
        num_examples=len(references) if num_examples is None else num_examples,
        loss=loss,
        generated=len(predictions),
        samples=samples,
        **scores,
    )


def _one_line(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
