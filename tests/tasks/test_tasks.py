"""The tasks: what each one says of itself, how it shapes raw inputs and finishes predictions,
and which one a name, a data set or a model means."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from open_interpreter.data.examples import ChatExamples, TextExamples, TokenExamples
from open_interpreter.errors import ConfigError, DataError, ModelStateError
from open_interpreter.tasks import (
    TASKS,
    CausalLMTask,
    Entity,
    LabelPrediction,
    SentencePairTask,
    Seq2SeqTask,
    SequenceClassificationTask,
    TokenClassificationTask,
    TokenPrediction,
    get_task,
    infer_task,
    language_task,
)
from open_interpreter.tasks.forward import ForwardResult

from ..fixtures.data import CHAT
from ..fixtures.tokenizers import build_tiny_tokenizer


@pytest.mark.parametrize(
    ("task", "name", "auto_class", "labels_words", "headline", "analyses"),
    [
        (
            SequenceClassificationTask,
            "sequence-classification",
            "AutoModelForSequenceClassification",
            False,
            "accuracy",
            {"explain", "perturb", "attack"},
        ),
        (
            SentencePairTask,
            "sentence-pair",
            "AutoModelForSequenceClassification",
            False,
            "accuracy",
            {"perturb"},
        ),
        (
            TokenClassificationTask,
            "token-classification",
            "AutoModelForTokenClassification",
            True,
            "entity_f1",
            {"explain", "perturb", "attack"},
        ),
    ],
    ids=["sequence-classification", "sentence-pair", "token-classification"],
)
def test_classification_tasks_say_what_they_label_score_and_analyse(
    task, name, auto_class, labels_words, headline, analyses
):
    assert (task.name, task.auto_class, task.generative) == (name, auto_class, False)
    assert task.labels_words is labels_words
    assert task.headline_metric == headline
    assert task.analyses == frozenset(analyses)


@pytest.mark.parametrize(
    ("task", "name", "auto_class"),
    [
        (CausalLMTask, "causal-lm", "AutoModelForCausalLM"),
        (Seq2SeqTask, "seq2seq", "AutoModelForSeq2SeqLM"),
    ],
    ids=["causal-lm", "seq2seq"],
)
def test_generative_tasks_answer_in_text_and_offer_no_analyses(task, name, auto_class):
    assert (task.name, task.auto_class, task.generative) == (name, auto_class, True)
    assert task.labels_words is False
    assert task.headline_metric == "loss"
    assert task.analyses == frozenset()
    assert task().label_set(ChatExamples([CHAT])) == []
    with pytest.raises(ModelStateError, match="answer with generate"):
        task().decode(ChatExamples([CHAT]), [], ForwardResult([], None), {})


def test_texts_are_checked_and_become_text_examples():
    task = SequenceClassificationTask()
    assert task.check_inputs(["this film", "that film"]) == ["this film", "that film"]
    with pytest.raises(DataError, match=r"texts\.1: expected a string"):
        task.check_inputs(["this film", 3])
    with pytest.raises(DataError, match=r"texts\.0: expected a string"):
        task.check_inputs([("a text", "its pair")])  # a text classifier takes no pairs
    prepared = task.prepare_inputs(None, ["this film", "that film"])
    assert prepared.examples == TextExamples(texts=["this film", "that film"])
    assert prepared.examples.source == "inputs" and prepared.spans is None
    predictions = [LabelPrediction("positive", 0.9, {"positive": 0.9, "negative": 0.1})]
    assert task.finish_predictions(predictions, ["this film"], prepared) is predictions


def test_pairs_are_checked_and_become_text_examples_with_pairs():
    task = SentencePairTask()
    checked = task.check_inputs([["is it good?", "it is"], ("a", "b")])
    assert checked == [("is it good?", "it is"), ("a", "b")]
    with pytest.raises(DataError, match=r"texts\.1: this model classifies pairs"):
        task.check_inputs([("a", "b"), "a lone text"])
    with pytest.raises(DataError, match=r"texts\.0: expected a string"):
        task.check_inputs([["one", "two", "three"]])
    prepared = task.prepare_inputs(None, checked)
    assert prepared.examples == TextExamples(texts=["is it good?", "a"], text_pairs=["it is", "b"])
    with pytest.raises(DataError, match="needs pairs of texts"):
        task.label_set(TextExamples(["a"], ["x"]))


def test_texts_and_word_lists_become_sentences_with_the_spans_of_their_words():
    task = TokenClassificationTask()
    items = task.check_inputs(["Mary  visited Paris.", ("john", "works", "at", "acme", "corp")])
    assert items == ["Mary  visited Paris.", ["john", "works", "at", "acme", "corp"]]
    with pytest.raises(DataError, match=r"texts\.0: expected a string"):
        task.check_inputs([["john", 7]])
    with pytest.raises(DataError, match=r"texts\.1: expected a string"):
        task.check_inputs(["a text", None])

    prepared = task.prepare_inputs(build_tiny_tokenizer(), items)
    assert prepared.examples.tokens == [
        ["Mary", "visited", "Paris", "."],
        ["john", "works", "at", "acme", "corp"],
    ]
    assert prepared.examples.tags is None
    assert prepared.spans == [[(0, 4), (6, 13), (14, 19), (19, 20)], None]
    without_tokenizer = task.prepare_inputs(None, items[:1])  # words by a plain pattern
    assert without_tokenizer.spans == prepared.spans[:1]


def test_entities_get_character_offsets_into_the_text_they_came_from():
    task = TokenClassificationTask()
    items = ["Mary  visited Paris.", ["john", "works", "at", "acme", "corp"]]
    prepared = task.prepare_inputs(build_tiny_tokenizer(), items)
    from_text = TokenPrediction(
        tokens=["Mary", "visited", "Paris", "."],
        tags=["B-PER", "O", "B-LOC", "O"],
        scores=[0.9, 0.8, 0.7, 0.9],
        entities=[
            Entity("PER", "Mary", 0, 1, 0.9, (0, 1)),
            Entity("LOC", "Paris", 2, 3, 0.7, (2, 3)),
        ],
    )
    from_words = TokenPrediction(
        tokens=items[1],
        tags=["B-PER", "O", "O", "B-ORG", "I-ORG"],
        scores=[0.9] * 5,
        entities=[Entity("ORG", "acme corp", 3, 5, 0.9, (3, 5))],
    )
    finished = task.finish_predictions([from_text, from_words], items, prepared)
    assert [(e.text, e.start, e.end) for e in finished[0].entities] == [
        ("Mary", 0, 4),
        ("Paris", 14, 19),
    ]
    # A sentence sent as words has no text to point into: its spans stay word indices.
    assert [(e.text, e.start, e.end) for e in finished[1].entities] == [("acme corp", 3, 5)]


def test_decoding_gives_each_text_its_most_probable_label_and_every_score():
    text = SequenceClassificationTask().decode(
        TextExamples(["a", "b"]),
        [],
        ForwardResult([np.array([0.2, 0.8]), np.array([0.7, 0.3])], None),
        {0: "negative", 1: "positive"},
    )
    assert [(p.label, p.score) for p in text] == [
        ("positive", pytest.approx(0.8)),
        ("negative", pytest.approx(0.7)),
    ]
    assert text[0].scores == {"negative": pytest.approx(0.2), "positive": pytest.approx(0.8)}


def test_label_sets_are_ordered_whatever_the_order_of_the_data():
    texts = SequenceClassificationTask()
    assert texts.label_set(TextExamples(["a", "b", "c"], [10, 3, 2])) == ["2", "3", "10"]
    assert texts.label_set(TextExamples(["a", "b"], ["pos", "neg"])) == ["neg", "pos"]
    with pytest.raises(DataError, match="token classification"):
        texts.label_set(TokenExamples([["a"]], [["O"]]))
    tags = TokenClassificationTask().label_set(
        TokenExamples([["a", "b", "c", "d"]], [["I-PER", "B-LOC", "O", "B-PER"]])
    )
    assert tags == ["O", "B-LOC", "B-PER", "I-PER"]


def test_every_task_is_found_by_its_name():
    assert sorted(TASKS) == [
        "causal-lm",
        "sentence-pair",
        "seq2seq",
        "sequence-classification",
        "token-classification",
    ]
    for name, task in TASKS.items():
        found = get_task(name)
        assert type(found) is task and found.name == name
    with pytest.raises(ConfigError, match=r"unknown task 'ner'; choose one of \['causal-lm'"):
        get_task("ner")


def test_the_data_decides_the_task():
    assert type(infer_task(TextExamples(["a"], ["x"]))) is SequenceClassificationTask
    pairs = TextExamples(["a"], ["x"], text_pairs=["b"])
    assert type(infer_task(pairs)) is SentencePairTask
    assert type(infer_task(TokenExamples([["a"]], [["O"]]))) is TokenClassificationTask
    chats = ChatExamples([CHAT])
    assert type(infer_task(chats)) is CausalLMTask
    decoder = SimpleNamespace(config=SimpleNamespace(is_encoder_decoder=False))
    encoder_decoder = SimpleNamespace(config=SimpleNamespace(is_encoder_decoder=True))
    assert type(infer_task(chats, decoder)) is CausalLMTask
    assert type(infer_task(chats, encoder_decoder)) is Seq2SeqTask


def _model(*, encoder_decoder: bool, lm_head: bool, model_type: str) -> SimpleNamespace:
    """Just enough of a ``transformers`` model for ``check_model``."""
    config = SimpleNamespace(is_encoder_decoder=encoder_decoder, model_type=model_type)
    return SimpleNamespace(
        config=config, get_output_embeddings=lambda: object() if lm_head else None
    )


def test_a_language_model_is_given_the_generative_task_it_can_do():
    llama = _model(encoder_decoder=False, lm_head=True, model_type="llama")
    t5 = _model(encoder_decoder=True, lm_head=True, model_type="t5")
    assert type(language_task(llama)) is CausalLMTask
    assert type(language_task(t5)) is Seq2SeqTask
    bert = _model(encoder_decoder=False, lm_head=False, model_type="bert")
    with pytest.raises(ModelStateError, match=r"causal-lm needs a decoder model .* \(bert\)"):
        language_task(bert)
    with pytest.raises(ModelStateError, match="seq2seq needs an encoder-decoder"):
        Seq2SeqTask().check_model(llama)
