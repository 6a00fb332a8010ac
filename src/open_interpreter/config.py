"""One typed configuration for a fine-tuning run.

The same :class:`FineTuneConfig` is the Python keyword arguments of
``OpenInterpreter.fine_tune``, the YAML file of ``oi train``, its ``key=value``
overrides, and the ``training_config.json`` stored with a saved model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from open_interpreter.errors import ConfigError

SchemaT = TypeVar("SchemaT", bound=BaseModel)

Task = Literal[
    "auto",
    "sequence-classification",
    "sentence-pair",
    "token-classification",
    "causal-lm",
    "seq2seq",
]
PeftMethod = Literal["lora", "qlora", "ia3", "prefix-tuning", "prompt-tuning", "p-tuning"]
Optimizer = Literal["adamw", "sgd"]
Schedule = Literal["linear", "cosine", "constant"]
Precision = Literal["auto", "bf16", "fp32"]
Freeze = Literal["none", "embeddings", "backbone", "top-n"]
Tracker = Literal["tensorboard", "mlflow"]
PerturbationName = Literal[
    "char-swap",
    "char-drop",
    "char-insert",
    "keyboard-typo",
    "case-change",
    "punctuation-removal",
    "word-dropout",
    "word-shuffle",
    "neighbour-substitution",
    "entity-swap",
]


class DataConfig(BaseModel):
    """Where a run's data comes from when it is read from files (YAML / CLI)."""

    model_config = ConfigDict(extra="forbid")

    train: str | None = Field(
        None, description="Training file (CSV, TSV, JSONL, CoNLL) or package:NAME (packaged data)."
    )
    validation: str | None = Field(None, description="Validation file, same format.")
    test: str | None = Field(None, description="Test file, same format.")
    format: Literal["auto", "csv", "tsv", "jsonl", "conll"] = Field(
        "auto", description="File format; 'auto' guesses from the extension and contents."
    )
    text_column: str = Field("text", description="Column holding the text (CSV/TSV/JSONL).")
    text_pair_column: str | None = Field(
        None, description="Second text column, for sentence-pair tasks."
    )
    label_column: str = Field("label", description="Column holding the label.")
    validation_split: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Fraction of train held out for validation when no validation file is given.",
    )
    test_split: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Fraction of train held out as test data when no test file is given.",
    )
    limit: int | None = Field(
        None, gt=0, description="Use only the first N training examples (quick runs)."
    )
    eval_limit: int | None = Field(
        None,
        gt=0,
        description="Score only the first N validation and test examples (quick runs).",
    )


class PeftSettings(BaseModel):
    """Parameter-efficient fine-tuning: train a small adapter (and the task head) only.

    Set it as ``fine_tune(..., peft={"method": "lora", "r": 16})``, a ``peft:`` section in
    YAML, or ``peft.method=lora`` on the command line. Fields a method does not use are
    ignored (``r`` means nothing to prompt tuning).
    """

    model_config = ConfigDict(extra="forbid")

    method: PeftMethod = Field(
        "lora",
        description="lora; qlora (LoRA on a 4-bit base: needs CUDA and bitsandbytes); ia3; "
        "prefix-tuning (decoder and seq2seq models); prompt-tuning; p-tuning.",
    )
    r: int = Field(8, gt=0, description="LoRA rank: the width of the low-rank update.")
    alpha: float = Field(
        16, gt=0, description="LoRA scaling: the update is multiplied by alpha / r."
    )
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA input.")
    target_modules: list[str] | Literal["all-linear"] | None = Field(
        None,
        description="Layers that get adapters (LoRA, IA3), by name suffix, e.g. [query, value]; "
        "None picks them for the architecture (attention projections); 'all-linear' takes "
        "every linear layer but the output head.",
    )
    modules_to_save: list[str] | None = Field(
        None,
        description="Extra layers trained in full and saved with the adapter; the task head "
        "is always among them.",
    )
    num_virtual_tokens: int = Field(
        20, gt=0, description="Prefix, prompt and p-tuning: learned virtual tokens."
    )
    prompt_init_text: str | None = Field(
        None,
        description="Prompt tuning: start the virtual tokens from this text's embeddings "
        "instead of random ones.",
    )
    encoder_hidden_size: int = Field(
        128, gt=0, description="P-tuning: hidden size of the prompt encoder."
    )


