"""A whole prompt evaluation on tiny models: the table of every strategy."""

from __future__ import annotations

import json

import pytest

from open_interpreter.errors import ConfigError
from open_interpreter.prompting import evaluate_prompts, load_eval_config

from ..fixtures.prompting import tiny_eval_config


def test_a_whole_evaluation_on_tiny_models(tmp_path, word_llama_dir, tiny_bert_dir):
    path = tiny_eval_config(tmp_path, word_llama_dir, tiny_bert_dir)
    table = evaluate_prompts(load_eval_config(path), base_dir=tmp_path)
    assert (
        table.name == "reviews"
        and table.examples == 10
        and table.labels == ["negative", "positive"]
    )
    assert table.pool == 12  # 24 distinct texts, half held out
    assert len(table.rows) == 6
    accuracies = [row.accuracy for row in table.rows]
    assert accuracies == sorted(accuracies, reverse=True)
    for row in table.rows:
        assert row.accuracy_ci[0] <= row.accuracy <= row.accuracy_ci[1]
        assert len(row.predictions) == 10
    calibrated = next(r for r in table.rows if r.name == "LM zero-shot + calibration")
    assert set(calibrated.bias) == {"negative", "positive"}
    assert [e.change for e in table.effects] == ["calibration", "nearest-neighbour demonstrations"]
    assert table.effects[0].baseline == "LM zero-shot"
    markdown = table.to_markdown()
    assert "| majority class |" in markdown and "| calibration |" in markdown
    written = table.save(tmp_path / "out")
    assert json.loads(written[0].read_text())["rows"][0]["name"] == table.rows[0].name


def test_verbalizers_must_cover_the_labels(tmp_path, word_llama_dir, tiny_bert_dir):
    path = tiny_eval_config(tmp_path, word_llama_dir, tiny_bert_dir)
    config = load_eval_config(path, ["verbalizers.words={positive: good}"])
    with pytest.raises(ConfigError, match=r"missing \['negative'\]"):
        evaluate_prompts(config, base_dir=tmp_path)
