"""Verbalizers: label words, unique and unambiguous."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError
from open_interpreter.prompting import Verbalizer


def test_verbalizers_reject_ambiguous_words():
    with pytest.raises(ConfigError, match="stands for both"):
        Verbalizer.build({"a": ["yes"], "b": ["yes"]})
    with pytest.raises(ConfigError, match="non-blank"):
        Verbalizer.build({"a": [" "]})
    with pytest.raises(ConfigError, match="unique"):
        Verbalizer.build(["a", "a"])
    verbalizer = Verbalizer.build({"sports": ["sport", "football"], "tech": "technology"})
    assert verbalizer.answers == ["sport", "technology"]
    assert verbalizer.flat() == (["sport", "football", "technology"], [0, 0, 1])