class GenerationSettings(BaseModel):
    """How text is generated: the defaults of ``generate()`` and of generative evaluation."""

    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int = Field(128, gt=0, description="Most tokens to generate per answer.")
    temperature: float = Field(
        0.0, ge=0, description="0 picks the likeliest token (greedy); above 0 samples."
    )
    top_p: float = Field(1.0, gt=0, le=1, description="Sample from the top-p probability mass.")
    top_k: int | None = Field(None, gt=0, description="Sample from the k likeliest tokens.")
    repetition_penalty: float = Field(
        1.0, gt=0, description="Above 1 discourages repeating tokens."
    )
    stop: list[str] = Field(
        default_factory=list, description="Stop as soon as one of these strings is generated."
    )
    eval_examples: int = Field(
        32,
        ge=0,
        description="Validation/test examples answered by generation to score exact match, "
        "token F1, BLEU and ROUGE (greedy); 0 scores the loss only.",
    )


class AugmentSettings(BaseModel):
    """Robust fine-tuning: train on the training split plus perturbed copies of it.

    Set it as ``fine_tune(..., augment={"perturbations": ["char-swap", "word-dropout"]})``,
    an ``augment:`` section in YAML, or ``augment.perturbations=[char-swap]`` on the command
    line. Validation and test data are never perturbed. The perturbations are those of
    ``oi robustness`` (see docs/analysis.md).
    """

    model_config = ConfigDict(extra="forbid")

    perturbations: list[PerturbationName] = Field(
        default_factory=list,
        description="Perturbations to draw from; each perturbed copy of an example gets one, "
        "drawn with the run's seed. Empty (the default) turns augmentation off.",
    )
    rate: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Chance that each eligible word (window of three words for word-shuffle, "
        "entity for entity-swap) is perturbed.",
    )
    copies: int = Field(1, ge=1, le=10, description="Perturbed copies added per training example.")


DATA_KEYWORDS = (
    "limit",
    "eval_limit",
    "validation_split",
    "test_split",
    "text_column",
    "label_column",
    "text_pair_column",
)
"""``data`` settings that ``fine_tune`` also takes as plain keywords (``limit=300``), as
YAML and ``oi train`` take ``data.limit``; the files themselves are its arguments."""


class DistributedSettings(BaseModel):
    """How many processes train together (torch.distributed), and how; see docs/scale-out.md."""

    model_config = ConfigDict(extra="forbid")

    processes: int = Field(1, ge=1, description="Training processes per machine (torchrun).")
    nnodes: int = Field(1, ge=1, description="Machines taking part; each runs the same command.")
    rdzv_endpoint: str | None = Field(
        None, description="HOST:PORT where the machines meet (needed when nnodes > 1)."
    )
    node_rank: int | None = Field(
        None,
        ge=0,
        description="This machine's number, 0 to nnodes - 1: machine 0 serves rdzv_endpoint "
        "and runs global rank 0, which saves. Unset: numbered as the machines meet.",
    )
    backend: Literal["auto", "gloo", "nccl"] = Field(
        "auto", description="auto: nccl on CUDA, else gloo."
    )
    strategy: Literal["ddp", "fsdp"] = Field(
        "ddp", description="ddp: a full copy per process; fsdp: weights sharded (torch FSDP2)."
    )
    timeout_s: float = Field(
        1800, gt=0, description="Seconds a process waits for the others before failing."
    )

    @model_validator(mode="after")
    def _check(self) -> DistributedSettings:
        if self.nnodes > 1 and not self.rdzv_endpoint:
            raise ValueError("distributed.nnodes > 1 needs distributed.rdzv_endpoint (HOST:PORT)")
        if self.node_rank is not None and self.node_rank >= self.nnodes:
            raise ValueError(
                f"distributed.node_rank {self.node_rank} is not below nnodes {self.nnodes}"
            )
        return self


