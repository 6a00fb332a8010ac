"""What models are on this machine, and what is inside one, without loading any weights.

:func:`list_models` gathers the catalogue (installed or not), the model store and the
Hugging Face cache; :func:`describe_model` reads a resolved model's ``config.json`` and
safetensors headers to report its architecture, size and labels.

Example:
    >>> from open_interpreter.models import list_models
    >>> [m.name for m in list_models() if m.source == "package"]  # doctest: +SKIP
    ['minilm-l6', 'smollm2-135m-instruct']
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from open_interpreter.models.catalogue import CATALOGUE, CatalogueEntry
from open_interpreter.models.resolve import (
    ResolvedModel,
    hub_cache_dir,
    model_dir_problem,
    resolve_model,
    store_path,
)
from open_interpreter.paths import MANIFEST, model_store

_DECODER_TYPES = frozenset({"gpt2", "gpt_neox", "gptj", "llama", "mistral", "phi", "qwen2"})
_FLOAT_DTYPES = ("F", "BF")  # integer tensors are buffers such as position_ids, not weights
_MAX_HEADER_BYTES = 100 * 2**20  # a safetensors header is JSON; anything larger is corrupt


@dataclass(frozen=True)
class ModelInfo:
    """One model available here (or one pull away), as ``oi models list`` shows it.

    Attributes:
        name: The name to pass to :func:`~open_interpreter.models.resolve_model`.
        kind: ``"encoder"``, ``"causal-lm"``, ``"seq2seq"``, or the ``model_type``.
        source: ``"package"`` (catalogue), ``"store"`` or ``"hf-cache"``.
        status: ``"ready"``, ``"not installed"``, ``"needs conversion"``, or why the
            files cannot be loaded.
        location: The directory (or GGUF file), or the command that gets the model.
        size_bytes: Bytes on disk, or ``None`` when not installed.
        description: One line about the model.
    """

    name: str
    kind: str
    source: Literal["package", "store", "hf-cache"]
    status: str
    location: str
    size_bytes: int | None
    description: str = ""


@dataclass(frozen=True)
class ModelDetails:
    """What :func:`describe_model` reads from a model's files.

    Attributes:
        resolved: Where the model was found.
        model_type: The config's ``model_type`` (``"bert"``), if any.
        architectures: The config's ``architectures`` (``("BertModel",)``).
        kind: ``"encoder"``, ``"causal-lm"`` or ``"seq2seq"`` (or the ``model_type``).
        num_parameters: Parameters counted from the safetensors headers.
        num_layers: The config's ``num_hidden_layers`` (or ``n_layer``), if any.
        hidden_size: The config's ``hidden_size`` (or ``n_embd``), if any.
        labels: The config's ``id2label`` when it names real labels (not ``LABEL_0`` ...).
    """

    resolved: ResolvedModel
    model_type: str | None
    architectures: tuple[str, ...]
    kind: str
    num_parameters: int | None
    num_layers: int | None
    hidden_size: int | None
    labels: Mapping[int, str] | None


def list_models() -> list[ModelInfo]:
    """List every model this machine offers: catalogue, model store and Hugging Face cache.

    Returns:
        Catalogue entries first (installed or not, with the command that pulls them), then
        the store's models, then the cache's snapshots, each group sorted by name.

    Example:
        >>> for m in list_models():  # doctest: +SKIP
        ...     print(m.name, m.source, m.status)
        minilm-l6 package ready
    """
    return [
        *(_catalogue_info(e) for e in CATALOGUE.values()),
        *_store_infos(),
        *_hf_cache_infos(),
    ]


def describe_model(name: str) -> ModelDetails:
    """Resolve a model and read its config and safetensors headers; no weights are loaded.

    Args:
        name: Any name :func:`~open_interpreter.models.resolve_model` accepts.

    Returns:
        The model's architecture, size and labels.

    Raises:
        ModelNotFoundError: The name does not resolve.

    Example:
        >>> describe_model("minilm-l6").num_parameters  # doctest: +SKIP
        22713216
    """
    resolved = resolve_model(name)
    config = read_config(resolved.path)
    id2label = config.get("id2label") or {}
    labels = {int(k): str(v) for k, v in id2label.items()}
    if all(v == f"LABEL_{k}" for k, v in labels.items()):
        labels = {}
    return ModelDetails(
        resolved=resolved,
        model_type=config.get("model_type"),
        architectures=tuple(config.get("architectures") or ()),
        kind=model_kind(config),
        num_parameters=count_parameters(resolved.path),
        num_layers=config.get("num_hidden_layers", config.get("n_layer")),
        hidden_size=config.get("hidden_size", config.get("n_embd")),
        labels=dict(sorted(labels.items())) or None,
    )


def read_config(path: Path) -> dict[str, Any]:
    """Return a model directory's ``config.json`` as a dict, or ``{}`` if it is missing or bad."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def model_kind(config: Mapping[str, Any]) -> str:
    """Tell from a config what a backbone is for: ``"encoder"``, ``"causal-lm"``, ``"seq2seq"``.

    Example:
        >>> model_kind({"model_type": "llama", "architectures": ["LlamaForCausalLM"]})
        'causal-lm'
    """
    archs = [str(a) for a in config.get("architectures") or ()]
    model_type = str(config.get("model_type") or "")
    if config.get("is_encoder_decoder") or any("ConditionalGeneration" in a for a in archs):
        return "seq2seq"
    if model_type in _DECODER_TYPES or any(
        a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs
    ):
        return "causal-lm"
    return "encoder" if model_type or archs else "unknown"


