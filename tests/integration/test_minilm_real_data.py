"""minilm-l6 on real packaged data: the three-line form, NER spans, saving (topics: see
test_minilm_analysis.py)."""

from __future__ import annotations

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.data import load_packaged, seeded_split

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def wnut():
    data = load_packaged("wnut16")  # installed by `make setup`
    train, test = seeded_split(data, [0.9, 0.1], seed=0)
    return train.subset(list(range(300))), test.subset(list(range(100)))


def test_three_lines_fine_tune_wnut16_and_reload_with_plain_transformers(wnut, tmp_path):
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    train, test = wnut
    interpreter = OpenInterpreter("minilm-l6")
    result = interpreter.fine_tune(
        train_data=train, validation_data=test, epochs=2, learning_rate=1e-4, progress=False
    )
    assert result.after.accuracy > result.before.accuracy
    assert result.after.loss < result.before.loss
    saved = interpreter.save(tmp_path / "wnut")
    model = AutoModelForTokenClassification.from_pretrained(saved)
    tagger = pipeline(
        "token-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(saved)
    )
    assert isinstance(tagger("Justin Bieber in New York"), list)  # runs as plain transformers
    assert set(model.config.id2label.values()) == set(interpreter.labels)
    text = "Heading to New York with Justin Bieber"
    prediction = interpreter.predict(text)
    for entity in prediction.entities:
        assert text[entity.start : entity.end] == entity.text
