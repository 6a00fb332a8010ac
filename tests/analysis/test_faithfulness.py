"""Faithfulness: deletion/insertion AOPC where the answer is known, and against random."""

from __future__ import annotations

import pytest

from open_interpreter.analysis import faithfulness
from open_interpreter.errors import ConfigError, DataError

from ..fixtures.analysis import bag_of_words_interpreter, trained
from ..fixtures.data import ner_sentences, sentiment_texts

# p(positive | "this film is great") with the toy model, and with "great" blanked out.
P_TEXT, P_BLANK = 0.993307, 0.5


def test_aopc_is_known_when_one_word_decides():
    interpreter = bag_of_words_interpreter()
    texts = ["this film is great", "great", "the dog ran to the park and it is great"]
    report = interpreter.faithfulness(
        texts, methods=["integrated-gradients", "occlusion"], steps=4, random_orders=5
    )
    assert report.explanations == 3
    assert report.fractions == [0.0, 0.25, 0.5, 0.75, 1.0]
    for method in ("integrated-gradients", "occlusion"):
        scores = report.method(method)
        # "great" goes first, so the probability falls to 0.5 at the first step and stays there
        assert scores.deletion_aopc == pytest.approx(P_TEXT - P_BLANK, abs=1e-4)
        assert scores.insertion_aopc == pytest.approx(P_TEXT - P_BLANK, abs=1e-4)
        assert scores.deletion_curve[0] == pytest.approx(P_TEXT, abs=1e-4)
        assert scores.deletion_curve[1:] == pytest.approx([P_BLANK] * 4, abs=1e-4)
    floor = report.method("random")
    assert floor.deletion_aopc < P_TEXT - P_BLANK - 0.1
    assert floor.insertion_aopc < P_TEXT - P_BLANK - 0.1
    assert "| occlusion | 0.493 |" in report.to_markdown()


def test_same_seed_same_report_and_methods_beat_random_on_a_trained_model(tiny_bert_dir):
    interpreter = trained(str(tiny_bert_dir), "sentiment")
    texts, _ = sentiment_texts(4, seed=4)
    options = {"steps": 4, "random_orders": 2, "ig_steps": 8, "seed": 3}
    report = interpreter.faithfulness(texts, **options)
    assert report.to_dict() == interpreter.faithfulness(texts, **options).to_dict()
    assert [m.method for m in report.methods] == [
        "integrated-gradients",
        "occlusion",
        "attention-rollout",
        "random",
    ]
    floor = report.method("random").deletion_aopc
    assert report.method("ig").deletion_aopc > floor
    assert report.method("occlusion").deletion_aopc > floor


def test_ner_faithfulness_explains_entities(tiny_bert_dir):
    interpreter = trained(str(tiny_bert_dir), "ner")
    tokens, tags = ner_sentences(6, seed=5)
    report = faithfulness(interpreter.bundle, tokens, tags, methods=["occlusion"], limit=5, steps=4)
    assert report.explanations == 5 and report.task == "token-classification"
    assert report.method("occlusion").deletion_aopc > report.method("random").deletion_aopc


def test_faithfulness_errors(tiny_bert_dir):
    interpreter = trained(str(tiny_bert_dir), "sentiment")
    with pytest.raises(ConfigError, match="unknown attribution method"):
        interpreter.faithfulness(["the film"], methods=["lime"])
    ner = trained(str(tiny_bert_dir), "ner")
    with pytest.raises(DataError, match="nothing to explain"):
        ner.faithfulness([["the", "park"]], [["O", "O"]], methods=["occlusion"], limit=0)