class FineTuneConfig(BaseModel):
    """Every setting of a fine-tuning run, with the defaults we recommend."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str = Field("minilm-l6", description="Base model: alias, local path or Hub name.")
    task: Task = Field(
        "auto",
        description="What to train; 'auto' decides from the labels: per-token tag lists "
        "mean token classification, one label per text means sequence classification.",
    )
    data: DataConfig = Field(default_factory=DataConfig, description="Files to read (CLI).")
    labels: list[str] | None = Field(
        None,
        description="Classification and NER: every label the head predicts, in its order "
        "(at least 2). Default: the training data's labels, sorted. List them to fix the "
        "order, or to give labels that the training split lacks (rare ones) an output.",
    )
    output_dir: str | None = Field(None, description="Where to save the fine-tuned model.")

    optimizer: Optimizer = Field("adamw", description="adamw, or sgd with momentum.")
    learning_rate: float = Field(5e-5, gt=0, description="Peak learning rate.")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum.")
    weight_decay: float = Field(
        0.01, ge=0, description="Decoupled weight decay (not on norms, biases)."
    )
    batch_size: int = Field(
        16, gt=0, description="Examples per optimizer step (before accumulation)."
    )
    eval_batch_size: int = Field(64, gt=0, description="Examples per batch when evaluating.")
    epochs: float = Field(3, gt=0, description="Passes over the training data.")
    max_steps: int | None = Field(
        None, gt=0, description="Stop after this many steps (overrides epochs)."
    )
    gradient_accumulation_steps: int = Field(
        1, ge=1, description="Batches summed per optimizer step."
    )
    warmup_ratio: float = Field(0.1, ge=0, lt=1, description="Fraction of steps spent warming up.")
    schedule: Schedule = Field("linear", description="Learning-rate decay after warmup.")
    max_grad_norm: float | None = Field(1.0, gt=0, description="Clip gradients to this norm.")
    max_length: int = Field(256, ge=8, description="Longest input in sub-word tokens.")
    dropout: float | None = Field(None, ge=0, lt=1, description="Override the model's dropout.")
    freeze: Freeze = Field("none", description="none, embeddings, backbone, or top-n.")
    trainable_top_layers: int = Field(
        2, ge=0, description="With freeze=top-n: layers left trainable."
    )

    eval_every_epoch: bool = Field(
        True, description="Evaluate on validation data after each epoch."
    )
    early_stopping_metric: str | None = Field(
        None, description="Validation metric to watch, e.g. 'entity_f1', 'macro_f1', 'loss'."
    )
    early_stopping_patience: int = Field(2, ge=1, description="Evaluations without improvement.")
    restore_best: bool = Field(True, description="Load the best validation checkpoint at the end.")
    checkpoint_every: int | None = Field(
        None, gt=0, description="Save a resumable checkpoint every N steps."
    )
    resume_from: str | None = Field(None, description="Checkpoint directory to resume from.")

    seed: int = Field(42, description="Seed for weights, shuffling and dropout.")
    precision: Precision = Field(
        "auto", description="auto: bf16 autocast where supported, else fp32."
    )
    group_by_length: bool = Field(True, description="Batch examples of similar length together.")
    num_threads: int | None = Field(
        None, gt=0, description="CPU threads for torch (default: all cores)."
    )
    progress: bool = Field(True, description="Show a progress bar with loss, throughput and ETA.")
    trust_remote_code: bool = Field(
        False, description="Allow model code from the Hub (off by default)."
    )
    peft: PeftSettings | None = Field(
        None, description="Parameter-efficient fine-tuning (LoRA...); None trains every weight."
    )
    packing: bool = Field(
        False,
        description="causal-lm: pack several short examples into each max_length sequence.",
    )
    generation: GenerationSettings = Field(
        default_factory=GenerationSettings, description="Text generation (generative tasks)."
    )
    augment: AugmentSettings = Field(
        default_factory=AugmentSettings,
        description="Perturbation-augmented (robust) fine-tuning; off unless perturbations "
        "are listed.",
    )
    distributed: DistributedSettings = Field(
        default_factory=DistributedSettings,
        description="Train in several processes (DDP/FSDP under torchrun); distributed=N "
        "is processes=N.",
    )
    report_to: list[Tracker] = Field(
        default_factory=list,
        description="Also log loss, learning rate and validation metrics to these trackers: "
        "tensorboard (pip install tensorboard; logs beside output_dir) and/or mlflow "
        "(pip install mlflow; MLFLOW_TRACKING_URI says where).",
    )

    @field_validator("peft", mode="before")
    @classmethod
    def _peft_shorthand(cls, value: Any) -> Any:
        # `peft=lora` (CLI) and `peft: lora` (YAML) mean the method with its defaults.
        return {"method": value} if isinstance(value, str) else value

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_as_names(cls, value: Any) -> Any:
        # Integer labels (YAML `labels: [0, 1]`) name their classes as the data's do: "0", "1".
        if isinstance(value, (list, tuple)):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("labels")
    @classmethod
    def _labels_make_a_head(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip() for name in value]
        if any(not name for name in names):
            raise ValueError(f"labels must be non-empty names, got {value}")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"labels must be unique, got {repeated} more than once")
        if len(names) < 2:
            raise ValueError(f"labels must list at least 2 labels for a classifier, got {names}")
        return names

    @field_validator("distributed", mode="before")
    @classmethod
    def _distributed_shorthand(cls, value: Any) -> Any:
        # `distributed=2` means two processes with the defaults.
        if isinstance(value, int) and not isinstance(value, bool):
            return {"processes": value}
        return value

    @field_validator("report_to", mode="before")
    @classmethod
    def _report_to_shorthand(cls, value: Any) -> Any:
        # `report_to=tensorboard` means a list of one.
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> FineTuneConfig:
        if self.data.validation_split + self.data.test_split >= 1:
            raise ValueError("data.validation_split + data.test_split must be below 1")
        if self.early_stopping_metric is not None and not self.eval_every_epoch:
            raise ValueError("early_stopping_metric needs eval_every_epoch=true")
        if self.peft is not None and self.freeze != "none":
            raise ValueError(
                f"freeze={self.freeze!r} cannot be combined with peft: PEFT already freezes "
                "everything but the adapter and the task head"
            )
        return self

    @classmethod
    def build(cls, values: dict[str, Any]) -> FineTuneConfig:
        """Validate ``values`` into a config, turning pydantic errors into one clear ConfigError."""
        return validated(cls, values)

    def updated(self, **changes: Any) -> FineTuneConfig:
        """Return a copy with ``changes`` applied and validated.

        The ``data`` settings of :data:`DATA_KEYWORDS` may be given at the top level, as
        ``fine_tune`` takes them: ``updated(limit=300)`` sets ``data.limit``.
        """
        merged = self.model_dump()
        for key, value in _data_keywords_moved(changes).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return FineTuneConfig.build(merged)


def _data_keywords_moved(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with the top-level :data:`DATA_KEYWORDS` moved under ``data``."""
    moved = {key: changes[key] for key in DATA_KEYWORDS if key in changes}
    if not moved:
        return changes
    data = changes.get("data") or {}
    data = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
    rest = {key: value for key, value in changes.items() if key not in moved}
    return {**rest, "data": {**data, **moved}}


