"""The Python face on a tiny BERT: heads, fine-tuning, errors, predict, save and load."""

from __future__ import annotations

import json
import logging

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.data import PACKAGED_DATASETS
from open_interpreter.errors import DataError, LabelError, ModelNotFoundError, ModelStateError

from .fixtures.data import ner_sentences, packaged_ner, sentiment_texts

FAST = {"learning_rate": 5e-3, "batch_size": 8, "progress": False, "warmup_ratio": 0.0}


@pytest.fixture
def ner_data():
    return ner_sentences(48, seed=0), ner_sentences(16, seed=1)


def test_sequence_head_on_tag_lists_trains_token_classification(tiny_bert_dir, ner_data, caplog):
    (train_x, train_y), (dev_x, dev_y) = ner_data
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.load_model()
    interpreter.load_tokenizer()
    interpreter.add_sequence_classification_head()
    with caplog.at_level(logging.INFO, logger="open_interpreter"):
        result = interpreter.fine_tune(
            train_data=train_x,
            train_labels=train_y,
            validation_data=dev_x,
            validation_labels=dev_y,
            epochs=6,
            **FAST,
        )
    assert "per-token tag lists: training token-classification" in caplog.text
    assert result.task == "token-classification"
    assert interpreter.labels == ["O", "B-LOC", "B-ORG", "I-ORG", "B-PER"]
    assert result.before is not None and result.after is not None
    assert result.after.entity_f1 > 0.9 > result.before.entity_f1
    report = interpreter.evaluate(dev_x, dev_y)
    assert f"{report:.2f}" == f"{report.accuracy:.2f}"
    assert report.accuracy > 0.9


def test_same_seed_gives_the_same_metrics(tiny_bert_dir, ner_data):
    (train_x, train_y), (dev_x, dev_y) = ner_data

    def run() -> tuple[list[float], dict[str, float]]:
        interpreter = OpenInterpreter(str(tiny_bert_dir))
        result = interpreter.fine_tune(
            train_data=train_x,
            train_labels=train_y,
            validation_data=dev_x,
            validation_labels=dev_y,
            epochs=2,
            seed=7,
            **FAST,
        )
        return [e["loss"] for e in result.training.history], result.after.metrics()

    assert run() == run()


def test_predict_gives_entities_with_character_offsets(tiny_bert_dir, ner_data):
    (train_x, train_y), _ = ner_data
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(train_data=train_x, train_labels=train_y, epochs=6, **FAST)
    text = "Mary visited  Berlin."
    prediction = interpreter.predict(text)
    assert [(e.type, e.text, e.start, e.end) for e in prediction.entities] == [
        ("PER", "Mary", 0, 4),
        ("LOC", "Berlin", 14, 20),
    ]
    assert all(0 < e.score <= 1 for e in prediction.entities)
    tagged = interpreter.predict([["john", "works", "at", "acme", "corp"]])
    assert tagged[0].tags == ["B-PER", "O", "O", "B-ORG", "I-ORG"]


def test_save_writes_a_plain_transformers_model_and_load_restores_it(
    tiny_bert_dir, ner_data, tmp_path
):
    from transformers import AutoModelForTokenClassification

    (train_x, train_y), (dev_x, dev_y) = ner_data
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(
        train_data=train_x,
        train_labels=train_y,
        validation_data=dev_x,
        validation_labels=dev_y,
        epochs=2,
        **FAST,
    )
    saved = interpreter.save(tmp_path / "ner")
    plain = AutoModelForTokenClassification.from_pretrained(saved)
    assert plain.config.id2label[4] == "B-PER"
    assert {
        "oi_model.json",
        "training_config.json",
        "metrics.json",
        "README.md",
        "model.safetensors",
    } <= {p.name for p in saved.iterdir()}
    assert "## Results: after" in (saved / "README.md").read_text()
    assert json.loads((saved / "training_config.json").read_text())["epochs"] == 2
    loaded = OpenInterpreter.load(saved)
    assert loaded.evaluate(dev_x, dev_y).to_dict() == interpreter.evaluate(dev_x, dev_y).to_dict()


