"""``OpenInterpreter``: the product's Python face, as the spec shows it.

A thin facade: it holds the loaded model, tokenizer, task and labels, and delegates the
work to ``models/``, ``data/``, ``tasks/``, ``training/`` and ``evaluation/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import Examples, TokenExamples
from open_interpreter.errors import LabelError, ModelStateError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks import Task, get_task, infer_task
from open_interpreter.training.result import FineTuneResult

logger = logging.getLogger("open_interpreter")

DEFAULT_MODEL = "minilm-l6"


class OpenInterpreter:
    """Load a pretrained Transformer, fine-tune it on labelled data, evaluate, predict, save.

    Args:
        model_name: Model alias (``minilm-l6``), local directory or Hub name.
        tokenizer_name: Tokenizer to use; defaults to the model's own.

    Example:
        >>> interpreter = OpenInterpreter("minilm-l6")  # doctest: +SKIP
        >>> interpreter.fine_tune(train_data=tokens, train_labels=tags)  # doctest: +SKIP
        >>> print(interpreter.evaluate(test_tokens, test_tags))  # doctest: +SKIP
    """

    def __init__(self, model_name: str = DEFAULT_MODEL, tokenizer_name: str | None = None):
        self.model_name = model_name
        self.tokenizer_name = tokenizer_name or model_name
        self.model: Any = None
        self.tokenizer: Any = None
        self.task: Task | None = None
        self.labels: list[str] | None = None
        self.config = FineTuneConfig(model=model_name)
        self.result: FineTuneResult | None = None
        self._has_head = False
        self._data_info: dict[str, Any] = {}

    # -- loading -----------------------------------------------------------------------

    def load_model(self, model_name: str | None = None) -> Any:
        """Resolve ``model_name`` offline-first and load its pretrained backbone.

        Returns:
            The loaded ``transformers`` model (no task head yet).

        Raises:
            ModelNotFoundError: The name resolves nowhere; the message lists what was tried.
        """
        from open_interpreter.models.loading import load_backbone
        from open_interpreter.models.resolve import resolve_model

        self.model_name = model_name or self.model_name
        resolved = resolve_model(self.model_name)
        logger.info("model %s: %s (%s)", self.model_name, resolved.path, resolved.source)
        self.model = load_backbone(resolved.path, trust_remote_code=self.config.trust_remote_code)
        self._has_head = False
        return self.model

    def load_tokenizer(self, tokenizer_name: str | None = None) -> Any:
        """Resolve and load the (fast) tokenizer ``tokenizer_name`` (default: the model's)."""
        from open_interpreter.models.loading import load_tokenizer
        from open_interpreter.models.resolve import resolve_tokenizer

        self.tokenizer_name = tokenizer_name or self.tokenizer_name
        resolved = resolve_tokenizer(self.tokenizer_name)
        self.tokenizer = load_tokenizer(
            resolved.path, trust_remote_code=self.config.trust_remote_code
        )
        return self.tokenizer

    # -- heads -------------------------------------------------------------------------

    def add_sequence_classification_head(self, labels: list[str] | None = None) -> None:
        """Ask for a classification head; built when the labels are known.

        If the training labels turn out to be per-token tag lists, the head becomes a
        token-classification head (and the log says so).
        """
        self._set_head("sequence-classification", labels)

    def add_token_classification_head(self, labels: list[str] | None = None) -> None:
        """Ask for a token-classification (NER) head over ``labels`` (or the training tags)."""
        self._set_head("token-classification", labels)

    def add_sentence_pair_head(self, labels: list[str] | None = None) -> None:
        """Ask for a head that classifies pairs of texts (paraphrase, entailment...)."""
        self._set_head("sentence-pair", labels)

    def _set_head(self, task: str, labels: list[str] | None) -> None:
        self.task = get_task(task)
        self.labels = [str(label) for label in labels] if labels is not None else None
        self._has_head = False
        if self.labels is not None:
            self._build_head()

    def _build_head(self) -> None:
        from open_interpreter.models.loading import add_head
        from open_interpreter.training.runtime import seed_everything

        if self.model is None:
            self.load_model()
        seed_everything(self.config.seed)
        self.model = add_head(self.model, self.task.auto_class, self.labels)
        self._has_head = True

    # -- fine-tuning -------------------------------------------------------------------

    def fine_tune(
        self,
        model_name: str | None = None,
        train_data: Any = None,
        train_labels: Any = None,
        validation_data: Any = None,
        validation_labels: Any = None,
        test_data: Any = None,
        test_labels: Any = None,
        *,
        config: FineTuneConfig | None = None,
        **settings: Any,
    ) -> FineTuneResult:
        """Fine-tune the model on labelled data and report metrics before and after.

        Args:
            model_name: Base model; loads it if it is not the one already loaded.
            train_data: Texts, token lists, a DataFrame, a ``datasets.Dataset`` or a file path.
            train_labels: One label per text, or one tag list per token list (None when
                ``train_data`` carries its labels).
            validation_data: Data scored after every epoch (early stopping, best weights).
            validation_labels: Its labels.
            test_data: Data scored once at the end.
            test_labels: Its labels.
            config: A full :class:`FineTuneConfig`; ``settings`` override its fields.
            **settings: Any :class:`FineTuneConfig` field, e.g. ``learning_rate=2e-5, epochs=5``.

        Returns:
            The run's result: history, reports before/after and on test data.

        Raises:
            DataError: Bad or inconsistent data (the message says which and where).
            LabelError: Validation/test labels never seen in training.
            ConfigError: An unknown or invalid setting.
        """
        from open_interpreter.training import recipe

        base = config or self.config
        self.config = base.updated(**settings, **({"model": model_name} if model_name else {}))
        if train_data is None:
            raise TypeError("fine_tune() needs train_data")
        if self.model is None or (model_name and model_name != self.model_name):
            self.load_model(self.config.model)
        if self.tokenizer is None:
            self.load_tokenizer()
        splits = recipe.read_splits(
            self.config,
            train_data,
            train_labels,
            validation_data,
            validation_labels,
            test_data,
            test_labels,
        )
        self._prepare_task(splits["train"])
        self.result = recipe.run(self, splits)
        return self.result

    def _prepare_task(self, train: Examples) -> None:
        """Settle the task and labels from the training data and build the head if needed."""
        inferred = infer_task(train)
        asked = self.task.name if self.task else self.config.task
        if asked in ("auto", None):
            self.task = inferred
        elif asked != inferred.name and isinstance(train, TokenExamples):
            logger.info(
                "the labels are per-token tag lists: training %s instead of %s",
                inferred.name,
                asked,
            )
            self.task = inferred
        else:
            self.task = get_task(asked)
        labels = self.task.label_set(train)
        if self._has_head:
            unknown = sorted(set(labels) - set(self.labels or []))
            if unknown:
                raise LabelError(
                    f"training labels {unknown} are not in the model's labels {self.labels}"
                )
            return
        if self.labels is not None:
            unknown = sorted(set(labels) - set(self.labels))
            if unknown:
                raise LabelError(
                    f"training labels {unknown} are not among the head's labels {self.labels}"
                )
        else:
            self.labels = labels
        self._build_head()

    # -- using the model ---------------------------------------------------------------

    def evaluate(self, data: Any, labels: Any = None, *, split: str = "test") -> EvaluationReport:
        """Score the model on labelled data.

        Returns:
            A report that formats as a float (its accuracy: ``f"{report:.2f}"``) and prints
            the per-label precision/recall/F1 table (and entity-level scores for NER).
        """
        from open_interpreter import inference

        return inference.evaluate(self, self._examples(data, labels, split), split)

    def predict(self, texts: Any) -> Any:
        """Predict labels (classification) or entities with character offsets (NER).

        Args:
            texts: A text, a list of texts, (text, pair) tuples, or pre-split token lists.

        Returns:
            One prediction for one input, a list for a list.
        """
        from open_interpreter import inference

        self._require_head()
        return inference.predict(self, texts)

    def _examples(self, data: Any, labels: Any, split: str) -> Examples:
        from open_interpreter.data.inputs import to_examples

        self._require_head()
        return to_examples(data, labels, source=f"{split} data")

    def _require_head(self) -> None:
        if not self._has_head:
            raise ModelStateError(
                "the model has no trained head yet: call fine_tune(...) first, "
                "or OpenInterpreter.load(path) for a saved model"
            )

    # -- saving ------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Save the model as a directory plain ``transformers`` can load, with its card."""
        from open_interpreter import saved_model

        self._require_head()
        return saved_model.save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> OpenInterpreter:
        """Load a model saved by :meth:`save` or ``oi train``."""
        from open_interpreter import saved_model

        return saved_model.load(cls, Path(path))

    def __repr__(self) -> str:
        task = self.task.name if self.task else "no task yet"
        return f"OpenInterpreter(model={self.model_name!r}, task={task!r}, labels={self.labels})"
