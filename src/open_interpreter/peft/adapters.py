"""Put adapters on a model, count what trains, merge them, and keep several on one base.

Everything here is a thin layer over the ``peft`` library: its configs, ``get_peft_model``,
``PeftModel.load_adapter`` / ``set_adapter`` and ``merge_and_unload``. What this layer
adds is the choice of settings per task and architecture, and errors that say what to do.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from open_interpreter.config import PeftSettings
from open_interpreter.errors import ConfigError, ModelStateError
from open_interpreter.peft.targets import default_target_modules

logger = logging.getLogger(__name__)

PEFT_TASK_TYPES = {
    "sequence-classification": "SEQ_CLS",
    "sentence-pair": "SEQ_CLS",
    "token-classification": "TOKEN_CLS",
    "causal-lm": "CAUSAL_LM",
    "seq2seq": "SEQ_2_SEQ_LM",
}
"""``peft``'s task type for each of our tasks (it decides how the head is kept trainable)."""

PROMPT_LEARNING = frozenset({"prefix-tuning", "prompt-tuning", "p-tuning"})
"""Methods that learn virtual tokens instead of changing weights: they cannot be merged."""


@dataclass(frozen=True)
class ParameterCount:
    """How many of a model's parameters train, and how many there are in all."""

    trainable: int
    total: int

    @property
    def percent(self) -> float:
        """Trainable parameters as a percentage of all parameters."""
        return 100.0 * self.trainable / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.trainable:,} of {self.total:,} parameters trainable ({self.percent:.2f}%)"

    def to_dict(self) -> dict[str, float]:
        """``{"trainable", "total", "percent"}`` for JSON."""
        return {"trainable": self.trainable, "total": self.total, "percent": self.percent}


def is_peft_model(model: Any) -> bool:
    """Whether ``model`` carries ``peft`` adapters."""
    return hasattr(model, "peft_config") and hasattr(model, "active_adapter")


def count_parameters(model: Any) -> ParameterCount:
    """Count trainable and total parameters (4-bit weights counted as their real size).

    Example:
        >>> str(count_parameters(peft_model))  # doctest: +SKIP
        '148,617 of 22,861,833 parameters trainable (0.65%)'
    """
    if is_peft_model(model):
        return ParameterCount(*model.get_nb_trainable_parameters())
    params = list(model.parameters())
    return ParameterCount(
        sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
    )


def peft_config(settings: PeftSettings, task: str, model: Any, tokenizer: Any = None) -> Any:
    """Build the ``peft`` config for ``settings`` on ``model`` for ``task``.

    Args:
        settings: The run's ``peft`` section.
        task: Our task name (``"token-classification"``...).
        model: The model with its task head.
        tokenizer: Its tokenizer (prompt tuning initialised from text needs its path).

    Returns:
        A ``LoraConfig``, ``IA3Config``, ``PrefixTuningConfig``, ``PromptTuningConfig`` or
        ``PromptEncoderConfig``.

    Raises:
        ConfigError: The method cannot work for this task or model; the message says
            which method can.
    """
    import peft

    _check_method_fits(settings.method, task, model)
    common = {"task_type": PEFT_TASK_TYPES[task]}
    targets = settings.target_modules
    if settings.method in ("lora", "qlora"):
        return peft.LoraConfig(
            **common,
            r=settings.r,
            lora_alpha=settings.alpha,
            lora_dropout=settings.dropout,
            target_modules=targets or default_target_modules(model),
            modules_to_save=settings.modules_to_save,
        )
    if settings.method == "ia3":
        return peft.IA3Config(
            **common,
            target_modules=targets,
            feedforward_modules=[] if targets else None,
            modules_to_save=settings.modules_to_save,
        )
    virtual = {**common, "num_virtual_tokens": settings.num_virtual_tokens}
    if settings.method == "prefix-tuning":
        return peft.PrefixTuningConfig(**virtual)
    if settings.method == "p-tuning":
        return peft.PromptEncoderConfig(**virtual, encoder_hidden_size=settings.encoder_hidden_size)
    if settings.prompt_init_text:
        return peft.PromptTuningConfig(
            **virtual,
            prompt_tuning_init="TEXT",
            prompt_tuning_init_text=settings.prompt_init_text,
            tokenizer_name_or_path=getattr(tokenizer, "name_or_path", None),
        )
    return peft.PromptTuningConfig(**virtual)