def count_parameters(path: Path) -> int | None:
    """Count the parameters in a directory's safetensors files by reading their headers only.

    Only floating-point tensors count: integer ones are buffers (``position_ids``).

    Args:
        path: A model directory.

    Returns:
        The number of parameters, or ``None`` when there are no readable safetensors files.

    Example:
        >>> count_parameters(resolve_model("minilm-l6").path)  # doctest: +SKIP
        22713216
    """
    total, found = 0, False
    for file in sorted(path.glob("*.safetensors")):
        try:
            with file.open("rb") as f:
                (length,) = struct.unpack("<Q", f.read(8))
                if length > _MAX_HEADER_BYTES:
                    continue
                header = json.loads(f.read(length))
        except (OSError, ValueError, struct.error):
            continue
        found = True
        total += sum(
            math.prod(t["shape"])
            for k, t in header.items()
            if k != "__metadata__" and t["dtype"].startswith(_FLOAT_DTYPES)
        )
    return total if found else None


def _dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _catalogue_info(entry: CatalogueEntry) -> ModelInfo:
    weights = entry.weights_path()
    common = {"name": entry.alias, "kind": entry.kind, "source": "package"}
    if weights is None:
        return ModelInfo(
            **common,
            status="not installed",
            location=f"oi models pull {entry.alias}",
            size_bytes=None,
            description=entry.description,
        )
    if entry.needs_conversion:
        converted = store_path(entry.alias)
        status = "needs conversion" if model_dir_problem(converted) else "ready (converted)"
    else:
        status = model_dir_problem(weights) or "ready"
    return ModelInfo(
        **common,
        status=status,
        location=str(weights),
        size_bytes=_dir_size(weights),
        description=entry.description,
    )


def _store_infos() -> list[ModelInfo]:
    store = model_store()
    if not store.is_dir():
        return []
    infos = []
    for path in sorted(p for p in store.iterdir() if p.is_dir()):
        config = read_config(path)
        name = path.name.replace("--", "/") if path.name.count("--") == 1 else path.name
        infos.append(
            ModelInfo(
                name=name,
                kind=model_kind(config),
                source="store",
                status=model_dir_problem(path) or "ready",
                location=str(path),
                size_bytes=_dir_size(path),
                description=_one_line_description(path, config),
            )
        )
    return infos


def _one_line_description(path: Path, config: Mapping[str, Any]) -> str:
    try:
        card = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        card = {}
    if isinstance(card, dict) and card.get("description"):
        return str(card["description"])
    archs = config.get("architectures") or [config.get("model_type") or ""]
    return str(archs[0])


def _hf_cache_infos() -> list[ModelInfo]:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        cache = scan_cache_dir(hub_cache_dir())
    except (CacheNotFound, OSError):
        return []
    infos = []
    for repo in sorted(cache.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model" or not repo.revisions:
            continue
        revision = max(repo.revisions, key=lambda r: ("main" in r.refs, r.last_modified))
        snapshot = Path(revision.snapshot_path)
        config = read_config(snapshot)
        infos.append(
            ModelInfo(
                name=repo.repo_id,
                kind=model_kind(config),
                source="hf-cache",
                status=model_dir_problem(snapshot) or "ready",
                location=str(snapshot),
                size_bytes=repo.size_on_disk,
                description=_one_line_description(snapshot, config),
            )
        )
    return infos
