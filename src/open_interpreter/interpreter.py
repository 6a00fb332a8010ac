"""``OpenInterpreter``: the product's Python face, as the spec shows it.

A thin facade: it holds one :class:`~open_interpreter.bundle.ModelBundle` (model,
tokenizer, task, labels, settings) and delegates the work to the workflows —
``training/``, ``inference``, ``analysis/``, ``generation/``, ``prompting/`` — each of
which takes the bundle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import Examples
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks import Task
from open_interpreter.training.result import FineTuneResult

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Iterator, Mapping, Sequence

    from open_interpreter.analysis import Explanation, FaithfulnessReport, RobustnessReport
    from open_interpreter.export import ExportReport
    from open_interpreter.generation import Completion, Prompt
    from open_interpreter.prompting import (
        Extraction,
        PromptPrediction,
        PromptPredictions,
        PromptTemplate,
    )
    from open_interpreter.tuning import StudyResult, TrialRecord

logger = logging.getLogger("open_interpreter")

DEFAULT_MODEL = "minilm-l6"


class _OnBundle:
    """An attribute of the facade that lives on its bundle (``interpreter.model`` is
    ``interpreter.bundle.model``), so the two never disagree."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, interpreter: Any, owner: type | None = None) -> Any:
        return self if interpreter is None else getattr(interpreter.bundle, self.name)

    def __set__(self, interpreter: Any, value: Any) -> None:
        setattr(interpreter.bundle, self.name, value)


