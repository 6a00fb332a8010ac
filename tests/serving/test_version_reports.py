"""``GET /v1/models/{name}/versions/{n}/report``: a version's full before/after reports."""

from __future__ import annotations

import json
from pathlib import Path

from open_interpreter.evaluation import BeforeAfter, evaluate_token_classification
from open_interpreter.services import registry

from ..fixtures.api import key


def _saved_model_with_reports(path: Path) -> tuple[Path, dict]:
    gold = [["B-PER", "O", "B-LOC"], ["B-PER", "O", "O"]]
    before = evaluate_token_classification(gold, [["O", "O", "O"], ["O", "O", "B-LOC"]])
    after = evaluate_token_classification(gold, [["B-PER", "O", "B-LOC"], ["B-PER", "O", "O"]])
    reports = {
        name: {**r.to_dict(), "text": str(r)} for name, r in [("before", before), ("after", after)]
    }
    path.mkdir(parents=True)
    manifest = {"task": "token-classification", "base_model": "tiny", "labels": after.labels}
    (path / "oi_model.json").write_text(json.dumps(manifest))
    metrics = {"task": "token-classification", "steps": 12, "reports": reports, "evaluations": []}
    (path / "metrics.json").write_text(json.dumps(metrics))
    return path, BeforeAfter(before, after).to_dict()["metrics"]


def test_version_report_route_serves_the_full_reports(client, db, tmp_path: Path):
    client.headers.update(key(db, "admin"))
    saved, comparison = _saved_model_with_reports(tmp_path / "saved")
    with db.session() as session:
        registry.register_directory(session, model_name="ner", path=saved)
    answer = client.get("/v1/models/ner/versions/1/report")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["task"] == "token-classification" and report["summary"] == {"steps": 12}
    assert report["comparison"] == comparison
    assert report["comparison"]["entity_f1"]["after"] == 1.0
    after = report["reports"]["after"]
    assert after["entities"]["LOC"]["f1"] == 1.0 and after["confusion_matrix"]
    assert client.get("/v1/models/ner/versions/2/report").status_code == 404
