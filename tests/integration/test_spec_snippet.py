"""The product spec's snippet, run exactly as written on real CoNLL-2003 data."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_spec_snippet_runs_as_written(conll, capsys):
    train, dev = conll
    train_data, train_labels = train.tokens[:200], train.tags[:200]
    valid_data, valid_labels = dev.tokens[:50], dev.tags[:50]
    test_data, test_labels = dev.tokens[50:150], dev.tags[50:150]

    # --- the spec, verbatim ---
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter(model_name="minilm-l6", tokenizer_name="minilm-l6")
    interpreter.load_model(model_name="minilm-l6")
    interpreter.load_tokenizer(tokenizer_name="minilm-l6")
    interpreter.add_sequence_classification_head()
    interpreter.fine_tune(
        model_name="minilm-l6",
        train_data=train_data,
        train_labels=train_labels,
        validation_data=valid_data,
        validation_labels=valid_labels,
        test_data=test_data,
        test_labels=test_labels,
        learning_rate=2e-5,
        epochs=5,
        batch_size=16,
    )
    accuracy = interpreter.evaluate(test_data, test_labels)
    print(f"Accuracy: {accuracy:.2f}")
    # --- end of the spec ---

    printed = capsys.readouterr().out
    assert re.search(r"^Accuracy: 0\.\d\d$", printed, re.MULTILINE)
    assert interpreter.task.name == "token-classification"
    result = interpreter.result
    assert result.after.accuracy > result.before.accuracy
    assert accuracy.entities is not None and "B-PER" in accuracy.labels
