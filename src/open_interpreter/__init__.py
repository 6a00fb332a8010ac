"""Open Interpreter: from a pretrained Transformer and a labelled file to a measured,
explained, served model.

>>> from open_interpreter import OpenInterpreter  # doctest: +SKIP

Heavy libraries (torch, transformers) load only when first needed, so importing the
package and running ``oi --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "OpenInterpreter": "open_interpreter.interpreter",
    "FineTuneConfig": "open_interpreter.config",
    "FineTuneResult": "open_interpreter.training.result",
    "EvaluationReport": "open_interpreter.evaluation",
    "OpenInterpreterError": "open_interpreter.errors",
    "ConfigError": "open_interpreter.errors",
    "DataError": "open_interpreter.errors",
    "LabelError": "open_interpreter.errors",
    "ModelNotFoundError": "open_interpreter.errors",
    "ModelStateError": "open_interpreter.errors",
}

__all__ = [
    "ConfigError",
    "DataError",
    "EvaluationReport",
    "FineTuneConfig",
    "FineTuneResult",
    "LabelError",
    "ModelNotFoundError",
    "ModelStateError",
    "OpenInterpreter",
    "OpenInterpreterError",
]

if TYPE_CHECKING:
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.errors import (
        ConfigError,
        DataError,
        LabelError,
        ModelNotFoundError,
        ModelStateError,
        OpenInterpreterError,
    )
    from open_interpreter.evaluation import EvaluationReport
    from open_interpreter.interpreter import OpenInterpreter
    from open_interpreter.training.result import FineTuneResult


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'open_interpreter' has no attribute {name!r}")
