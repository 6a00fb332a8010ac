"""The exported model's runtime: predicting with onnxruntime and tokenizers, never torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ModelNotFoundError
from open_interpreter.export import OnnxModel

pytestmark = pytest.mark.usefixtures("one_thread")

NO_TORCH = """
import json, sys
from open_interpreter.export import OnnxModel
model = OnnxModel.load(sys.argv[1])
predictions = model.predict(["John visited Paris", "Mary works at Acme Corp ."])
loaded = sorted(m for m in ("torch", "transformers", "peft") if m in sys.modules)
print(json.dumps({"loaded": loaded, "predictions": [p.to_dict() for p in predictions]}))
"""


def test_predicting_with_an_export_imports_no_torch(tiny_ner_model_dir, tmp_path):
    interpreter = OpenInterpreter.load(tiny_ner_model_dir)
    interpreter.export(tmp_path / "ner", quantize="int8")
    run = subprocess.run(
        [sys.executable, "-c", NO_TORCH, str(tmp_path / "ner")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["loaded"] == []
    assert [p["tags"] for p in answer["predictions"]] == [
        p.tags
        for p in OnnxModel.load(tmp_path / "ner").predict(
            ["John visited Paris", "Mary works at Acme Corp ."]
        )
    ]


def test_a_folder_without_an_export_is_not_found(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"export\.json: missing"):
        OnnxModel.load(tmp_path)


def test_empty_input_gives_no_predictions(tiny_classifier_dir, tmp_path):
    OpenInterpreter.load(tiny_classifier_dir).export(tmp_path / "clf")
    model = OnnxModel.load(tmp_path / "clf", threads=1)
    assert model.predict([]) == []
    assert model.precision == "fp32"
    assert "task='sequence-classification', fp32" in repr(model)
