"""The continual tests' shared first version: trained once per session, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import first_version


@pytest.fixture(scope="session")
def first(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT trained on sentiment by ``continue_training`` (copy before changing)."""
    return first_version(tiny_bert_dir, tmp_path_factory.mktemp("continual") / "v1").path


@pytest.fixture(autouse=True, scope="package")
def one_thread():
    """One torch thread for these tests (scoring too): the tiny model gains nothing from
    more, and on a busy machine extra threads only wait on each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
