"""The tiny BERTs the analysis tests explain, perturb and attack (trained once per session)."""

from __future__ import annotations

import pytest

from ..fixtures.analysis import trained


@pytest.fixture
def sentiment(tiny_bert_dir):
    """The tiny BERT fine-tuned on the synthetic sentiment texts."""
    return trained(str(tiny_bert_dir), "sentiment")


@pytest.fixture
def ner(tiny_bert_dir):
    """The tiny BERT fine-tuned on the synthetic NER sentences."""
    return trained(str(tiny_bert_dir), "ner")
