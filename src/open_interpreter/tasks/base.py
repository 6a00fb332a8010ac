"""What every task provides: its labels, its model class, encoding, decoding and scoring."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.encoding import Feature
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks.forward import ForwardResult, forward


@dataclass
class PreparedInputs:
    """Raw inputs turned into examples to predict for.

    Attributes:
        examples: The examples, in input order.
        spans: Per input, the character span of each word in its text (None for an input
            that came already split into words); None when the task needs none.
    """

    examples: Examples
    spans: list[list[tuple[int, int]] | None] | None = None


class Task(ABC):
    """A kind of supervised problem: how its data is encoded, predicted and scored.

    Attributes:
        name: The task's name in configs and saved models.
        auto_class: Name of the ``transformers`` auto class that builds its model.
        generative: Whether the model answers with generated text.
    """

    name: ClassVar[str]
    auto_class: ClassVar[str]
    generative: ClassVar[bool] = False
    #: Whether it labels every word (NER) rather than the whole text.
    labels_words: ClassVar[bool] = False
    #: The metric that sums up a score on this task.
    headline_metric: ClassVar[str] = "accuracy"
    #: What :mod:`open_interpreter.analysis` covers for it: ``explain`` (attributions),
    #: ``perturb`` (robustness to perturbations), ``attack`` (word substitution).
    analyses: ClassVar[frozenset[str]] = frozenset()

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

    def check_labelled(self, examples: Examples, name: str, config: FineTuneConfig) -> None:
        """Raise unless ``examples`` carry the labels (or tags) this task learns from.

        Called on every split before training starts, so unlabelled data fails at once
        instead of in the middle of the first epoch.

        Args:
            examples: A split as it was read.
            name: What the user called it, e.g. ``train_data``.
            config: The run's settings (``data.label_column`` names the label column).

        Raises:
            DataError: The examples carry no labels; the message names the columns found,
                the one expected and how to name it.
        """
        if isinstance(examples, TokenExamples) and examples.tags is None:
            raise DataError(_no_tags(examples, name))
        if isinstance(examples, TextExamples) and examples.labels is None:
            raise DataError(_no_labels(examples, name, config))

    def check_inputs(self, items: list[Any]) -> list[Any]:
        """Check that every raw input has a shape this task predicts for (a text here).

        Returns:
            The inputs, normalised (a pair as a tuple).

        Raises:
            DataError: An input of the wrong shape; the message says which (``texts.3``).
        """
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise DataError(f"texts.{i}: expected a string")
        return list(items)

    def prepare_inputs(self, tokenizer: Any, items: list[Any]) -> PreparedInputs:
        """Turn checked raw inputs (see :meth:`check_inputs`) into examples to predict for."""
        return PreparedInputs(TextExamples(texts=[str(item) for item in items], source="inputs"))

    def finish_predictions(
        self, predictions: list[Any], items: list[Any], prepared: PreparedInputs
    ) -> list[Any]:
        """Relate predictions back to the raw inputs (e.g. character offsets of entities)."""
        return predictions

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


def _described(examples: Examples, name: str) -> str:
    """``train_data``, or ``train_data (reviews.csv)`` when it was read from a file."""
    return name if examples.source in (name, "data") else f"{name} ({examples.source})"


def _no_labels(examples: TextExamples, name: str, config: FineTuneConfig) -> str:
    where, column, columns = _described(examples, name), config.data.label_column, examples.columns
    if columns is None:
        labels = name.removesuffix("data") + "labels"
        return f"{where} has no labels; pass {labels} (one label per text)"
    if column in columns:
        problem = f"its {column!r} column is empty"
    else:
        problem = f"no column {column!r} among its columns {columns}"
    named = {config.data.text_column, config.data.text_pair_column, column}
    others = [c for c in columns if c not in named]
    example = others[0] if len(others) == 1 else "NAME"
    return (
        f"{where} has no labels: {problem}. Say which column holds them with "
        f"data.label_column: data.label_column={example} in a YAML config or on the command "
        f"line, fine_tune(..., data={{'label_column': {example!r}}}) in Python"
    )


def _no_tags(examples: TokenExamples, name: str) -> str:
    where = _described(examples, name)
    if examples.columns is None:
        labels = name.removesuffix("data") + "labels"
        return f"{where} has no tags; pass {labels} (one tag list per token list)"
    return (
        f"{where} has no tags: no column 'tags' or 'ner_tags' beside 'tokens' among its "
        f"columns {examples.columns}; name the tag column 'tags' or 'ner_tags'"
    )
