"""The app's OpenAPI links: each points at an operation the app has, with what it needs."""

from __future__ import annotations

from open_interpreter.serving.app import create_app
from open_interpreter.serving.openapi import LINKS
from open_interpreter.serving.settings import Settings


def test_a_created_resource_links_to_what_reads_and_follows_it(tmp_path):
    spec = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'oi.db'}")).openapi()
    for (path, method, status), links in LINKS.items():
        declared = spec["paths"][path][method]["responses"][status]["links"]
        assert set(declared) == set(links)
        for link in declared.values():
            _, _, *pointer = link["operationRef"].split("/")
            target_path, target_method = "/".join(pointer[:-1]), pointer[-1]
            target = spec["paths"][target_path.replace("~1", "/")][target_method]
            wanted = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            assert wanted <= set(link.get("parameters", {})), link
    fine_tune = spec["paths"]["/v1/fine-tunes"]["post"]["responses"]["201"]["links"]
    assert fine_tune["FineTuneEvents"]["parameters"] == {"job_id": "$response.body#/id"}
    dataset = spec["paths"]["/v1/datasets"]["post"]["responses"]["201"]["links"]
    assert dataset["FineTuneOnDataset"]["requestBody"] == {"train_dataset_id": "$response.body#/id"}


def test_the_event_stream_documents_its_resume_header(tmp_path):
    spec = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'oi.db'}")).openapi()
    events = spec["paths"]["/v1/fine-tunes/{job_id}/events"]["get"]
    assert "last-event-id" in {p["name"] for p in events["parameters"] if p["in"] == "header"}
