"""Real data for integration tests: CoNLL-2003 from ../shared, packaged sets from PyPI."""

from __future__ import annotations

from pathlib import Path

import pytest

CONLL_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "conll2003"


@pytest.fixture(scope="session")
def conll():
    """CoNLL-2003 (train, dev) as TokenExamples; skips where ../shared is absent."""
    from open_interpreter.data import read_conll

    if not (CONLL_DIR / "eng.train").is_file():
        pytest.skip(f"CoNLL-2003 not found at {CONLL_DIR.resolve()} (../shared is absent)")
    return read_conll(CONLL_DIR / "eng.train"), read_conll(CONLL_DIR / "eng.testa")
