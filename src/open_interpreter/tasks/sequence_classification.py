"""Sequence classification: one label per text, or per pair of texts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from open_interpreter.data.encoding import Feature, encode_texts
from open_interpreter.data.examples import TextExamples
from open_interpreter.data.validation import unseen_labels
from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.evaluation.metrics import evaluate_classification
from open_interpreter.tasks.base import PreparedInputs, Task
from open_interpreter.tasks.forward import ForwardResult


@dataclass
class LabelPrediction:
    """The predicted label of one text, its probability and every label's probability."""

    label: str
    score: float
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


class SequenceClassificationTask(Task):
    """Classify each text into one of a fixed set of labels."""

    name: ClassVar[str] = "sequence-classification"
    auto_class: ClassVar[str] = "AutoModelForSequenceClassification"
    analyses: ClassVar[frozenset[str]] = frozenset({"explain", "perturb", "attack"})

    def _check(self, examples: Any) -> TextExamples:
        if not isinstance(examples, TextExamples):
            raise DataError(
                f"{self.name} needs texts with one label each, but {examples.source} holds "
                "token lists with tags (that is token classification)"
            )
        return examples

    def prepare_inputs(self, tokenizer: Any, items: list[Any]) -> PreparedInputs:
        """Texts, or (text, text_pair) tuples when every input is one."""
        if items and all(isinstance(item, tuple) for item in items):
            return PreparedInputs(
                TextExamples(
                    texts=[a for a, _ in items], text_pairs=[b for _, b in items], source="inputs"
                )
            )
        return super().prepare_inputs(tokenizer, items)

    def label_set(self, examples: TextExamples) -> list[str]:  # type: ignore[override]
        """Return the distinct labels as strings, sorted (numbers numerically)."""
        labels = {str(label) for label in self._check(examples).labels or []}
        if all(label.lstrip("-").isdigit() for label in labels):
            return sorted(labels, key=int)
        return sorted(labels)

    def encode(
        self,
        tokenizer: Any,
        examples: TextExamples,
        label2id: dict[str, int] | None,  # type: ignore[override]
        max_length: int,
    ) -> list[Feature]:
        """Encode texts (and pairs), truncating those longer than ``max_length``."""
        return encode_texts(tokenizer, self._check(examples), label2id, max_length)

    def decode(
        self,
        examples: TextExamples,
        features: list[Feature],
        result: ForwardResult,  # type: ignore[override]
        id2label: dict[int, str],
    ) -> list[LabelPrediction]:
        """Return the most probable label of each text with all labels' probabilities."""
        predictions = []
        for probs in result.probabilities:
            best = int(np.argmax(probs))
            scores = {id2label[i]: round(float(p), 6) for i, p in enumerate(probs)}
            predictions.append(LabelPrediction(id2label[best], float(probs[best]), scores))
        return predictions

    def score(
        self,
        examples: TextExamples,
        predictions: list[LabelPrediction],
        labels: list[str],  # type: ignore[override]
        loss: float | None,
        split: str,
    ) -> EvaluationReport:
        """Accuracy, macro-F1, per-label report and confusion matrix.

        Gold labels the model has no output for get rows of their own after ``labels``:
        never predicted, they score 0.
        """
        y_true = [str(label) for label in examples.labels or []]
        y_pred = [p.label for p in predictions]
        names = [*labels, *unseen_labels(labels, examples)]
        return evaluate_classification(
            y_true, y_pred, names, task=self.name, loss=loss, split=split
        )


class SentencePairTask(SequenceClassificationTask):
    """Classify pairs of texts (paraphrase, entailment, question–answer matching)."""

    name: ClassVar[str] = "sentence-pair"
    analyses: ClassVar[frozenset[str]] = frozenset({"perturb"})  # words of two texts: not yet

    def check_inputs(self, items: list[Any]) -> list[Any]:
        """Every input must be a pair of texts: ``(text, text_pair)`` or ``[text, text_pair]``."""
        checked = []
        for i, item in enumerate(items):
            if isinstance(item, (list, tuple)) and len(item) == 2:
                checked.append((item[0], item[1]))
            elif isinstance(item, str):
                raise DataError(f"texts.{i}: this model classifies pairs; send [text, text_pair]")
            else:
                raise DataError(f"texts.{i}: expected a string")
        return checked

    def _check(self, examples: Any) -> TextExamples:
        examples = super()._check(examples)
        if examples.text_pairs is None:
            raise DataError(
                f"sentence-pair needs pairs of texts, but {examples.source} holds single texts; "
                "pass (text, text_pair) tuples or set text_pair_column"
            )
        return examples
