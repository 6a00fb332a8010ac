"""Several adapters on one base: loaded, switched per call, checked against the base and labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, LabelError, ModelStateError

from .runs import fine_tune_ner, probabilities

pytestmark = pytest.mark.usefixtures("one_thread")


def test_several_adapters_share_one_base_and_switch_per_call(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    first = fine_tune_ner(tiny_bert_dir, seed=1)
    second = fine_tune_ner(tiny_bert_dir, seed=2, learning_rate=3e-2)
    first_dir, second_dir = first.save(tmp_path / "a"), second.save(tmp_path / "b")
    sentences = [["john", "visited", "paris", "."], ["mary", "works", "at", "acme", "corp"]]
    expected = {"default": probabilities(first, sentences), "b": probabilities(second, sentences)}
    assert expected["default"] != pytest.approx(expected["b"], abs=1e-4)

    served = OpenInterpreter.load(first_dir)
    served.load_adapter(second_dir, "b")
    assert served.adapters == ["b", "default"]
    assert served.active_adapter == "default"
    with served.use_adapter("b"):
        assert probabilities(served, sentences) == pytest.approx(expected["b"], abs=1e-5)
    assert served.active_adapter == "default"
    assert probabilities(served, sentences) == pytest.approx(expected["default"], abs=1e-5)
    served.use_adapter("b")
    assert served.active_adapter == "b"

    with pytest.raises(ConfigError, match="no adapter called 'c'"):
        served.use_adapter("c")
    with pytest.raises(ConfigError, match="already loaded"):
        served.load_adapter(second_dir, "b")
    other = json.loads((second_dir / "oi_model.json").read_text())
    other["adapter"]["base_model"] = "minilm-l6"
    (second_dir / "oi_model.json").write_text(json.dumps(other))
    with pytest.raises(ModelStateError, match="trained on 'minilm-l6'"):
        served.load_adapter(second_dir, "c")
    other["adapter"]["base_model"], other["labels"] = str(tiny_bert_dir), ["O", "B-X"]
    (second_dir / "oi_model.json").write_text(json.dumps(other))
    with pytest.raises(LabelError, match="predicts"):
        served.load_adapter(second_dir, "c")
