"""minilm-l6 fine-tuned once on a little BBC News: topics, explanations, faithfulness and
robustness on a real model."""

from __future__ import annotations

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.data import load_packaged, seeded_split

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def bbc_topics():
    """A topic classifier trained on 12% of BBC News (267 articles), and 9% held out."""
    data = load_packaged("bbc-news")  # installed by `make setup`
    train, test, _ = seeded_split(data, [0.12, 0.09, 0.79], seed=0)
    interpreter = OpenInterpreter("minilm-l6")
    interpreter.fine_tune(
        train_data=train, epochs=2, learning_rate=1e-4, max_length=64, progress=False
    )
    return interpreter, test


def test_topic_classification_on_bbc_news(bbc_topics):
    interpreter, test = bbc_topics
    report = interpreter.evaluate(test)
    assert report.accuracy > 0.8, str(report)
    assert len(report.confusion_matrix) == 5
    assert interpreter.predict("The striker scored twice in the cup final").label == "sports"


def test_explain_faithfulness_and_robustness_on_bbc_news(bbc_topics):
    interpreter, held_out = bbc_topics
    test = held_out.subset(list(range(45)))

    text = "The striker scored twice as Chelsea won the cup final."
    explanation = interpreter.explain(text, method="ig")
    assert explanation.target == interpreter.predict(text).label == "sports"
    assert [text[a:b] for a, b in explanation.offsets] == explanation.words
    assert explanation.words[:2] == ["The", "striker"]  # offsets keep the case of the text

    faithful = interpreter.faithfulness(test, limit=4, steps=5, ig_steps=16)
    floor = faithful.method("random")
    assert faithful.method("integrated-gradients").deletion_aopc > floor.deletion_aopc
    assert faithful.method("occlusion").deletion_aopc > floor.deletion_aopc

    report = interpreter.robustness(
        test,
        perturbations=["char-swap", "neighbour-substitution"],
        rate=0.3,
        attack_words=2,
        attack_limit=4,
    )
    assert report.clean > 0.6 and report.examples == len(test)
    assert report.perturbations[1].changed_inputs > 0.9
    assert report.attack.attempted > 0
    for example in report.attack.examples:
        assert len(example.changes) <= 2
        assert all(change["to"].isalpha() for change in example.changes)
