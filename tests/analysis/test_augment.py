"""Training augmentation: perturbed copies of the training split, and only of it."""

from __future__ import annotations

from open_interpreter import OpenInterpreter
from open_interpreter.analysis import augment_training_data
from open_interpreter.config import AugmentSettings
from open_interpreter.data import TokenExamples

from ..fixtures.analysis import FAST, trained
from ..fixtures.data import ner_sentences, sentiment_texts


def test_augmented_training_data_adds_perturbed_copies(tiny_bert_dir):
    interpreter = trained(str(tiny_bert_dir), "ner")
    tokens, tags = ner_sentences(30, seed=2)
    examples = TokenExamples(tokens, tags, source="train")
    settings = AugmentSettings(perturbations=["char-swap", "entity-swap"], rate=0.5, copies=2)
    kwargs = {"model": interpreter.model, "tokenizer": interpreter.tokenizer, "seed": 1}
    augmented = augment_training_data(examples, settings, **kwargs)
    assert len(augmented) == 90
    assert augmented.tokens[:30] == tokens and augmented.tags[:30] == tags
    assert augmented.tokens[30:] != tokens[:30] * 2
    assert all(len(w) == len(t) for w, t in zip(augmented.tokens, augmented.tags, strict=True))
    assert augment_training_data(examples, settings, **kwargs) == augmented
    assert augment_training_data(examples, AugmentSettings(), **kwargs) is examples


def test_fine_tune_with_augment_perturbs_the_training_split_only(tiny_bert_dir):
    texts, labels = sentiment_texts(40, seed=0)
    dev, dev_labels = sentiment_texts(12, seed=1)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    result = interpreter.fine_tune(
        train_data=texts,
        train_labels=labels,
        validation_data=dev,
        validation_labels=dev_labels,
        epochs=1,
        augment={"perturbations": ["char-swap", "word-dropout"], "copies": 2},
        **FAST,
    )
    assert result.data == {"train": 120, "validation": 12}
    assert interpreter.config.augment.copies == 2
