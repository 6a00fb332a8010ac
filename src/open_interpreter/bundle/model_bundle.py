"""``ModelBundle``: what a model is, together — weights, tokenizer, task, labels, settings.

Every workflow (training, inference, analysis, export, serving) takes and returns a
bundle; the ``OpenInterpreter`` facade holds one and delegates. A bundle saves to and
loads from one directory format (:mod:`open_interpreter.bundle.directory`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from open_interpreter.bundle.directory import (
    MANIFEST,
    TRAINING_CONFIG,
    load_base,
    read_manifest,
    write_saved_model,
)
from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import LabelError, ModelStateError
from open_interpreter.tasks import Task, get_task, language_task

logger = logging.getLogger("open_interpreter")


@dataclass(eq=False)
class ModelBundle:
    """A model with everything needed to use it: tokenizer, task, labels and settings.

    Attributes:
        model_name: The pretrained model it starts from (alias, directory or Hub name);
            for an adapter, the base model the adapter goes on.
        tokenizer_name: Where the tokenizer comes from (default: the model's own).
        config: The run's :class:`~open_interpreter.config.FineTuneConfig`.
        model: The loaded ``transformers`` (or ``peft``) model, None until loaded.
        tokenizer: The loaded fast tokenizer, None until loaded.
        task: What the model does, None until settled (by training data or a head).
        labels: The head's labels in id order ([] for a language model).
        has_head: Whether the model carries its task's (trained or fresh) head.
        data_info: Where each split came from, for the model card.
        metrics: The training run's results (``FineTuneResult.to_dict()``), if any.
        path: The directory it was loaded from, if any.

    Example:
        >>> bundle = ModelBundle.load("my-ner-model")  # doctest: +SKIP
        >>> bundle.task.name, bundle.labels[:3]  # doctest: +SKIP
        ('token-classification', ['O', 'B-LOC', 'I-LOC'])
    """

    model_name: str
    tokenizer_name: str | None = None
    config: FineTuneConfig = field(default_factory=FineTuneConfig)
    model: Any = None
    tokenizer: Any = None
    task: Task | None = None
    labels: list[str] | None = None
    has_head: bool = False
    data_info: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        self.tokenizer_name = self.tokenizer_name or self.model_name

    # -- loading -----------------------------------------------------------------------

    def load_model(self, model_name: str | None = None) -> Any:
        """Resolve ``model_name`` (default: :attr:`model_name`) offline-first and load it,
        without a task head (language models keep their language-modelling head).

        Raises:
            ModelNotFoundError: The name resolves nowhere; the message lists what was tried.
        """
        from open_interpreter.models.loading import load_pretrained
        from open_interpreter.models.resolve import resolve_model

        self.model_name = model_name or self.model_name
        resolved = resolve_model(self.model_name)
        logger.info("model %s: %s (%s)", self.model_name, resolved.path, resolved.source)
        self.model = load_pretrained(resolved.path, trust_remote_code=self.config.trust_remote_code)
        self.has_head = False
        return self.model

    def load_tokenizer(self, tokenizer_name: str | None = None) -> Any:
        """Resolve and load the fast tokenizer ``tokenizer_name`` (default: the model's)."""
        from open_interpreter.models.loading import load_tokenizer
        from open_interpreter.models.resolve import resolve_tokenizer

        self.tokenizer_name = tokenizer_name or self.tokenizer_name
        resolved = resolve_tokenizer(self.tokenizer_name or self.model_name)
        self.tokenizer = load_tokenizer(
            resolved.path, trust_remote_code=self.config.trust_remote_code
        )
        return self.tokenizer

    def ensure_loaded(self) -> None:
        """Load the model and the tokenizer if they are not loaded yet."""
        if self.model is None:
            self.load_model()
        if self.tokenizer is None:
            self.load_tokenizer()

    def ensure_language_model(self) -> None:
        """Load the model and tokenizer if needed; settle a generative task for a bare LM.

        Raises:
            ModelStateError: The model cannot generate text (an encoder or a classifier).
        """
        self.ensure_loaded()
        if self.task is None:
            self.task, self.labels, self.has_head = language_task(self.model), [], True
        elif not self.task.generative:
            raise ModelStateError(
                f"this is a {self.task.name} model: it predicts labels (predict()), it does "
                "not generate text"
            )

    # -- heads -------------------------------------------------------------------------

    def set_head(self, task: str, labels: list[str] | None) -> None:
        """Ask for a ``task`` head; it is built now when ``labels`` are given, else once the
        training data says what the labels are."""
        self.task = get_task(task)
        self.labels = [str(label) for label in labels] if labels is not None else None
        self.has_head = False
        if self.labels is not None:
            self.build_head()

    def build_head(self) -> None:
        """Put a freshly initialised head for :attr:`task` and :attr:`labels` on the model
        (loading the model first if needed); a language model keeps its own head."""
        from open_interpreter.models.loading import add_head
        from open_interpreter.models.resolve import resolve_model
        from open_interpreter.peft import load_four_bit
        from open_interpreter.runtime import seed_everything

        if self.task is None or self.labels is None:
            raise ModelStateError("build_head() needs a task and its labels")
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
        self.has_head = True

    def require_head(self) -> Task:
        """The bundle's task, once the model has its head.

        Raises:
            ModelStateError: No head yet.
        """
        if not self.has_head or self.task is None:
            raise ModelStateError(
                "the model has no trained head yet: call fine_tune(...) first, "
                "or OpenInterpreter.load(path) for a saved model"
            )
        return self.task

    def max_length(self) -> int:
        """The configured ``max_length``, cut to what the model can take (its positions)."""
        from open_interpreter.models.loading import context_length

        limit = context_length(self.model, self.tokenizer)
        configured = self.config.max_length
        return configured if limit is None else min(configured, limit)

    # -- adapters ----------------------------------------------------------------------

    def add_adapter(self, path: str | Path, name: str) -> None:
        """Put another saved adapter on the loaded base model, under ``name``.

        Raises:
            ModelStateError: No model is loaded, or the adapter was trained on another base.
            LabelError: Its labels differ from the loaded model's.
            ConfigError: ``name`` is already taken.
        """
        from open_interpreter.peft import load_adapter

        if self.model is None:
            raise ModelStateError("load a model first, e.g. OpenInterpreter.load(adapter_dir)")
        manifest = read_manifest(Path(path))
        base = manifest.get("adapter", {}).get("base_model")
        if base is None:
            raise ModelStateError(f"{path} holds a whole model, not an adapter")
        if base != self.model_name:
            raise ModelStateError(
                f"the adapter in {path} was trained on {base!r}, but the loaded base is "
                f"{self.model_name!r}"
            )
        if list(manifest["labels"]) != list(self.labels or []):
            raise LabelError(
                f"the adapter in {path} predicts {manifest['labels']}, "
                f"the loaded model {self.labels}"
            )
        self.model = load_adapter(self.model, Path(path), name)

    # -- the directory -----------------------------------------------------------------

    def manifest(self, name: str) -> dict[str, Any]:
        """What ``oi_model.json`` says of this bundle (saved as ``name``)."""
        from open_interpreter.peft import adapter_method, count_parameters, is_peft_model

        task = self.require_head()
        manifest: dict[str, Any] = {
            "name": name,
            "task": task.name,
            "auto_class": task.auto_class,
            "labels": self.labels,
            "base_model": self.model_name,
            "data": self.data_info,
        }
        if is_peft_model(self.model):
            peft = self.config.peft
            # A QLoRA adapter is a LoRA adapter; the base it goes on is loaded in 4-bit again.
            qlora = peft is not None and peft.method == "qlora"
            manifest["adapter"] = {
                "method": "qlora" if qlora else adapter_method(self.model),
                "name": self.model.active_adapter,
                "base_model": self.model_name,
                "parameters": count_parameters(self.model).to_dict(),
            }
        return manifest

    def save(self, path: str | Path) -> Path:
        """Save the bundle as a directory plain ``transformers`` can load, with its card.

        Returns:
            The directory written (atomically: a temporary folder, then a rename).

        Raises:
            ModelStateError: The model has no head yet.
            ConfigError: ``path`` holds other files.
        """
        path = Path(path)
        if self.model is not None and self.tokenizer is None:  # a head added, nothing run yet
            self.load_tokenizer()
        return write_saved_model(
            path,
            model=self.model,
            tokenizer=self.tokenizer,
            manifest=self.manifest(path.name),
            training_config=self.config.model_dump(mode="json"),
            metrics=self.metrics,
        )

    @classmethod
    def load(cls, path: str | Path) -> ModelBundle:
        """Load a directory written by :meth:`save` (or ``oi train``), ready to use.

        An adapter directory loads the base model it names (offline first), then the adapter.

        Raises:
            ModelNotFoundError: ``path`` is not a saved model, or its base model resolves nowhere.
        """
        from open_interpreter.models.loading import load_with_head
        from open_interpreter.peft import PROMPT_LEARNING, load_adapter

        path = Path(path)
        manifest = read_manifest(path)
        bundle = cls.described_by(path, manifest)
        adapter = manifest.get("adapter")
        if adapter is not None:
            model = load_base(manifest, trust_remote_code=bundle.config.trust_remote_code)
            # peft loads virtual-token adapters for inference only; weight adapters stay trainable.
            trainable = adapter["method"] not in PROMPT_LEARNING
            bundle.model = load_adapter(
                model, path, adapter.get("name", "default"), trainable=trainable
            )
        else:
            bundle.model = load_with_head(
                path, manifest["auto_class"], trust_remote_code=bundle.config.trust_remote_code
            )
        bundle.model.eval()
        return bundle

    @classmethod
    def sharing(cls, path: str | Path, model: Any) -> ModelBundle:
        """The bundle of the adapter saved in ``path``, answering with ``model``: a base
        shared by several adapters (the caller switches it to this adapter before each use).

        Raises:
            ModelNotFoundError: ``path`` is not a saved model.
            ModelStateError: It holds a whole model, not an adapter.
        """
        path = Path(path)
        manifest = read_manifest(path)
        if "adapter" not in manifest:
            raise ModelStateError(f"{path} holds a whole model, not an adapter")
        bundle = cls.described_by(path, manifest)
        bundle.model = model
        return bundle

    @classmethod
    def described_by(cls, path: Path, manifest: dict[str, Any]) -> ModelBundle:
        """Everything of the saved model in ``path`` but its weights (tokenizer loaded)."""
        from open_interpreter.models.loading import load_tokenizer

        config_file = path / TRAINING_CONFIG
        config = (
            FineTuneConfig.build(json.loads(config_file.read_text(encoding="utf-8")))
            if config_file.is_file()
            else FineTuneConfig(model=str(path))
        )
        adapter = manifest.get("adapter")
        return cls(
            model_name=adapter["base_model"] if adapter else str(path),
            tokenizer_name=str(path),
            config=config,
            tokenizer=load_tokenizer(path, trust_remote_code=config.trust_remote_code),
            task=get_task(manifest["task"]),
            labels=list(manifest["labels"]),
            has_head=True,
            data_info=manifest.get("data", {}),
            path=path,
        )

    @staticmethod
    def is_saved(path: str | Path) -> bool:
        """Whether ``path`` is a directory written by :meth:`save`."""
        return (Path(path) / MANIFEST).is_file()
