"""Where Open Interpreter keeps its files: ``$OI_HOME`` (default ``~/.open_interpreter``)."""

from __future__ import annotations

import os
from pathlib import Path


def oi_home() -> Path:
    """Return the project's home directory, honouring ``$OI_HOME``; it is not created here."""
    return Path(os.environ.get("OI_HOME", Path.home() / ".open_interpreter")).expanduser()


def model_store() -> Path:
    """Return the model store: saved and converted models, one directory each."""
    return oi_home() / "models"


#: The file that marks a directory as a model saved by Open Interpreter: task, labels,
#: base model, library versions (written by :class:`open_interpreter.bundle.ModelBundle`).
MANIFEST = "oi_model.json"
