"""``OpenInterpreter``: the product's Python face, as the spec shows it.

A thin facade: it holds the loaded model, tokenizer, task and labels, and delegates the
work to ``models/``, ``data/``, ``tasks/``, ``training/`` and ``evaluation/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import Examples, TokenExamples
from open_interpreter.errors import LabelError, ModelStateError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.generative_methods import GenerativeMethods
from open_interpreter.prompting_methods import PromptingMethods
from open_interpreter.tasks import Task, get_task, infer_task
from open_interpreter.training.result import FineTuneResult

if TYPE_CHECKING:
    from open_interpreter.analysis import Explanation, FaithfulnessReport, RobustnessReport

logger = logging.getLogger("open_interpreter")

DEFAULT_MODEL = "minilm-l6"


class OpenInterpreter(GenerativeMethods, PromptingMethods):
    """Load a pretrained Transformer, fine-tune it on labelled data, evaluate, predict, save.

    Language models also generate text (:meth:`generate`), and PEFT adapters can be
    merged (:meth:`merge`) or several kept on one base (:meth:`load_adapter`). With no
    training at all, :meth:`zero_shot`, :meth:`few_shot` and :meth:`extract_entities`
    adapt a model to a task through prompts.

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
            The loaded ``transformers`` model: no task head yet (language models keep
            their language-modelling head).

        Raises:
            ModelNotFoundError: The name resolves nowhere; the message lists what was tried.
        """
        from open_interpreter.models.loading import load_pretrained
        from open_interpreter.models.resolve import resolve_model

        self.model_name = model_name or self.model_name
        resolved = resolve_model(self.model_name)
        logger.info("model %s: %s (%s)", self.model_name, resolved.path, resolved.source)
        self.model = load_pretrained(resolved.path, trust_remote_code=self.config.trust_remote_code)
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
        from open_interpreter.models.resolve import resolve_model
        from open_interpreter.peft import load_four_bit
        from open_interpreter.runtime import seed_everything

        if self.model is None:
            self.load_model()
        seed_everything(self.config.seed)
        if self.config.peft is not None and self.config.peft.method == "qlora":
            path = resolve_model(self.model_name).path
            self.model = load_four_bit(path, self.task.auto_class, self.labels)
        elif self.task.generative:  # the language-modelling head is the task's head
            self.task.check_model(self.model)
        else:
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
        on_event: Callable[[dict[str, Any]], bool | None] | None = None,
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
            on_event: Called with every step and evaluation event (a dict with ``type``,
                ``step``, ``loss``, ``metrics``...); returning True stops training.
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
        self.result = recipe.run(self, splits, on_event=on_event)
        return self.result

    def _prepare_task(self, train: Examples) -> None:
        """Settle the task and labels from the training data and build the head if needed."""
        inferred = infer_task(train, self.model)
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
            the per-label precision/recall/F1 table (and entity-level scores for NER). For
            a language model and conversations: a ``GenerationReport`` (loss, perplexity,
            exact match, token F1, BLEU, ROUGE).
        """
        from open_interpreter import inference
        from open_interpreter.data.chat import looks_like_chat

        if self.task is None and looks_like_chat(data):
            self._ensure_language_model()  # score a pretrained language model as it is
        return inference.evaluate(self, self._examples(data, labels, split), split)

    def predict(self, texts: Any) -> Any:
        """Predict labels (classification) or entities with character offsets (NER).

        Args:
            texts: A text, a list of texts, (text, pair) tuples, or pre-split token lists.

        Returns:
            One prediction for one input, a list for a list (generated answers for a
            language model: see :meth:`generate`).
        """
        from open_interpreter import inference

        self._require_head()
        if self.task.generative:
            return self.generate(texts)
        return inference.predict(self, texts)

    def _examples(self, data: Any, labels: Any, split: str) -> Examples:
        from open_interpreter.data.chat import to_chat_examples
        from open_interpreter.data.inputs import to_examples

        self._require_head()
        if self.task.generative and labels is None:
            return to_chat_examples(data, source=f"{split} data")
        return to_examples(data, labels, source=f"{split} data")

    def _require_head(self) -> None:
        if not self._has_head:
            raise ModelStateError(
                "the model has no trained head yet: call fine_tune(...) first, "
                "or OpenInterpreter.load(path) for a saved model"
            )

    # -- explaining and stress-testing -------------------------------------------------

    def explain(
        self,
        text: str,
        method: str = "integrated-gradients",
        target: str | None = None,
        *,
        steps: int = 32,
    ) -> Explanation | list[Explanation]:
        """Say which words of ``text`` made the model decide what it decided.

        Args:
            text: The input text.
            method: ``integrated-gradients`` (``ig``), ``occlusion`` or ``attention-rollout``.
            target: Classification: the label to explain (default: the predicted one).
                NER: explain only entities of this type (default: every predicted entity).
            steps: Integration steps of integrated gradients.

        Returns:
            An :class:`~open_interpreter.analysis.Explanation` (classification), or a list
            of them, one per predicted entity (NER). Each has ``words``, ``offsets``,
            ``scores``, ``to_dict()`` and ``to_html()``.

        Raises:
            ConfigError: Unknown method.
            LabelError: ``target`` is not one of the model's labels (entity types for NER).
            DataError: Empty text.
            ModelStateError: The model has no trained head.

        Example:
            >>> interpreter.explain("The striker scored twice", method="occlusion").top(3)
            ... # doctest: +SKIP
        """
        from open_interpreter.analysis.explanation import explain

        self._require_head()
        return explain(self, text, method, target, steps=steps)

    def faithfulness(self, data: Any, labels: Any = None, **options: Any) -> FaithfulnessReport:
        """Compare attribution methods by deletion/insertion AOPC against a random order.

        Args:
            data: Texts or sentences in any form ``fine_tune`` accepts.
            labels: Their labels, when ``data`` needs them to be read (not used otherwise).
            **options: ``methods``, ``limit`` (50), ``steps`` (10), ``random_orders`` (3),
                ``seed`` (0), ``ig_steps`` (32); see :func:`open_interpreter.analysis.faithfulness`.

        Returns:
            Per method and for a random order: deletion and insertion AOPC and curves.
        """
        from open_interpreter.analysis.faithfulness import faithfulness

        self._require_head()
        return faithfulness(self, data, labels, **options)

    def robustness(
        self,
        data: Any,
        labels: Any = None,
        *,
        perturbations: list[str] | None = None,
        rate: float = 0.1,
        seed: int = 0,
        attack_words: int = 3,
        attack_limit: int | None = 100,
        limit: int | None = None,
        entity_source: Any = None,
        worst: int = 5,
    ) -> RobustnessReport:
        """Score the model on clean data, under each perturbation and under attack.

        Args:
            data: Labelled data in any form ``evaluate`` accepts.
            labels: Its labels, when ``data`` does not carry them.
            perturbations: Names to run (default: all that apply to the task).
            rate: Chance that each eligible word is perturbed.
            seed: Seed of every perturbation: same seed, same report.
            attack_words: Most words the word-substitution attack may change; 0 skips it.
            attack_limit: Examples the attack considers (the first ones).
            limit: Use only the first ``limit`` examples.
            entity_source: Tagged data whose entities ``entity-swap`` draws from (the
                training data); by default the evaluated data's own entities.
            worst: How many of the most-hurt examples the report lists.

        Returns:
            A :class:`~open_interpreter.analysis.RobustnessReport` (``save(dir)`` writes
            JSON, Markdown and HTML).

        Raises:
            ConfigError: Unknown perturbation or bad rate.
            DataError: Unlabelled or empty data.
            LabelError: Labels the model does not know.
        """
        from open_interpreter.analysis.robustness import robustness

        self._require_head()
        return robustness(
            self,
            data,
            labels,
            perturbations=perturbations,
            rate=rate,
            seed=seed,
            attack_words=attack_words,
            attack_limit=attack_limit,
            limit=limit,
            entity_source=entity_source,
            worst=worst,
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
