"""What every task provides: its labels, its model class, encoding, decoding and scoring."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.encoding import Feature
from open_interpreter.data.examples import Examples
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks.forward import ForwardResult, forward


class Task(ABC):
    """A kind of supervised problem: how its data is encoded, predicted and scored.

    Attributes:
        name: The task's name in configs and saved models.
        auto_class: Name of the ``transformers`` auto class that builds its model.
    """

    name: ClassVar[str]
    auto_class: ClassVar[str]
    generative: ClassVar[bool] = False

    @abstractmethod
    def label_set(self, examples: Examples) -> list[str]:
        """Return the labels found in ``examples``, in a stable order."""

    @abstractmethod
    def encode(
        self, tokenizer: Any, examples: Examples, label2id: dict[str, int] | None, max_length: int
    ) -> list[Feature]:
        """Encode ``examples`` into model features (with label ids when labelled)."""

    @abstractmethod
    def decode(
        self,
        examples: Examples,
        features: list[Feature],
        result: ForwardResult,
        id2label: dict[int, str],
    ) -> list[Any]:
        """Turn probabilities back into one prediction per example."""

    @abstractmethod
    def score(
        self,
        examples: Examples,
        predictions: list[Any],
        labels: list[str],
        loss: float | None,
        split: str,
    ) -> EvaluationReport:
        """Compare predictions with the examples' labels and build the report."""

    def training_features(self, features: list[Feature], config: FineTuneConfig) -> list[Feature]:
        """The features to train on (a task may regroup them, e.g. pack short examples)."""
        return features

    def evaluate_encoded(
        self,
        model: Any,
        tokenizer: Any,
        examples: Examples,
        features: list[Feature],
        labels: list[str],
        *,
        config: FineTuneConfig,
        split: str,
    ) -> Any:
        """Score ``model`` on encoded, labelled ``examples``: forward, decode, score.

        Returns:
            The task's report (an :class:`EvaluationReport` for classification tasks).
        """
        result = forward(
            model,
            features,
            pad_id=tokenizer.pad_token_id,
            batch_size=config.eval_batch_size,
            precision=config.precision,
        )
        predictions = self.decode(examples, features, result, dict(enumerate(labels)))
        return self.score(examples, predictions, labels, result.loss, split)

    def model_class(self) -> Any:
        """Return the ``transformers`` auto class for this task (imported lazily)."""
        import transformers

        return getattr(transformers, self.auto_class)
