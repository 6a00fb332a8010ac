"""Pretrained models: resolve a name to safetensors weights offline-first, list, pull.

Nothing here imports torch or transformers; loading the weights is the caller's job
(``AutoModel.from_pretrained(resolve_model(name).path)``).

Example:
    >>> from open_interpreter.models import resolve_model
    >>> resolve_model("minilm-l6").source  # doctest: +SKIP
    'package'
"""

from open_interpreter.models.catalogue import CATALOGUE, CatalogueEntry, catalogue_entry
from open_interpreter.models.inventory import (
    ModelDetails,
    ModelInfo,
    count_parameters,
    describe_model,
    list_models,
)
from open_interpreter.models.pull import pull_model
from open_interpreter.models.resolve import (
    ModelSource,
    ResolvedModel,
    resolve_model,
    resolve_tokenizer,
    store_path,
)

__all__ = [
    "CATALOGUE",
    "CatalogueEntry",
    "ModelDetails",
    "ModelInfo",
    "ModelSource",
    "ResolvedModel",
    "catalogue_entry",
    "count_parameters",
    "describe_model",
    "list_models",
    "pull_model",
    "resolve_model",
    "resolve_tokenizer",
    "store_path",
]
