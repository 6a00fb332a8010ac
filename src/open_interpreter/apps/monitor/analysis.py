"""Per-document analysis, in batches: topic, sentiment (scored per sentence, averaged to
the document) and the companies and people named.

A sentence's sentiment is P(positive) − P(negative) from the sentiment classifier, in
[−1, 1]; a document's is the mean over its sentences, and it counts as negative when the
mean of its sentences' probabilities is highest for ``negative`` (FinBERT users aggregate
the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from open_interpreter.apps.monitor.entities import EntityFinder, Mention
from open_interpreter.apps.monitor.lexicon import split_sentences


@dataclass
class Analysis:
    """What the monitor found in one document."""

    topic: str | None
    sentiment: float
    negative: bool
    mentions: list[Mention] = field(default_factory=list)
    label: str = "neutral"
    """The document's sentiment label: negative, neutral or positive."""

    @property
    def keys(self) -> list[str]:
        """The series this document counts in: each entity's and its topic's."""
        return [m.key for m in self.mentions] + ([f"topic:{self.topic}"] if self.topic else [])


class Analyzer:
    """Runs the topic and sentiment classifiers and the entity finder over batches of texts.

    Args:
        sentiment: A sequence-classification bundle with ``negative`` and ``positive``
            among its labels.
        entities: The entity finder (alias table, optional NER model).
        topic: A topic-classification bundle, or None to skip topics.
        max_sentences: Sentences scored per document (the first ones).
    """

    def __init__(
        self,
        sentiment: Any,
        entities: EntityFinder,
        topic: Any = None,
        *,
        max_sentences: int = 16,
    ):
        from open_interpreter.errors import ConfigError

        missing = {"negative", "positive"} - set(sentiment.labels or [])
        if missing:
            raise ConfigError(
                f"the sentiment model needs labels negative and positive, got {sentiment.labels}"
            )
        self.sentiment, self.entities, self.topic = sentiment, entities, topic
        self.max_sentences = max_sentences

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Analyse ``texts`` in one batch per model."""
        from open_interpreter.inference import predict

        texts = list(texts)
        if not texts:
            return []
        sentences, owners = [], []
        for index, text in enumerate(texts):
            parts = split_sentences(text, max_sentences=self.max_sentences) or [text]
            sentences += parts
            owners += [index] * len(parts)
        scored = predict(self.sentiment, sentences)
        labels = list(self.sentiment.labels)
        sums = [[0.0] * len(labels) for _ in texts]
        counts = [0] * len(texts)
        for owner, prediction in zip(owners, scored, strict=True):
            counts[owner] += 1
            for i, label in enumerate(labels):
                sums[owner][i] += prediction.scores[label]
        topics = (
            [p.label for p in predict(self.topic, texts)] if self.topic else [None] * len(texts)
        )
        mentions = self.entities.find(texts)
        results = []
        for index in range(len(texts)):
            mean = [value / counts[index] for value in sums[index]]
            probability = dict(zip(labels, mean, strict=True))
            best = labels[max(range(len(labels)), key=mean.__getitem__)]
            results.append(
                Analysis(
                    topic=topics[index],
                    sentiment=round(probability["positive"] - probability["negative"], 6),
                    negative=best == "negative",
                    mentions=mentions[index],
                    label=best,
                )
            )
        return results


class CachedAnalyzer:
    """An analyzer that remembers results by text, for replays that repeat texts (the
    benchmark's streams): the first time a text is seen it goes through ``analyzer``."""

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer
        self.cache: dict[str, Analysis] = {}

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Analyse the texts not seen before in one batch; return every text's analysis."""
        new = list(dict.fromkeys(text for text in texts if text not in self.cache))
        self.cache.update(zip(new, self.analyzer.analyse(new), strict=True))
        return [self.cache[text] for text in texts]


class LexiconAnalyzer:
    """The dictionary alone: sentiment from Loughran–McDonald word counts, no model, no
    topic. A baseline for the fine-tuned analyzer, and a fast analyzer where no model is
    wanted.

    A sentence scores (positive − negative words) / (their sum), 0 without any; a document
    scores the mean over its sentences and is negative when the dictionary labels the
    whole text negative.
    """

    def __init__(self, entities: EntityFinder, *, max_sentences: int = 16):
        from open_interpreter.apps.monitor.lexicon import load_lexicon

        self.lexicon, self.entities, self.max_sentences = load_lexicon(), entities, max_sentences

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Analyse ``texts`` with the dictionary."""
        texts = list(texts)
        mentions = self.entities.find(texts)
        results = []
        for text, found in zip(texts, mentions, strict=True):
            scores = []
            for sentence in split_sentences(text, max_sentences=self.max_sentences) or [text]:
                negative, positive = self.lexicon.counts(sentence)
                scores.append(
                    (positive - negative) / (positive + negative) if negative + positive else 0.0
                )
            label = self.lexicon.label(text)
            results.append(
                Analysis(
                    topic=None,
                    sentiment=round(sum(scores) / len(scores), 6),
                    negative=label == "negative",
                    mentions=found,
                    label=label,
                )
            )
        return results
