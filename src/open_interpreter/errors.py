"""The errors Open Interpreter raises.

Every error derives from :class:`OpenInterpreterError` and also from the built-in
exception it stands in for, so ``except ValueError`` keeps working for callers who
do not know this library. Faces (CLI, API) translate them at the edge into one clear
line or a JSON problem; nothing below them prints.
"""

from __future__ import annotations

from collections.abc import Sequence


class OpenInterpreterError(Exception):
    """Base class of every error raised on purpose by Open Interpreter."""


class ConfigError(OpenInterpreterError, ValueError):
    """A setting is missing, unknown or out of range."""


class DataError(OpenInterpreterError, ValueError):
    """Input data is malformed, empty, mislabelled or inconsistent.

    Args:
        message: What is wrong, in the user's words.
        source: The file (or other source) the problem was found in, if any.
        line: The 1-based line number in ``source``, if known.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(f"{where}{message}")


class LabelError(DataError):
    """A label was not seen in training, or labels do not match the model's label map."""


class ModelNotFoundError(OpenInterpreterError, LookupError):
    """A model or tokenizer name could not be resolved to any weights.

    Args:
        name: The name the user asked for.
        tried: Each place looked in, in order, with why it did not match.
        hint: How to get the model (a command to run).
    """

    def __init__(self, name: str, tried: Sequence[str], hint: str):
        self.name = name
        self.tried = list(tried)
        self.hint = hint
        lines = "\n".join(f"  - {t}" for t in self.tried)
        super().__init__(f"could not find model {name!r}. Tried:\n{lines}\n{hint}")

    def __reduce__(self):  # keep the error picklable across worker processes
        return (type(self), (self.name, self.tried, self.hint))


class ModelStateError(OpenInterpreterError, RuntimeError):
    """An operation needs a model state that is not there yet (e.g. predict before a head)."""


class NotFoundError(OpenInterpreterError, LookupError):
    """A stored thing (dataset, job, registered model or version) does not exist."""


class ConflictError(OpenInterpreterError, ValueError):
    """The request cannot be applied in the current state (e.g. cancelling a finished job)."""


class QuantizationUnavailableError(OpenInterpreterError, RuntimeError):
    """4-bit loading (QLoRA) was asked for where it cannot run: no CUDA GPU or no bitsandbytes."""


class OutOfSpaceError(OpenInterpreterError, OSError):
    """The disk, a quota or the file-size limit left no room for what was being saved."""


class ExportError(OpenInterpreterError, RuntimeError):
    """A model cannot be exported (its task or adapter has no export yet), or its export
    was refused because it does not compute what the model computes (nothing is written)."""


class DatabaseUnreachableError(OpenInterpreterError, ConnectionError):
    """The database did not answer (wrong URL, server down, credentials refused)."""


class ArtifactStoreError(OpenInterpreterError, ConnectionError):
    """The object store holding artifacts (``OI_ARTIFACTS_URL``) did not answer, refused
    (credentials, a missing bucket), or failed part way (nothing incomplete is left in sight)."""


class TrainingProcessError(OpenInterpreterError, RuntimeError):
    """A process of a distributed training run failed or was killed; the message names its
    rank and what went wrong (the other processes were stopped, never left waiting)."""