def test_text_classification_and_sentence_pairs(tiny_bert_dir):
    texts, labels = sentiment_texts(64)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    result = interpreter.fine_tune(train_data=texts, train_labels=labels, epochs=8, **FAST)
    assert result.task == "sequence-classification"
    assert interpreter.predict("the movie is awful").label == "negative"
    assert interpreter.evaluate(texts, labels).accuracy > 0.9

    pairs = [(t, "it is good") for t in texts]
    same = ["yes" if label == "positive" else "no" for label in labels]
    pair_model = OpenInterpreter(str(tiny_bert_dir))
    pair_model.add_sentence_pair_head(labels=["no", "yes"])
    assert (
        pair_model.fine_tune(train_data=pairs, train_labels=same, epochs=2, **FAST).task
        == "sentence-pair"
    )
    assert pair_model.predict(("this film is great", "it is good")).label in {"yes", "no"}


def test_texts_longer_than_the_model_are_cut_to_its_positions(tiny_bert_dir):
    # The tiny BERT has 128 positions; max_length defaults to 256.
    texts, labels = sentiment_texts(16)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(train_data=texts, train_labels=labels, epochs=1, **FAST)
    assert interpreter.config.max_length > 128
    long_text = " ".join(["the movie is awful"] * 100)
    assert interpreter.predict(long_text).label in {"negative", "positive"}
    explanation = interpreter.explain(long_text, method="occlusion")
    assert explanation is not None
    ner = OpenInterpreter(str(tiny_bert_dir))
    ner.fine_tune(train_data=[["mary", "sat"]] * 8, train_labels=[["B-PER", "O"]] * 8, **FAST)
    tagged = ner.predict([["mary"] * 300])[0]
    assert len(tagged.tags) == 300  # long sentences are tagged in windows, not cut


def test_freezing_the_backbone_trains_only_the_head(tiny_bert_dir):
    texts, labels = sentiment_texts(16)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.add_sequence_classification_head(labels=["negative", "positive"])
    backbone = {k: v.clone() for k, v in interpreter.model.bert.state_dict().items()}
    head = interpreter.model.classifier.weight.clone()
    interpreter.fine_tune(
        train_data=texts, train_labels=labels, epochs=1, freeze="backbone", **FAST
    )
    after = interpreter.model.bert.state_dict()
    assert all((after[k] == v).all() for k, v in backbone.items())
    assert not (interpreter.model.classifier.weight == head).all()


def test_sgd_and_max_steps(tiny_bert_dir):
    texts, labels = sentiment_texts(32)
    result = OpenInterpreter(str(tiny_bert_dir)).fine_tune(
        train_data=texts, train_labels=labels, optimizer="sgd", max_steps=3, **FAST
    )
    assert result.training.steps == 3


def test_early_stopping_ends_the_run(tiny_bert_dir, ner_data):
    (train_x, train_y), (dev_x, dev_y) = ner_data
    result = OpenInterpreter(str(tiny_bert_dir)).fine_tune(
        train_data=train_x,
        train_labels=train_y,
        validation_data=dev_x,
        validation_labels=dev_y,
        epochs=30,
        early_stopping_metric="accuracy",
        early_stopping_patience=1,
        **FAST,
    )
    assert result.training.stopped_early
    assert len(result.training.evaluations) < 30