def validated(schema: type[SchemaT], values: dict[str, Any]) -> SchemaT:
    """``values`` validated as ``schema``; pydantic's errors become one clear ConfigError."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, schema)) from None


def describe_validation_error(exc: ValidationError, schema: type[BaseModel] | None = None) -> str:
    """One line per bad field, naming it as the user typed it (``data.train``).

    Args:
        exc: What pydantic raised.
        schema: The model that was validated; with it, an unknown setting comes with the
            known ones spelled most like it (``unknown setting 'epoch' (did you mean
            'epochs'?)``).
    """
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "config"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown setting {field!r}{_suggestion(schema, err['loc'])}")
        elif err["type"] == "value_error":
            parts.append(str(err["ctx"]["error"]))
        else:
            parts.append(f"{field}: {err['msg']} (got {err.get('input')!r})")
    return "invalid configuration: " + "; ".join(parts)


def _suggestion(schema: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    """`` (did you mean 'data.limit'?)`` for an unknown setting at ``loc``, or ``""``."""
    from open_interpreter.wording import close_matches

    *parents, leaf = [str(part) for part in loc]
    section = schema
    for parent in parents:
        section = _section(section, parent)
    if section is None:
        return ""
    known = {name: ".".join([*parents, name]) for name in section.model_fields}
    if section is FineTuneConfig:  # a data setting put at the top: point into data
        known.update({name: f"data.{name}" for name in DataConfig.model_fields})
        known.update({name: name for name in FineTuneConfig.model_fields})
    matches = [repr(known[name]) for name in close_matches(leaf, known)]
    return f" (did you mean {' or '.join(matches)}?)" if matches else ""


def _section(schema: type[BaseModel] | None, name: str) -> type[BaseModel] | None:
    """The settings model of field ``name`` of ``schema`` (``peft`` → PeftSettings)."""
    import typing

    field = schema.model_fields.get(name) if schema is not None else None
    if field is None:
        return None
    for kind in (field.annotation, *typing.get_args(field.annotation)):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind
    return None


def load_config(path: str | Path, overrides: list[str] | None = None) -> FineTuneConfig:
    """Read a YAML run file and apply ``key=value`` overrides (dotted keys reach nested ones).

    Args:
        path: A YAML file whose keys are :class:`FineTuneConfig` fields.
        overrides: Strings such as ``learning_rate=3e-5`` or ``data.limit=500``.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The file is missing or not YAML, or a value is invalid.

    Example:
        >>> load_config("examples/conll2003_ner.yaml", ["epochs=1"])  # doctest: +SKIP
    """
    return FineTuneConfig.build(read_settings(path, overrides))


def read_settings(
    path: str | Path, overrides: list[str] | None = None, **defaults: Any
) -> dict[str, Any]:
    """The settings of a YAML file (``defaults`` for keys it lacks), with ``key=value``
    overrides applied.

    Raises:
        ConfigError: The file is missing, not YAML, or not a mapping; a bad override.
    """
    import yaml

    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, got {type(values).__name__}")
    values = {**defaults, **values}
    for item in overrides or []:
        apply_override(values, item)
    return values


def apply_override(values: dict[str, Any], item: str) -> None:
    """Apply one ``key=value`` override in place; the value is parsed as YAML (3e-5, true, null)."""
    import yaml

    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"override must look like key=value, got {item!r}")
    target = values
    *parents, leaf = key.strip().split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
        if not isinstance(target, dict):
            raise ConfigError(f"cannot set {key!r}: {parent!r} is not a section")
    target[leaf] = yaml.safe_load(raw) if raw.strip() else None
