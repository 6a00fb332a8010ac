"""The model bundle: a model with its tokenizer, task, labels and settings, and the one
directory format it saves to and loads from.

Example:
    >>> from open_interpreter.bundle import ModelBundle
    >>> bundle = ModelBundle.load("my-ner-model")  # doctest: +SKIP
"""

from open_interpreter.bundle.directory import (
    MANIFEST,
    METRICS,
    TRAINING_CONFIG,
    library_versions,
    load_base,
    read_manifest,
    write_saved_model,
)
from open_interpreter.bundle.model_bundle import ModelBundle

__all__ = [
    "MANIFEST",
    "METRICS",
    "TRAINING_CONFIG",
    "ModelBundle",
    "library_versions",
    "load_base",
    "read_manifest",
    "write_saved_model",
]
