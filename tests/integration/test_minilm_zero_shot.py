"""Embedding zero-shot with the real minilm-l6 on a seeded slice of BBC News."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.data import load_packaged, seeded_split
from open_interpreter.prompting import load_eval_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "prompts" / "bbc_news.yaml"


def test_label_descriptions_beat_the_majority_class_by_fifty_points():
    descriptions = load_eval_config(CONFIG).descriptions  # the shipped ones, as documented
    rest, held_out = seeded_split(load_packaged("bbc-news"), (0.8, 0.2), seed=0)
    sample = held_out.subset(list(range(0, len(held_out), 6)))  # 75 articles, every topic
    majority = Counter(rest.labels).most_common(1)[0][0]
    baseline = sum(label == majority for label in sample.labels) / len(sample)

    predictions = OpenInterpreter("minilm-l6").zero_shot(
        sample.texts, labels=descriptions, max_words=100
    )

    assert predictions.method == "embedding zero-shot"
    assert predictions.labels == list(descriptions)
    accuracy = sum(
        p == g for p, g in zip(predictions.predicted_labels, sample.labels, strict=True)
    ) / len(sample)
    assert accuracy >= baseline + 0.5, (accuracy, baseline)
