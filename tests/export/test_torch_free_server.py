"""The server with the ONNX backend runs where PyTorch is not installed: in a fresh
interpreter whose ``import torch`` (and transformers, peft) fails, ``oi``'s modules import,
the app starts and predicts from a version's stored export, ``/health``, ``/metrics`` and
the Models page say the backend, and what needs PyTorch answers a clear problem."""

from __future__ import annotations

import json
import subprocess
import sys

from open_interpreter.export import OnnxModel
from open_interpreter.services import exports, registry
from open_interpreter.services.api_keys import create_key

TEXTS = ["Alice flew to Paris", "Bob works at acme corp in Rome"]

SERVE_WITHOUT_TORCH = r"""
import importlib.abc, json, sys

BLOCKED = ("torch", "transformers", "peft")


class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None


sys.meta_path.insert(0, NoTorch())

from fastapi.testclient import TestClient

import open_interpreter.cli  # every `oi` command, as `oi serve` loads them
import open_interpreter.services.worker  # oi serve imports it for its embedded workers
from open_interpreter.serving.app import create_app
from open_interpreter.serving.settings import Settings
from open_interpreter.storage import Database

url, secret = sys.argv[1], sys.argv[2]
db = Database(url, migrate=False)
admin = {"Authorization": f"Bearer {secret}"}
texts = {"texts": json.loads(sys.argv[3])}
with TestClient(create_app(Settings(database_url=url, backend="onnx", workers=0), db)) as c:
    predicted = c.post("/v1/models/ner/predict", json=texts, headers=admin)
    explained = c.post("/v1/models/ner/explain", json={"texts": ["Alice"]}, headers=admin)
    unexported = c.post("/v1/models/plain/predict", json=texts, headers=admin)
    exported = c.post("/v1/models/ner/versions/1/exports", json={}, headers=admin)
    answer = {
        "predict": [predicted.status_code, predicted.json()],
        "explain": [explained.status_code, explained.json()],
        "unexported": [unexported.status_code, unexported.json()],
        "ready": c.get("/health/ready").status_code,
        "export": [exported.status_code, exported.json()],
        "health": c.get("/health").json(),
        "metrics": c.get("/metrics", headers=admin).text,
        "page": c.get("/models").text,
        "exports": c.get("/v1/models/ner/versions/1/exports", headers=admin).json(),
    }
answer["loaded"] = sorted(m for m in BLOCKED if m in sys.modules)
print(json.dumps(answer))
"""


def test_the_onnx_backend_serves_an_export_without_torch(db, tiny_ner_model_dir):
    with db.session() as session:
        registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
        stored = exports.export_version(session, "ner", 1)
        registry.register_directory(session, model_name="plain", path=tiny_ner_model_dir)
        _, secret = create_key(session, name="admin", scope="admin")
    run = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_TORCH, db.url, secret, json.dumps(TEXTS)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["loaded"] == []

    status, body = answer["predict"]
    assert status == 200 and body["backend"] == "onnx-fp32", body
    expected = OnnxModel.load(stored.path).predict(TEXTS)  # here, where torch is installed
    assert [p["tags"] for p in body["predictions"]] == [p.tags for p in expected]
    assert answer["health"]["backend"] == "onnx"
    assert answer["health"]["loaded_backends"] == {"onnx-fp32": 1}
    assert 'oi_predicted_texts_total{backend="onnx-fp32",model="ner"} 2.0' in answer["metrics"]
    assert 'data-backend="onnx"' in answer["page"]
    assert [(e["precision"], e["serves"]) for e in answer["exports"]] == [("fp32", True)]

    assert answer["ready"] == 200
    for route in ("explain", "unexported"):  # PyTorch's work: a clear answer, never a 500
        status, problem = answer[route]
        assert (status, problem["code"]) == (501, "needs_pytorch"), (route, problem)
    status, problem = answer["export"]
    assert (status, problem["code"]) == (422, "export_refused") and "PyTorch" in problem["detail"]
