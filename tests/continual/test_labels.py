"""New data against the model's task and labels: conflicts are refused with a message
that says what to do, and new labels grow the head keeping the old rows."""

from __future__ import annotations

import pytest
import torch

from open_interpreter.continual.labels import check_same_task, grow_head, new_labels, relabelled
from open_interpreter.data.examples import TextExamples, TokenExamples
from open_interpreter.errors import DataError, LabelError
from open_interpreter.tasks import get_task

OLD_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_new_entity_types_are_accepted_in_the_models_scheme():
    assert new_labels(OLD_TAGS, ["O", "B-PER", "B-company", "I-company"], tags=True) == [
        "B-company",
        "I-company",
    ]


@pytest.mark.parametrize(
    ("label", "twin"),
    [("B-PERSON", "B-PER"), ("b-per", "B-PER"), ("B-geo-loc", "B-LOC"), ("I-Location", "I-LOC")],
)
def test_a_renamed_tag_is_refused_with_the_label_map_that_fixes_it(label, twin):
    with pytest.raises(LabelError) as info:
        new_labels(OLD_TAGS, ["O", label], tags=True)
    assert f"{label!r} looks like the model's {twin!r} renamed" in str(info.value)
    assert f"label_map={{{label!r}: {twin!r}}}" in str(info.value)


def test_a_tag_outside_the_models_scheme_is_refused():
    with pytest.raises(LabelError, match="does not follow the model's tagging scheme"):
        new_labels(OLD_TAGS, ["O", "S-company"], tags=True)


def test_a_class_differing_only_in_case_is_a_renamed_class():
    with pytest.raises(LabelError, match="'Positive' looks like the model's 'positive'"):
        new_labels(["negative", "positive"], ["Positive", "sport"], tags=False)
    assert new_labels(["negative", "positive"], ["sport", "positive"], tags=False) == ["sport"]


def test_the_label_map_renames_before_anything_is_checked():
    tags = relabelled(TokenExamples([["x"]], [["B-person"]]), {"B-person": "B-PER"})
    assert tags.tags == [["B-PER"]]
    texts = relabelled(TextExamples(["x"], ["Positive"]), {"Positive": "positive"})
    assert texts.labels == ["positive"]


def test_data_of_another_task_is_refused_before_training():
    ner, classifier = get_task("token-classification"), get_task("sequence-classification")
    with pytest.raises(DataError, match=r"one tag per word.*one label per text"):
        check_same_task(ner, TextExamples(["a"], ["x"]), "the new train data")
    with pytest.raises(DataError, match=r"one label per text.*one tag per word"):
        check_same_task(classifier, TokenExamples([["a"]], [["O"]]), "the new train data")
    with pytest.raises(DataError, match="pairs of texts"):
        check_same_task(classifier, TextExamples(["a"], ["x"], text_pairs=["b"]), "data")


def test_growing_the_head_keeps_the_old_rows_and_predicts_the_same_for_them():
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=8,
        vocab_size=30,
        num_labels=2,
    )
    model = BertForSequenceClassification(config).eval()
    inputs = {"input_ids": torch.tensor([[1, 5, 7, 2]])}
    before = model(**inputs).logits
    old_weight = model.classifier.weight.detach().clone()
    grow_head(model, ["neg", "pos"], ["neg", "pos", "sport", "tech"])
    after = model(**inputs).logits
    assert after.shape == (1, 4)
    assert torch.allclose(after[:, :2], before)
    assert torch.equal(model.classifier.weight[:2], old_weight)
    assert model.config.id2label == {0: "neg", 1: "pos", 2: "sport", 3: "tech"}
    assert model.num_labels == 4
    # the loss now takes the new labels
    model(**inputs, labels=torch.tensor([3])).loss.backward()
    with pytest.raises(LabelError, match="must follow the old ones"):
        grow_head(model, ["neg", "pos", "sport", "tech"], ["pos", "neg"])
