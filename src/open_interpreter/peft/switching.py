"""Several adapters on one base model: which are loaded, which answers, switching between them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from open_interpreter.peft.adapters import is_peft_model, use_adapter


def adapter_names(model: Any) -> list[str]:
    """Names of the adapters on ``model`` (empty without PEFT)."""
    return sorted(model.peft_config) if is_peft_model(model) else []


def active_adapter(model: Any) -> str | None:
    """The adapter answering now, or None without PEFT."""
    return model.active_adapter if is_peft_model(model) else None


def switch_adapter(model: Any, name: str) -> contextlib.AbstractContextManager[None]:
    """Make adapter ``name`` the active one; used as a context manager, the one active before
    is active again after the block.

    Raises:
        ModelStateError: The model has no adapters.
        ConfigError: No adapter of that name is loaded.
    """
    previous = active_adapter(model)
    use_adapter(model, name)
    return _then(lambda: use_adapter(model, previous) if previous else None)


def with_adapter(model: Any, name: str, run: Callable[[], Any], *, lazy: bool = False) -> Any:
    """``run()`` with adapter ``name`` active; ``lazy``: ``run`` returns an iterator, which
    is drained with the adapter active (a streamed answer)."""
    if lazy:
        return _drained_with(model, name, run)
    with switch_adapter(model, name):
        return run()


def _drained_with(model: Any, name: str, run: Callable[[], Any]) -> Iterator[Any]:
    with switch_adapter(model, name):
        yield from run()


@contextlib.contextmanager
def _then(undo: Callable[[], None]) -> Iterator[None]:
    try:
        yield
    finally:
        undo()