def test_bad_input_gets_a_clear_error(tiny_bert_dir, ner_data):
    (train_x, train_y), _ = ner_data
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    with pytest.raises(DataError, match="48 items but train_labels has 47"):
        interpreter.fine_tune(train_data=train_x, train_labels=train_y[:-1], **FAST)
    bad_train = [list(tags) for tags in train_y]
    bad_train[-1][0] = "B-XYZ"
    tags = ["O", "B-LOC", "B-ORG", "I-ORG", "B-PER"]
    with pytest.raises(LabelError, match=r"training labels \['B-XYZ'\] are not among"):
        interpreter.fine_tune(train_data=train_x, train_labels=bad_train, labels=tags, **FAST)
    with pytest.raises(ModelStateError, match="fine_tune"):
        OpenInterpreter(str(tiny_bert_dir)).predict("john")
    with pytest.raises(DataError, match="empty"):
        interpreter.fine_tune(train_data=[], train_labels=[], **FAST)


def test_evaluate_scores_labels_the_model_never_saw_with_a_warning(tiny_ner_model_dir, caplog):
    interpreter = OpenInterpreter.load(tiny_ner_model_dir)
    tokens = [["mary", "visited", "acme", "corp"], ["john", "visited", "paris", "."]]
    tags = [["B-PER", "O", "B-MISC", "I-MISC"], ["B-PER", "O", "B-LOC", "O"]]
    with caplog.at_level(logging.WARNING, logger="open_interpreter"):
        report = interpreter.evaluate(tokens, tags)
    assert "test labels never seen in training: ['B-MISC', 'I-MISC']" in caplog.text
    assert "labels setting" in caplog.text
    assert report.labels[-2:] == ["B-MISC", "I-MISC"]
    misc = report.report.per_label["B-MISC"]
    assert (misc.recall, misc.support) == (0.0, 1)
    assert report.entities is not None and report.entities.per_type["MISC"].recall == 0.0
    assert report.report.micro.support == 8


def test_packaged_data_and_data_keywords_work_in_python(tiny_bert_dir, monkeypatch, caplog):
    monkeypatch.setitem(PACKAGED_DATASETS, "tiny-ner", packaged_ner(40))
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    with caplog.at_level(logging.INFO, logger="open_interpreter"):
        result = interpreter.fine_tune(
            train_data="package:tiny-ner",
            limit=20,
            validation_split=0.1,
            test_split=0.1,
            epochs=1,
            **FAST,
        )
    assert result.data == {"train": 16, "validation": 2, "test": 2}
    assert "limit 20 examples → 16 train / 2 validation / 2 test" in caplog.text
    assert interpreter.evaluate("package:tiny-ner").num_examples == 40
    result = interpreter.fine_tune(
        train_data="package:tiny-ner",
        validation_data="package:tiny-ner",
        test_data="package:tiny_ner",
        max_steps=1,
        **FAST,
    )
    assert result.data == {"train": 20, "validation": 40, "test": 40}  # limit=20 holds on
    assert str(result).startswith("token-classification: 20 training examples, 1 step in ")


def test_an_unknown_model_name_fails_at_construction_without_loading_weights(tiny_bert_dir):
    with pytest.raises(ModelNotFoundError, match="Did you mean 'minilm-l6'"):
        OpenInterpreter("minilm-l7")
    with pytest.raises(ModelNotFoundError, match="could not find model 'no-tokenizer'"):
        OpenInterpreter(str(tiny_bert_dir), tokenizer_name="no-tokenizer")
    assert OpenInterpreter(str(tiny_bert_dir)).model is None


def test_evaluate_shows_a_bar_on_a_terminal_when_progress_is_on(
    tiny_ner_model_dir, monkeypatch, capsys
):
    tokens, tags = ner_sentences(40, seed=3)
    interpreter = OpenInterpreter.load(tiny_ner_model_dir)
    interpreter.evaluate(tokens, tags, progress=True)
    assert "scoring" not in capsys.readouterr().err  # not a terminal: no bar
    monkeypatch.setenv("FORCE_COLOR", "1")  # what rich takes for a terminal
    interpreter.evaluate(tokens, tags, progress=True)
    assert "scoring test" in capsys.readouterr().err
    interpreter.evaluate(tokens, tags, progress=False)
    assert "scoring" not in capsys.readouterr().err
