"""Models for the analysis tests: tiny BERTs trained once per session, and a toy model whose
answer is known (one word decides the label)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import torch

from open_interpreter import OpenInterpreter
from open_interpreter.bundle import ModelBundle
from open_interpreter.tasks import SequenceClassificationTask

from ..conftest import build_tiny_tokenizer
from .tiny_data import ner_sentences, sentiment_texts

FAST = {"learning_rate": 5e-3, "batch_size": 8, "progress": False, "warmup_ratio": 0.0}


@functools.cache
def trained(model_dir: str, task: str) -> OpenInterpreter:
    """A tiny BERT fine-tuned on the synthetic ``sentiment`` or ``ner`` data (cached)."""
    interpreter = OpenInterpreter(model_dir)
    if task == "sentiment":
        texts, labels = sentiment_texts(64, seed=0)
        interpreter.fine_tune(train_data=texts, train_labels=labels, epochs=4, **FAST)
    else:
        tokens, tags = ner_sentences(48, seed=0)
        interpreter.fine_tune(train_data=tokens, train_labels=tags, epochs=6, **FAST)
    return interpreter


class BagOfWords(torch.nn.Module):
    """Logits = the sum of the words' 2-d embeddings; only the words given have non-zero ones.

    With ``great`` = (0, 5) and ``awful`` = (5, 0), "this film is great" is positive with
    probability 0.993 and with ``great`` blanked out the model is at 0.5: the one word decides.
    """

    def __init__(self, vocabulary: dict[str, int], weights: dict[str, tuple[float, float]]):
        super().__init__()
        self.embed = torch.nn.Embedding(len(vocabulary), 2)
        with torch.no_grad():
            self.embed.weight.zero_()
            for word, row in weights.items():
                self.embed.weight[vocabulary[word]] = torch.tensor(row)

    def get_input_embeddings(self) -> torch.nn.Embedding:
        return self.embed

    def forward(self, input_ids=None, inputs_embeds=None, **_: object) -> SimpleNamespace:
        vectors = inputs_embeds if inputs_embeds is not None else self.embed(input_ids)
        return SimpleNamespace(logits=vectors.sum(dim=1), loss=None, attentions=None)


def bag_of_words_interpreter() -> OpenInterpreter:
    """An interpreter around :class:`BagOfWords` over the tiny tokenizer's vocabulary."""
    tokenizer = build_tiny_tokenizer()
    bundle = ModelBundle(
        model_name="bag-of-words",
        tokenizer=tokenizer,
        model=BagOfWords(tokenizer.get_vocab(), {"great": (0.0, 5.0), "awful": (5.0, 0.0)}),
        task=SequenceClassificationTask(),
        labels=["negative", "positive"],
        has_head=True,
    )
    return OpenInterpreter.from_bundle(bundle)
