"""The catalogue of packaged models: looked up by alias or Hub id, read-only."""

from __future__ import annotations

import pytest

from open_interpreter.models import CATALOGUE, catalogue_entry


def test_catalogue_is_looked_up_by_alias_or_hub_id() -> None:
    assert set(CATALOGUE) == {"minilm-l6", "smollm2-135m-instruct"}
    assert catalogue_entry("sentence-transformers/all-MiniLM-L6-v2") is CATALOGUE["minilm-l6"]
    assert catalogue_entry("bert-base-cased") is None
    assert CATALOGUE["smollm2-135m-instruct"].gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    with pytest.raises(TypeError):
        CATALOGUE["x"] = CATALOGUE["minilm-l6"]  # type: ignore[index]
