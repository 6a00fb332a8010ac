"""``lora-per-version``: every data version trains a new LoRA adapter over the frozen base.

The model is a LoRA adapter bundle (``fine_tune(..., peft="lora")``, or a first continual
step from a pretrained model). Continuing it keeps the previous version's adapter as it
is (its files go into ``continual/adapters/<name>/`` of the new version) and trains a new
one, ``version_<k>``, which starts as a copy of the previous adapter (its LoRA weights and
its head, grown for new labels) and alone learns the new data; the base stays frozen, as
``peft`` keeps it. The new version predicts with its newest adapter; ``history.json``
lists every version's adapter (``adapters``: name, task, path).

Everything here goes through the platform's PEFT layer (:mod:`open_interpreter.peft`):
adapters are saved, loaded, switched and deleted with ``peft``'s own code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.config import PeftSettings
from open_interpreter.errors import ConfigError, ModelStateError

if TYPE_CHECKING:
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual.state import ContinualState

STRATEGY = "lora-per-version"
ADAPTER_CONFIG = "adapter_config.json"
NEWEST = "."
"""The path of the newest adapter in ``history.json``: the model directory itself."""


def check_model(bundle: ModelBundle, strategy: str) -> None:
    """Refuse a model the strategy cannot continue, before anything is read or trained.

    Raises:
        ModelStateError: An adapter model with another strategy, a whole fine-tuned model
            with ``lora-per-version``, or an adapter of another method than LoRA.
    """
    from open_interpreter.peft import adapter_method, is_peft_model

    if is_peft_model(bundle.model):
        if strategy != STRATEGY:
            raise ModelStateError(
                f"this model is an adapter: strategy {strategy!r} trains whole models; use "
                f"strategy {STRATEGY!r} (a new adapter per data version over the frozen base), "
                "or merge the adapter first"
            )
        method = adapter_method(bundle.model)
        if method != "lora":
            raise ModelStateError(
                f"strategy {STRATEGY!r} continues LoRA adapters; this model's adapter is {method}"
            )
    elif strategy == STRATEGY and bundle.has_head:
        raise ModelStateError(
            f"strategy {STRATEGY!r} trains a new LoRA adapter over a frozen base, and this is a "
            "whole fine-tuned model: continue it with naive, replay, ewc or l2sp, or start "
            f"from its pretrained model with {STRATEGY!r} (or fine_tune(..., peft='lora'))"
        )


def first_adapter_settings(bundle: ModelBundle) -> None:
    """A first step from a pretrained model trains a LoRA adapter (default settings unless
    ``peft`` was given).

    Raises:
        ConfigError: ``peft`` names another method than LoRA.
    """
    peft = bundle.config.peft
    if peft is None:
        bundle.config = bundle.config.updated(peft=PeftSettings(method="lora").model_dump())
    elif peft.method != "lora":
        raise ConfigError(
            f"strategy {STRATEGY!r} trains LoRA adapters, not peft.method={peft.method!r}"
        )


def start_version(bundle: ModelBundle, state: ContinualState) -> str:
    """Keep the previous version's adapter and make a new, trainable copy of it active.

    The previous adapter's files are held in ``state`` (written with the new version);
    only the new adapter stays on the model.

    Returns:
        The new adapter's name.
    """
    from open_interpreter.peft import delete_adapter, load_adapter, save_adapter, use_adapter

    model = bundle.model
    previous = model.active_adapter
    with tempfile.TemporaryDirectory(prefix="oi-adapter-") as tmp:
        saved = _saved_as_loaded(bundle, previous)
        if saved is None:  # a model never saved: its adapter as it is in memory
            save_adapter(model, Path(tmp))
        for file in (saved or Path(tmp)).iterdir():  # the files as saved, byte for byte
            if file.name.startswith("adapter_") and file.is_file():
                state.adapter_files.setdefault(previous, {})[file.name] = file.read_bytes()
                (Path(tmp) / file.name).write_bytes(state.adapter_files[previous][file.name])
        _keep(state, previous)
        name = _fresh_name(state, model)
        bundle.model = load_adapter(model, Path(tmp), name, trainable=True)
    use_adapter(bundle.model, name)
    delete_adapter(bundle.model, previous)
    return name


def train_only(model: Any, name: str) -> None:
    """Freeze everything but adapter ``name`` (its LoRA weights and its head copy)."""
    for param_name, param in model.named_parameters():
        mine = f".{name}." in param_name or param_name.endswith(f".{name}")
        param.requires_grad_(mine)


def record_newest(bundle: ModelBundle, state: ContinualState) -> None:
    """Note the model's active adapter as the newest version's, after its step."""
    name = bundle.model.active_adapter
    task = state.tasks[-1]["name"] if state.tasks else None
    state.adapters.append({"name": name, "task": task, "path": NEWEST})
    state.steps[-1]["adapter"] = name


def inner_model(model: Any) -> Any:
    """The ``transformers`` model under a ``peft`` wrapper (the model itself otherwise)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _saved_as_loaded(bundle: ModelBundle, name: str) -> Path | None:
    """The directory the active adapter was loaded from, if it is still what is there."""
    from open_interpreter.bundle.directory import read_manifest

    path = bundle.path
    if path is None or not (Path(path) / ADAPTER_CONFIG).is_file():
        return None
    adapter = read_manifest(Path(path)).get("adapter") or {}
    return Path(path) if adapter.get("name", "default") == name else None


def _keep(state: ContinualState, name: str) -> None:
    """Move adapter ``name`` from "the model itself" to its folder in ``continual/``."""
    path = f"continual/adapters/{name}"
    for entry in state.adapters:
        if entry["name"] == name:
            entry["path"] = path
            return
    task = state.tasks[-1]["name"] if state.tasks else None  # a model without a record
    state.adapters.append({"name": name, "task": task, "path": path})


def _fresh_name(state: ContinualState, model: Any) -> str:
    taken = {entry["name"] for entry in state.adapters} | set(model.peft_config)
    index = len(state.adapters)
    while f"version_{index}" in taken:
        index += 1
    return f"version_{index}"