def _check_method_fits(method: str, task: str, model: Any) -> None:
    if task not in PEFT_TASK_TYPES:
        raise ConfigError(f"peft does not support the task {task!r}")
    if method in ("prompt-tuning", "p-tuning") and task == "token-classification":
        raise ConfigError(
            f"peft.method={method!r} prepends virtual tokens, which shifts the per-token tags "
            "of token classification; use lora, ia3 or qlora"
        )
    if method == "prefix-tuning" and task not in ("causal-lm", "seq2seq"):
        # Classification models take the prefix as past key values, which encoders such
        # as BERT no longer accept in transformers 5.
        backbone = getattr(model, getattr(model, "base_model_prefix", ""), model)
        if "past_key_values" not in inspect.signature(backbone.forward).parameters:
            raise ConfigError(
                f"peft.method='prefix-tuning' needs a model that takes past key values, and "
                f"{type(backbone).__name__} does not; use lora, ia3, prompt-tuning or p-tuning"
            )


@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    """Hide the deprecation warning peft 0.21 triggers in transformers 5 on every wrap."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        yield


def attach_adapter(model: Any, settings: PeftSettings, task: str, tokenizer: Any = None) -> Any:
    """Wrap ``model`` with a new trainable adapter; the task head stays trainable.

    A model that already has adapters is returned as it is, with its active adapter
    trainable (fine-tuning a loaded adapter further).

    Args:
        model: A ``transformers`` model with its task head (or LM head).
        settings: The run's ``peft`` section.
        task: Our task name.
        tokenizer: The model's tokenizer.

    Returns:
        The ``peft`` model.

    Raises:
        ConfigError: The method does not fit the task or the model.
    """
    from peft import get_peft_model

    if is_peft_model(model):
        _make_active_trainable(model)
        return model
    config = peft_config(settings, task, model, tokenizer)
    try:
        with _quiet_peft():
            wrapped = get_peft_model(model, config)
    except (ValueError, TypeError, KeyError) as exc:  # peft's complaints about targets
        raise ConfigError(f"peft.method={settings.method!r}: {exc}") from None
    logger.info("peft %s: %s", settings.method, count_parameters(wrapped))
    return wrapped


def _make_active_trainable(model: Any) -> None:
    name = model.active_adapter
    for param_name, param in model.named_parameters():
        if f".{name}." in param_name or param_name.endswith(f".{name}"):
            param.requires_grad_(True)


def merge_adapter(model: Any) -> Any:
    """Fold the active LoRA/IA3 adapter into the base weights and drop the adapter layers.

    Returns:
        A plain ``transformers`` model that predicts as the adapted one did.

    Raises:
        ModelStateError: The model has no adapter, or its adapter learns virtual tokens
            (prefix, prompt, p-tuning), which have no weights to fold into.
    """
    if not is_peft_model(model):
        raise ModelStateError("nothing to merge: the model has no adapter")
    method = adapter_method(model)
    if method in PROMPT_LEARNING:
        raise ModelStateError(
            f"a {method} adapter learns virtual tokens, which cannot be folded into the "
            "weights; save it as an adapter instead"
        )
    return model.merge_and_unload()


def adapter_method(model: Any, name: str | None = None) -> str:
    """Our name of the method behind adapter ``name`` (default: the active one)."""
    config = model.peft_config[name or model.active_adapter]
    kind = str(getattr(config.peft_type, "value", config.peft_type)).upper()
    names = {
        "LORA": "lora",
        "IA3": "ia3",
        "PREFIX_TUNING": "prefix-tuning",
        "PROMPT_TUNING": "prompt-tuning",
        "P_TUNING": "p-tuning",
    }
    return names.get(kind, kind.lower())


def load_adapter(model: Any, path: Path, name: str, *, trainable: bool = False) -> Any:
    """Put the adapter saved in ``path`` on ``model`` under ``name``.

    Args:
        model: A base model, or a model that already carries adapters.
        path: A directory holding ``adapter_config.json`` and the adapter weights.
        name: The name to switch to it by.
        trainable: Load it ready for further training (else for inference).

    An adapter saved with a head of another shape than the model's (trained for another
    label set) gets a head of its own shape, so each adapter keeps predicting its own labels.

    Returns:
        The ``peft`` model holding the adapter (not yet active unless it is the first).

    Raises:
        ConfigError: The name is taken.
        ModelStateError: The directory holds no adapter, or it does not fit the model.
    """
    from peft import PeftModel

    from open_interpreter.peft.heads import seed_adapter_heads

    if not (Path(path) / "adapter_config.json").is_file():
        raise ModelStateError(f"{path} holds no adapter (no adapter_config.json)")
    if is_peft_model(model) and name in model.peft_config:
        raise ConfigError(f"an adapter called {name!r} is already loaded; pick another name")
    try:
        with _quiet_peft():
            if is_peft_model(model):
                seed_adapter_heads(model, Path(path), name)
                model.load_adapter(str(path), adapter_name=name, is_trainable=trainable)
                return model
            return PeftModel.from_pretrained(
                model, str(path), adapter_name=name, is_trainable=trainable
            )
    except (RuntimeError, ValueError, KeyError) as exc:  # shape mismatches, wrong targets
        if is_peft_model(model):
            _forget_partial(model, name)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelStateError(f"the adapter in {path} does not fit this model: {first}") from None


def _forget_partial(model: Any, name: str) -> None:
    """Undo what a failed load left: peft keeps an adapter whose weights did not fit."""
    from open_interpreter.peft.heads import drop_adapter_heads

    if name in model.peft_config:
        model.delete_adapter(name)
    drop_adapter_heads(model, name)


def delete_adapter(model: Any, name: str) -> None:
    """Take adapter ``name`` (its layers and its own head) off the model, freeing its memory.

    Raises:
        ConfigError: No adapter of that name is loaded.
    """
    if not is_peft_model(model) or name not in model.peft_config:
        loaded = sorted(model.peft_config) if is_peft_model(model) else []
        raise ConfigError(f"no adapter called {name!r}; loaded: {loaded}")
    with warnings.catch_warnings():  # peft warns when the active adapter goes; another takes over
        warnings.filterwarnings("ignore", message=".*was active which is now deleted.*")
        model.delete_adapter(name)


def use_adapter(model: Any, name: str) -> None:
    """Make adapter ``name`` the active one.

    Raises:
        ModelStateError: The model has no adapters.
        ConfigError: No adapter of that name is loaded; the message lists those that are.
    """
    if not is_peft_model(model):
        raise ModelStateError("the model has no adapters: load one with load_adapter(path, name)")
    if name not in model.peft_config:
        raise ConfigError(f"no adapter called {name!r}; loaded: {sorted(model.peft_config)}")
    model.set_adapter(name)


def save_adapter(model: Any, directory: Path) -> None:
    """Write the active adapter (and its trained head) to ``directory``, whatever its name.

    ``peft`` writes an adapter not called ``default`` into a sub-folder; it is moved up so
    that every saved adapter folder has the same layout.
    """
    import shutil

    name = model.active_adapter
    model.save_pretrained(str(directory), selected_adapters=[name])
    nested = Path(directory) / name
    if name != "default" and nested.is_dir():
        for file in nested.iterdir():
            shutil.move(str(file), str(Path(directory) / file.name))
        nested.rmdir()