class OpenInterpreter:
    """Load a pretrained Transformer, fine-tune it on labelled data, evaluate, predict, save.

    Language models also generate text (:meth:`generate`), and PEFT adapters can be
    merged (:meth:`merge`) or several kept on one base (:meth:`load_adapter`). With no
    training at all, :meth:`zero_shot`, :meth:`few_shot` and :meth:`extract_entities`
    adapt a model to a task through prompts.

    Args:
        model_name: Model alias (``minilm-l6``), local directory or Hub name.
        tokenizer_name: Tokenizer to use; defaults to the model's own.

    Raises:
        ModelNotFoundError: ``model_name`` (or ``tokenizer_name``) resolves nowhere; the
            names are resolved at once, the weights are loaded when first needed.

    Example:
        >>> interpreter = OpenInterpreter("minilm-l6")  # doctest: +SKIP
        >>> interpreter.fine_tune(train_data=tokens, train_labels=tags)  # doctest: +SKIP
        >>> print(interpreter.evaluate(test_tokens, test_tags))  # doctest: +SKIP
    """

    def __init__(self, model_name: str = DEFAULT_MODEL, tokenizer_name: str | None = None):
        from open_interpreter.models.resolve import resolve_model, resolve_tokenizer

        # Fail here, naming what was tried, rather than at the first use of the model.
        resolve_model(model_name)
        if tokenizer_name not in (None, model_name):
            resolve_tokenizer(tokenizer_name)
        self.bundle = ModelBundle(
            model_name=model_name,
            tokenizer_name=tokenizer_name or model_name,
            config=FineTuneConfig(model=model_name),
        )
        self.result: FineTuneResult | None = None

    @classmethod
    def from_bundle(cls, bundle: ModelBundle) -> OpenInterpreter:
        """The facade over an existing bundle (one a service or workflow returned)."""
        interpreter = cls.__new__(cls)
        interpreter.bundle, interpreter.result = bundle, None
        return interpreter

    # -- what the bundle holds, under the names users know -----------------------------

    model: Any = _OnBundle()
    tokenizer: Any = _OnBundle()
    task: Task | None = _OnBundle()
    labels: list[str] | None = _OnBundle()
    config: FineTuneConfig = _OnBundle()
    model_name: str = _OnBundle()
    tokenizer_name: str | None = _OnBundle()

    # -- loading -----------------------------------------------------------------------

    def load_model(self, model_name: str | None = None) -> Any:
        """Resolve ``model_name`` offline-first and load its pretrained backbone.

        Returns:
            The loaded ``transformers`` model: no task head yet (language models keep
            their language-modelling head).

        Raises:
            ModelNotFoundError: The name resolves nowhere; the message lists what was tried.
        """
        return self.bundle.load_model(model_name)

    def load_tokenizer(self, tokenizer_name: str | None = None) -> Any:
        """Resolve and load the (fast) tokenizer ``tokenizer_name`` (default: the model's)."""
        return self.bundle.load_tokenizer(tokenizer_name)

    # -- heads -------------------------------------------------------------------------

    def add_sequence_classification_head(self, labels: list[str] | None = None) -> None:
        """Ask for a classification head; built when the labels are known.

        If the training labels turn out to be per-token tag lists, the head becomes a
        token-classification head (and the log says so).
        """
        self.bundle.set_head("sequence-classification", labels)

    def add_token_classification_head(self, labels: list[str] | None = None) -> None:
        """Ask for a token-classification (NER) head over ``labels`` (or the training tags)."""
        self.bundle.set_head("token-classification", labels)

    def add_sentence_pair_head(self, labels: list[str] | None = None) -> None:
        """Ask for a head that classifies pairs of texts (paraphrase, entailment...)."""
        self.bundle.set_head("sentence-pair", labels)

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
            train_data: Texts, token lists, a DataFrame, a ``datasets.Dataset``, a file path
                or packaged data (``"package:wnut16"``).
            train_labels: One label per text, or one tag list per token list (None when
                ``train_data`` carries its labels).
            validation_data: Data scored after every epoch (early stopping, best weights).
            validation_labels: Its labels.
            test_data: Data scored once at the end.
            test_labels: Its labels.
            config: A full :class:`FineTuneConfig`; ``settings`` override its fields.
            on_event: Called with every step and evaluation event (a dict with ``type``,
                ``step``, ``loss``, ``metrics``...); returning True stops training.
            **settings: Any :class:`FineTuneConfig` field, e.g. ``learning_rate=2e-5, epochs=5``;
                the ``data`` settings ``limit``, ``validation_split``, ``test_split`` and the
                column names may be given as plain keywords (``limit=300`` is ``data.limit``:
                the first 300 training examples, taken before any split is held out).

        Returns:
            The run's result: history, reports before/after and on test data.

        Raises:
            DataError: Bad or inconsistent data (the message says which and where).
            LabelError: Validation/test labels never seen in training.
            ConfigError: An unknown or invalid setting.
        """
        from open_interpreter.services.runs import recorded_run
        from open_interpreter.training import recipe

        base = config or self.config
        self.config = base.updated(**settings, **({"model": model_name} if model_name else {}))
        if model_name and model_name != self.model_name:
            self.bundle.load_model(model_name)
        name = Path(self.config.output_dir).name if self.config.output_dir else self.config.model
        settings_used = self.config.model_dump(mode="json")
        with recorded_run(name, settings_used, on_event) as (run, hook):  # oi runs, dashboard
            self.result = recipe.fine_tune(
                self.bundle,
                train_data,
                train_labels,
                validation_data,
                validation_labels,
                test_data,
                test_labels,
                on_event=hook,
            )
            if run is not None and self.result is not None:  # None: not the first machine
                run.finish(self.result.to_dict(), self.config.output_dir)
        return self.result

    def continue_training(
        self,
        train_data: Any,
        train_labels: Any = None,
        validation_data: Any = None,
        validation_labels: Any = None,
        *,
        strategy: str = "replay",
        output_dir: str | Path | None = None,
        **options: Any,
    ) -> Any:
        """Train the loaded (saved) model further on new data without forgetting what it
        knew: ``strategy`` is ``naive``, ``replay``, ``ewc``, ``l2sp`` or
        ``lora-per-version`` (a LoRA model: a new adapter per version); new labels grow
        the head. See :func:`open_interpreter.continual.continue_training` and
        docs/continual.md.

        Returns:
            A ``ContinualResult``: the run, and the continual report (``.report``).
        """
        from open_interpreter.continual import continue_training

        step = continue_training(
            self.bundle,
            train_data,
            train_labels,
            validation_data,
            validation_labels,
            strategy=strategy,
            output_dir=output_dir,
            **options,
        )
        self.result = step.result
        return step

    def tune(
        self,
        train_data: Any = None,
        train_labels: Any = None,
        validation_data: Any = None,
        validation_labels: Any = None,
        *,
        search_space: Mapping[str, Any] | str = "default",
        n_trials: int = 20,
        timeout: float | None = None,
        metric: str | None = None,
        direction: str | None = None,
        pruner: str | None = "hyperband",
        sampler: str = "tpe",
        config: FineTuneConfig | None = None,
        on_update: Callable[[list[TrialRecord]], None] | None = None,
        **settings: Any,
    ) -> StudyResult:
        """Search fine-tuning settings with Optuna; keep the best trial's model.

        Each trial fine-tunes the base model as ``fine_tune`` would, with the values it
        draws from ``search_space``; after every epoch its validation ``metric`` goes to
        the pruner, which stops trials that cannot catch up. Afterwards the interpreter
        holds the best trial's model, so ``evaluate``, ``predict`` and ``save`` work as
        after ``fine_tune``. See docs/hpo.md.

        Args:
            train_data: Training data, in any form ``fine_tune`` accepts.
            train_labels: Its labels.
            validation_data: Data every trial is scored on after each epoch.
            validation_labels: Its labels.
            search_space: ``{setting: {low, high[, log][, step]} | [values]}``, or
                ``"default"`` for the task's default space.
            n_trials: Trials to run, the baseline trial (the base settings) included.
            timeout: Seconds after which no new trial starts.
            metric: Validation metric to optimise (default: the task's headline metric).
            direction: ``maximize`` or ``minimize`` (default: from the metric).
            pruner: ``hyperband``, ``median`` or None.
            sampler: ``tpe`` or ``random``.
            config: Base settings; ``settings`` override its fields.
            on_update: Called with the trials table after each epoch and each trial.
            **settings: Base :class:`FineTuneConfig` fields, and study settings of
                :class:`~open_interpreter.tuning.SearchConfig` (``name``, ``baseline``,
                ``n_jobs``, ``resume``: more trials in the stored study ``name``,
                ``storage``: a database URL).

        Returns:
            A :class:`~open_interpreter.tuning.StudyResult`: best settings and score,
            the trials table, parameter importances, ``to_markdown()``, ``to_dict()``.

        Raises:
            ConfigError: An empty or contradictory search space, an unknown metric for
                the task, a budget too small for a trial, no validation data, parallel
                trials on SQLite — all before anything trains.
            DataError: Bad training or validation data.

        Example:
            >>> study = interpreter.tune(train_data=tokens, train_labels=tags,  # doctest: +SKIP
            ...     validation_data=dev_tokens, validation_labels=dev_tags, n_trials=8)
            >>> print(study.best_params, study.best_value)  # doctest: +SKIP
        """
        from open_interpreter.config import validated
        from open_interpreter.tuning import SearchConfig, run_study

        storage = settings.pop("storage", None)
        study_keys = ("name", "baseline", "n_jobs", "resume")
        search = validated(
            SearchConfig,
            {
                "space": dict(search_space) if not isinstance(search_space, str) else search_space,
                "n_trials": n_trials,
                "timeout": timeout,
                "metric": metric,
                "direction": direction,
                "pruner": pruner or "none",
                "sampler": sampler,
                **{key: settings.pop(key) for key in study_keys if key in settings},
            },
        )
        base = (config or self.config).updated(**settings)
        head = (self.task.name, self.labels) if self.task is not None else None
        study, best = run_study(
            model_name=self.model_name,
            tokenizer_name=self.tokenizer_name,
            head=head,
            base=base,
            search=search,
            train_data=train_data,
            train_labels=train_labels,
            validation_data=validation_data,
            validation_labels=validation_labels,
            storage=storage,
            on_update=on_update,
        )
        self.bundle, self.result = best, study.best_result
        return study

    # -- using the model ---------------------------------------------------------------

    def evaluate(
        self, data: Any, labels: Any = None, *, split: str = "test", progress: bool | None = None
    ) -> EvaluationReport:
        """Score the model on labelled data.

        Args:
            data: Labelled data in any form ``fine_tune`` takes (lists, a DataFrame, a
                ``datasets.Dataset``, a file path, ``"package:NAME"``).
            labels: Its labels, when ``data`` does not carry them.
            split: What to call the data in the report.
            progress: Show a progress bar over the batches (on a terminal only); None
                follows ``config.progress``.

        Returns:
            A report that formats as a float (its accuracy: ``f"{report:.2f}"``) and prints
            the per-label precision/recall/F1 table (and entity-level scores for NER). For
            a language model and conversations: a ``GenerationReport`` (loss, perplexity,
            exact match, token F1, BLEU, ROUGE).
        """
        from open_interpreter import inference
        from open_interpreter.data.chat import looks_like_chat

        if self.task is None and looks_like_chat(data):
            self.bundle.ensure_language_model()  # score a pretrained language model as it is
        shown = self.config.progress if progress is None else progress
        examples = self._examples(data, labels, split)
        return inference.evaluate(self.bundle, examples, split, progress=shown)

    def predict(self, texts: Any) -> Any:
        """Predict labels (classification) or entities with character offsets (NER).

        Args:
            texts: A text, a list of texts, (text, pair) tuples, or pre-split token lists.

        Returns:
            One prediction for one input, a list for a list (generated answers for a
            language model: see :meth:`generate`).
        """
        from open_interpreter import inference

        if self.bundle.require_head().generative:
            return self.generate(texts)
        return inference.predict(self.bundle, texts)

    def _examples(self, data: Any, labels: Any, split: str) -> Examples:
        from open_interpreter.data.chat import to_chat_examples
        from open_interpreter.data.inputs import to_examples

        if self.bundle.require_head().generative and labels is None:
            return to_chat_examples(data, source=f"{split} data")
        return to_examples(data, labels, source=f"{split} data")

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

        self.bundle.require_head()
        return explain(self.bundle, text, method, target, steps=steps)

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

        self.bundle.require_head()
        return faithfulness(self.bundle, data, labels, **options)

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

        self.bundle.require_head()
        return robustness(
            self.bundle,
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

    # -- language models and adapters -------------------------------------------------

    def load_language_model(self) -> Any:
        """Load the model as a text generator now (``generate`` otherwise does it lazily).

        Returns:
            The loaded causal-LM or seq2seq model.

        Raises:
            ModelStateError: The model cannot generate text.
        """
        self.bundle.ensure_language_model()
        return self.model

    def generate(
        self,
        prompt: Prompt | list[Prompt],
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        repetition_penalty: float | None = None,
        stop: list[str] | None = None,
        seed: int | None = None,
        *,
        stream: bool = False,
        chat: bool | None = None,
        adapter: str | None = None,
        details: bool = False,
    ) -> str | list[str] | Completion | list[Completion] | Iterator[str]:
        """Generate an answer to a prompt, a conversation, or a list of them.

        Settings left as None come from ``config.generation`` (greedy, 128 new tokens).

        Args:
            prompt: A text; a conversation (list of ``{"role", "content"}`` messages); or
                a list of either, answered as one batch.
            max_new_tokens: Most tokens to generate.
            temperature: 0 for the likeliest tokens (greedy); above 0 samples.
            top_p: Nucleus sampling mass.
            top_k: Sample among the k likeliest tokens.
            repetition_penalty: Above 1 discourages repeats.
            stop: Strings that end the answer (they are not included).
            seed: Seed for reproducible sampling.
            stream: Return an iterator of text pieces, yielded as they are produced.
            chat: Whether a text prompt goes through the chat template (None: when the
                tokenizer has one).
            adapter: Answer with this loaded adapter (see :meth:`load_adapter`).
            details: Answer with :class:`~open_interpreter.generation.Completion` objects:
                the text, ``finish_reason`` (``"stop"``, or ``"length"`` when
                ``max_new_tokens`` cut it) and the prompt's and answer's token counts.

        Returns:
            The answer (a text), a list of answers for a list, or an iterator of pieces
            (once read to the end, its ``completion`` says how the answer ended).

        Raises:
            ModelStateError: The model cannot generate text.
            ConfigError: A setting is out of range, or ``stream=True`` with several prompts.
            DataError: A prompt is empty or malformed.

        Example:
            >>> OpenInterpreter("smollm2-135m-instruct").generate("Hi!")  # doctest: +SKIP
            'Hello! How can I help you today?'
        """
        from open_interpreter.generation import generate, generation_settings
        from open_interpreter.peft import with_adapter

        self.bundle.ensure_language_model()
        settings = generation_settings(
            self.config.generation,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            repetition_penalty=repetition_penalty,
            stop=stop,
        )

        def run() -> Any:
            return generate(
                self.model,
                self.tokenizer,
                prompt,
                settings,
                chat=chat,
                stream=stream,
                seed=seed,
                details=details,
            )

        return run() if adapter is None else with_adapter(self.model, adapter, run, lazy=stream)

    # -- adapters ----------------------------------------------------------------------

    @property
    def adapters(self) -> list[str]:
        """Names of the adapters on the model (empty without PEFT)."""
        from open_interpreter.peft import adapter_names

        return adapter_names(self.model)

    @property
    def active_adapter(self) -> str | None:
        """The adapter answering now, or None without PEFT."""
        from open_interpreter.peft import active_adapter

        return active_adapter(self.model)

    def load_adapter(self, path: str | Path, name: str) -> None:
        """Put another saved adapter on the loaded base model, under ``name``.

        The adapter must have been trained on the same base model (and, for
        classification, the same labels). Switch to it with :meth:`use_adapter`.

        Args:
            path: A directory written by :meth:`save` for a PEFT model.
            name: The name to switch to it by.

        Raises:
            ModelStateError: No model is loaded, or the adapter was trained on another base.
            LabelError: Its labels differ from the loaded model's.
            ConfigError: ``name`` is already taken.
        """
        self.bundle.add_adapter(path, name)

    def use_adapter(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Switch to the loaded adapter ``name``; as a context manager, switch back after.

        Example:
            >>> interpreter.use_adapter("legal")  # doctest: +SKIP
            >>> with interpreter.use_adapter("support"):  # doctest: +SKIP
            ...     interpreter.generate("Where is my parcel?")

        Raises:
            ModelStateError: The model has no adapters.
            ConfigError: No adapter of that name is loaded.
        """
        from open_interpreter.peft import switch_adapter

        return switch_adapter(self.model, name)

    def merge(self) -> Any:
        """Fold the active LoRA (or IA3) adapter into the base weights.

        Afterwards :meth:`save` writes a plain ``transformers`` model, and predictions are
        the same as before the merge.

        Returns:
            The merged model.

        Raises:
            ModelStateError: The model has no adapter, or it learns virtual tokens
                (prefix, prompt, p-tuning), which cannot be merged.
        """
        from open_interpreter.peft import merge_adapter

        self.model = merge_adapter(self.model)
        self.config = self.config.updated(peft=None)
        return self.model

    # -- prompting: no weight updates --------------------------------------------------

    def zero_shot(
        self,
        texts: str | Sequence[str],
        labels: Sequence[str] | Mapping[str, str | Sequence[str]],
        template: PromptTemplate | str | None = None,
        *,
        calibrate: bool = False,
        reduce: str = "sum",
        max_words: int | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> PromptPrediction | PromptPredictions:
        """Classify texts into ``labels`` with no training.

        A language model reads the prompt and each label's verbalizer words are scored by
        their log-likelihood as its answer; an encoder (``minilm-l6``) compares the text's
        embedding with each label's description. A language model computes in bf16 where
        the hardware does it natively, as ``config.precision`` (``auto``) says.

        Args:
            texts: A text or a list of texts.
            labels: Label names; or label → words that say it (a language model, e.g.
                ``{"sports": ["sport", "football"]}``) / description(s) of it (an encoder).
            template: A :class:`~open_interpreter.prompting.PromptTemplate`, Jinja2 text
                using ``{{ text }}`` (and ``{{ labels }}``), or a library name
                (``NAME[@VERSION]``). Language models only; default: a built-in one.
            calibrate: Divide out the label bias measured on content-free inputs.
            reduce: ``"sum"`` or ``"mean"`` of a multi-token word's log-probabilities.
            max_words: Cut each text to its first ``max_words`` words.
            variables: Values for the template's other variables.

        Returns:
            A prediction (``label``, ``distribution``) for a text; predictions for a list
            (``predicted_labels``, ``probabilities``, ``bias`` when calibrated).

        Raises:
            TemplateError: The template's variables do not match what it is given.
            ConfigError: Invalid labels or settings.
            ModelStateError: A seq2seq model (not supported).

        Example:
            >>> OpenInterpreter("minilm-l6").zero_shot(  # doctest: +SKIP
            ...     "Arsenal won 2-0", {"sports": "Sport: football...", "tech": "Technology..."}
            ... ).label
            'sports'
        """
        from open_interpreter.prompting.api import zero_shot

        self.bundle.ensure_loaded()
        predictions = zero_shot(
            self.model,
            self.tokenizer,
            texts,
            labels,
            template,
            calibrate=calibrate,
            reduce=reduce,  # type: ignore[arg-type]
            max_words=max_words,
            variables=variables,
            precision=self.config.precision,
        )
        return predictions[0] if isinstance(texts, str) else predictions

    def few_shot(
        self,
        texts: str | Sequence[str],
        examples: Any,
        k: int = 4,
        *,
        example_labels: Any = None,
        labels: Sequence[str] | Mapping[str, str | Sequence[str]] | None = None,
        selection: str = "nearest",
        order: str | None = None,
        template: PromptTemplate | str | None = None,
        calibrate: bool = False,
        seed: int = 0,
        max_words: int | None = None,
        demo_words: int | None = None,
    ) -> PromptPrediction | PromptPredictions:
        """In-context learning: show the language model k labelled examples before each text.

        Args:
            texts: A text or a list of texts.
            examples: Labelled examples to draw demonstrations from, in any form
                ``fine_tune`` accepts (a file, a DataFrame, ``TextExamples``, a list of
                texts with ``example_labels``).
            k: Demonstrations per prompt.
            example_labels: The labels of ``examples`` when it is a list of texts.
            labels: Label names or label → verbalizer words (default: the examples' labels).
            selection: ``nearest`` (most similar by ``minilm-l6`` embeddings), ``random``
                or ``balanced`` (the last two: the same k for every text).
            order: ``similar-last``, ``similar-first``, ``shuffled`` or ``as-selected``.
            template: As for :meth:`zero_shot`; demonstrations use it too.
            calibrate: Contextual calibration (``random``/``balanced`` selection only).
            seed: Seed of the random choices.
            max_words: Cut each text to this many words.
            demo_words: Cut each demonstration to this many words.

        Returns:
            As :meth:`zero_shot`.

        Raises:
            ModelStateError: The model is not a language model.
            DataError: Unlabelled examples, or labels the verbalizer does not know.
            ConfigError: Bad selection, order or k; calibration with nearest neighbours.

        Example:
            >>> lm = OpenInterpreter("smollm2-135m-instruct")  # doctest: +SKIP
            >>> lm.few_shot("Great match!", train_texts, k=4, example_labels=train_labels)
            ... # doctest: +SKIP
        """
        from open_interpreter.data.inputs import to_examples
        from open_interpreter.prompting.api import few_shot

        self.bundle.ensure_loaded()
        pool = to_examples(examples, example_labels, require_labels=True, source="examples")
        predictions = few_shot(
            self.model,
            self.tokenizer,
            texts,
            pool,  # type: ignore[arg-type]
            k,
            labels=labels,
            selection=selection,  # type: ignore[arg-type]
            order=order,  # type: ignore[arg-type]
            template=template,
            calibrate=calibrate,
            seed=seed,
            max_words=max_words,
            demo_words=demo_words,
            precision=self.config.precision,
        )
        return predictions[0] if isinstance(texts, str) else predictions

    def extract_entities(
        self,
        texts: str | Sequence[str],
        types: Sequence[str],
        *,
        template: PromptTemplate | str | None = None,
        retries: int = 1,
        max_new_tokens: int = 128,
    ) -> Extraction | list[Extraction]:
        """Ask a generative model for the named entities of each text, as JSON, and locate them.

        Args:
            texts: A text or a list of texts.
            types: Entity types to find, e.g. ``["person", "location", "organisation"]``.
            template: The request, using ``{{ text }}`` and ``{{ types }}``.
            retries: How many times an unreadable answer is asked again.
            max_new_tokens: Longest answer.

        Returns:
            An :class:`~open_interpreter.prompting.Extraction` per text: entities with
            character spans, the raw answer, and ``error`` when it could not be read.

        Raises:
            ModelStateError: The model cannot generate text.
            ConfigError: No types.

        Example:
            >>> OpenInterpreter("smollm2-135m-instruct").extract_entities(  # doctest: +SKIP
            ...     "Ada Lovelace was born in London.", ["person", "location"]).entities
        """
        from open_interpreter.prompting.api import as_template
        from open_interpreter.prompting.extraction import extract_entities

        self.bundle.ensure_language_model()
        results = extract_entities(
            self.model,
            self.tokenizer,
            [texts] if isinstance(texts, str) else list(texts),
            types,
            template=as_template(template),
            retries=retries,
            max_new_tokens=max_new_tokens,
        )
        return results[0] if isinstance(texts, str) else results

    # -- saving ------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Save the model as a directory plain ``transformers`` can load, with its card."""
        return self.bundle.save(path)

    def push_to_hub(
        self,
        repo_id: str,
        *,
        token: str | None = None,
        private: bool | None = None,
        endpoint: str | None = None,
        commit_message: str | None = None,
    ) -> str:
        """Save the model and upload it to the Hugging Face Hub as one commit.

        What goes up is what :meth:`save` writes: the weights (or the adapter), the
        tokenizer, ``oi_model.json`` and the card, whose metadata header (library,
        pipeline tag, base model, datasets, scores) the Hub lists and filters by.

        Args:
            repo_id: ``owner/name``; the repository is created if it does not exist.
            token: A token with write access; default ``HF_TOKEN`` or ``hf auth login``'s.
            private: Create the repository private.
            endpoint: A Hub-compatible server; default ``HF_ENDPOINT`` or huggingface.co.
            commit_message: The commit's message.

        Returns:
            The commit's address.

        Raises:
            HubError: The Hub refused (token, access, card) or could not be reached.

        Example:
            >>> interpreter.push_to_hub("me/wnut16-ner")  # doctest: +SKIP
        """
        import tempfile

        from open_interpreter.bundle.hub import push_directory

        with tempfile.TemporaryDirectory(prefix="oi-push-") as folder:
            saved = self.save(Path(folder) / repo_id.rsplit("/", 1)[-1][:96])
            return push_directory(
                saved,
                repo_id,
                token=token,
                private=private,
                endpoint=endpoint,
                commit_message=commit_message,
            )

    def export(
        self,
        path: str | Path,
        format: str = "onnx",
        quantize: str | None = None,
        *,
        parity_texts: list[Any] | None = None,
        parity_data: Any = None,
        parity_labels: Any = None,
    ) -> ExportReport:
        """Export the model to ONNX, to predict without torch (``OnnxModel.load(path)``).

        The export is kept only if fp32 ONNX logits are within 1e-4 of PyTorch's on a
        sample (``parity_data``, else ``parity_texts``, else a few built-in texts) and, for
        int8 with labelled ``parity_data``, its accuracy (entity F1 for NER) is at most one
        point lower; otherwise nothing is written. A LoRA or IA3 adapter is merged first.

        Args:
            path: The directory to write (new, empty, or an earlier export).
            format: ``"onnx"``, the only format so far.
            quantize: None for fp32, ``"int8"`` for ONNX Runtime dynamic quantisation.
            parity_texts: Inputs, as :meth:`predict` takes them, to check parity on.
            parity_data: Labelled data, as :meth:`evaluate` takes it, to check parity on.
            parity_labels: The labels of ``parity_data`` when it is a list.

        Returns:
            The directory written, its size and the parity figures (also in its
            ``export.json`` and ``README.md``).

        Raises:
            ExportError: A generative model or a virtual-token adapter (no export yet), or
                a parity check failed.
            ConfigError: An unknown ``format`` or ``quantize``, or ``path`` holds other files.

        Example:
            >>> interpreter.export("exports/ner-int8", quantize="int8")  # doctest: +SKIP
        """
        from open_interpreter.errors import ConfigError
        from open_interpreter.export import export_onnx

        if format != "onnx":
            raise ConfigError(f"format must be 'onnx', got {format=}")
        return export_onnx(
            self.bundle,
            path,
            quantize=quantize,
            parity_texts=parity_texts,
            parity_data=parity_data,
            parity_labels=parity_labels,
        )

    @classmethod
    def load(cls, path: str | Path) -> OpenInterpreter:
        """Load a model saved by :meth:`save` or ``oi train``."""
        return cls.from_bundle(ModelBundle.load(path))

    def __repr__(self) -> str:
        task = self.task.name if self.task else "no task yet"
        return f"OpenInterpreter(model={self.model_name!r}, task={task!r}, labels={self.labels})"
