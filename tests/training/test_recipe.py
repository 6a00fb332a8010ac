"""The recipe's checks on labels, through ``OpenInterpreter.fine_tune`` as users call it:
unlabelled data and a single label are refused before training; the ``labels`` setting
fixes the head; held-out labels the model never saw are scored with a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, DataError, LabelError

from ..fixtures.data import colour_chats, ner_sentences, sentiment_texts

FAST = {"learning_rate": 5e-3, "batch_size": 8, "progress": False, "warmup_ratio": 0.0}
TAGS = ["O", "B-LOC", "B-ORG", "I-ORG", "B-PER"]


def _refused(model: Path, **arguments) -> str:
    """The message of the DataError or LabelError ``fine_tune`` raises, checking that no
    training step ran first."""
    events = []
    with pytest.raises((DataError, LabelError)) as info:
        OpenInterpreter(str(model)).fine_tune(on_event=events.append, **FAST, **arguments)
    assert events == []
    return str(info.value)


def test_a_csv_without_the_label_column_names_its_columns_and_the_setting(tiny_bert_dir, tmp_path):
    csv = tmp_path / "nolabel.csv"
    csv.write_text("text,lbl\nthis film is great,positive\nthis film is awful,negative\n")
    message = _refused(tiny_bert_dir, train_data=str(csv), epochs=1)
    assert "no column 'label' among its columns ['text', 'lbl']" in message
    assert "data.label_column=lbl" in message and "data={'label_column': 'lbl'}" in message
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(train_data=str(csv), data={"label_column": "lbl"}, epochs=1, **FAST)
    assert interpreter.labels == ["negative", "positive"]


@pytest.mark.parametrize(
    ("train_data", "expected"),
    [
        (["great", "awful"], "train_data has no labels; pass train_labels"),
        ([("great", "good"), ("awful", "bad")], "train_data has no labels; pass train_labels"),
        ([["john", "visited", "paris"]], "train_data has no tags; pass train_labels"),
    ],
    ids=["texts", "pairs", "tokens"],
)
def test_unlabelled_lists_are_refused_before_training(tiny_bert_dir, train_data, expected):
    assert expected in _refused(tiny_bert_dir, train_data=train_data)


def test_a_frame_of_tokens_without_tags_names_its_columns(tiny_bert_dir):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"tokens": [["john", "visited", "paris"]], "labels": [["O"] * 3]})
    message = _refused(tiny_bert_dir, train_data=frame)
    assert "no column 'tags' or 'ner_tags' beside 'tokens' among its columns" in message
    assert "['tokens', 'labels']" in message


def test_unlabelled_validation_data_is_refused_before_training(tiny_bert_dir):
    texts, labels = sentiment_texts(16)
    message = _refused(
        tiny_bert_dir, train_data=texts, train_labels=labels, validation_data=texts[:4]
    )
    assert "validation_data has no labels; pass validation_labels" in message


def test_prompts_without_answers_are_refused_for_seq2seq(tiny_t5_dir):
    records = [{"prompt": "what colour is the sky?"}]
    for settings in ({"task": "seq2seq"}, {}):
        message = _refused(tiny_t5_dir, train_data=records, **settings)
        assert "a prompt ('prompt'/'instruction') and a response" in message
        assert "fields present: ['prompt']" in message


def test_conversations_need_no_labels(tiny_llama_dir):
    result = OpenInterpreter(str(tiny_llama_dir)).fine_tune(
        train_data=colour_chats(8), max_steps=1, **FAST
    )
    assert result.task == "causal-lm" and result.training.steps == 1


def test_one_label_is_refused_unless_the_labels_setting_lists_more(tiny_bert_dir):
    texts = ["this film is great", "this movie is good"]
    message = _refused(tiny_bert_dir, train_data=texts, train_labels=["positive"] * 2)
    assert message.startswith("train_data holds one label, ['positive']: a classifier needs")
    assert "labels=['positive', 'other']" in message
    sorted_by_label = ["great", "good", "fine", "awful", "bad"]
    labels = ["positive"] * 3 + ["negative"] * 2
    message = _refused(tiny_bert_dir, train_data=sorted_by_label, train_labels=labels, limit=3)
    assert "data.limit=3 kept the first 3 examples" in message
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(
        train_data=texts, train_labels=["positive"] * 2, labels=["negative", "positive"], **FAST
    )
    assert interpreter.labels == ["negative", "positive"]
    assert interpreter.model.config.num_labels == 2
    assert interpreter.model.config.problem_type != "regression"


def test_the_labels_setting_fixes_the_head_and_its_order(tiny_bert_dir, caplog):
    tokens, tags = ner_sentences(16, seed=0)
    test_tokens = [["mary", "visited", "acme", "corp", "in", "berlin"]]
    test_tags = [["B-PER", "O", "B-MISC", "I-MISC", "O", "B-LOC"]]
    labels = ["O", "B-MISC", "I-MISC", *TAGS[1:]]
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    with caplog.at_level(logging.WARNING, logger="open_interpreter"):
        result = interpreter.fine_tune(
            train_data=tokens,
            train_labels=tags,
            test_data=test_tokens,
            test_labels=test_tags,
            labels=labels,
            epochs=1,
            **FAST,
        )
    assert "never seen in training" not in caplog.text
    assert interpreter.labels == labels == result.labels
    assert interpreter.model.config.num_labels == len(labels)
    assert result.test is not None and result.test.labels == labels


def test_training_labels_outside_the_labels_setting_are_named(tiny_bert_dir):
    tokens, tags = ner_sentences(16, seed=0)
    message = _refused(tiny_bert_dir, train_data=tokens, train_labels=tags, labels=TAGS[:3])
    assert message == (
        "training labels ['I-ORG', 'B-PER'] are not among the head's labels "
        "['O', 'B-LOC', 'B-ORG']; add them to the labels setting"
    )


def test_the_labels_setting_must_agree_with_a_head_asked_for(tiny_bert_dir):
    texts, labels = sentiment_texts(8)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.add_sequence_classification_head(labels=["negative", "positive"])
    with pytest.raises(ConfigError, match=r"labels=\['positive', 'negative'\] differ from"):
        interpreter.fine_tune(
            train_data=texts, train_labels=labels, labels=["positive", "negative"], **FAST
        )


def test_the_labels_setting_is_for_classification(tiny_llama_dir):
    with pytest.raises(ConfigError, match="labels is for classification tasks"):
        OpenInterpreter(str(tiny_llama_dir)).fine_tune(
            train_data=colour_chats(4), labels=["a", "b"], **FAST
        )


def test_held_out_labels_never_seen_in_training_score_zero_with_a_warning(tiny_bert_dir, caplog):
    texts, labels = sentiment_texts(32)
    test_texts, test_labels = [*texts[:6], "the film is fine"], [*labels[:6], "neutral"]
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    with caplog.at_level(logging.WARNING, logger="open_interpreter"):
        result = interpreter.fine_tune(
            train_data=texts,
            train_labels=labels,
            validation_data=test_texts,
            validation_labels=test_labels,
            epochs=2,
            **FAST,
        )
    assert "validation labels never seen in training: ['neutral']" in caplog.text
    assert "labels setting" in caplog.text
    report = result.after
    assert report is not None and report.labels == ["negative", "positive", "neutral"]
    neutral = report.report.per_label["neutral"]
    assert (neutral.recall, neutral.support) == (0.0, 1)
    assert report.report.macro.support == 7
    assert report.loss is not None  # over the six examples the model has outputs for
    assert interpreter.labels == ["negative", "positive"]
