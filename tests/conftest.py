"""Fixtures shared by every test.

``isolated_home`` runs automatically: no test reads or writes the user's real
``~/.open_interpreter`` or Hugging Face cache, and none touches the network through
``huggingface_hub`` (the Hub is switched off; a test that needs it must say so).

The other shared fixtures live in ``tests/fixtures/`` and are registered here as plugins,
so every test asks for them by name and none imports them: the tiny models
(``tests/fixtures/models.py``: ``tiny_bert_dir``, ``tiny_llama_dir``, ``word_llama_dir``...)
and the databases and API client (``tests/fixtures/database.py``: ``db``, ``client``).
The same package holds the plain helpers tests import: tiny data, tokenizers, API helpers.
"""

from __future__ import annotations

import os
from pathlib import Path

import huggingface_hub.constants
import pytest

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.models"]


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``make test``: a worker per core), each worker computes on one
    thread, and so do the processes it starts: threads beyond the cores only wait on
    each other."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with slow tests first (real-model ones first of all), each module's tests
    kept together and in order. pytest-xdist hands out the modules with the most tests
    first and, among modules of equal size, in this order, so the one-test model trainings
    start before the one-test quick modules."""

    def modules(marker: str) -> set[str]:
        return {item.nodeid.split("::")[0] for item in items if item.get_closest_marker(marker)}

    slow, real = modules("slow"), modules("integration")  # real models train longest

    def rank(item: pytest.Item) -> tuple[bool, bool]:
        module = item.nodeid.split("::")[0]
        return module not in slow, module not in real

    items.sort(key=rank)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``OI_HOME`` and the Hugging Face home/cache into ``tmp_path``; switch the Hub off.

    ``huggingface_hub`` reads its environment once, at import, so its module constants
    are patched as well as the variables (``transformers`` reads those constants too).

    Returns:
        The test's ``OI_HOME`` (``tmp_path / "oi_home"``, not created).
    """
    oi_home = tmp_path / "oi_home"
    hf_home = tmp_path / "hf_home"
    hub_cache = hf_home / "hub"
    monkeypatch.setenv("OI_HOME", str(oi_home))
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("OI_RECORD_RUNS", "0")  # tests of recorded runs (oi runs) turn it on
    monkeypatch.setattr(huggingface_hub.constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return oi_home
