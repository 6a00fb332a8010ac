"""OpenAPI links: which answer's fields feed which next request.

FastAPI describes each operation alone; these links say how a resource made by one
operation is read, changed or followed by the others (a dataset's ``id`` is the
``train_dataset_id`` of a fine-tune, whose ``id`` is the ``job_id`` of its events), so a
client generator and the stateful fuzzer (``tests/serving/test_fuzz.py``) can chain them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ID = "$response.body#/id"
NAME = "$response.body#/name"
VERSION = "$response.body#/version"

DATASET = "/v1/datasets/{dataset_id}"
FINE_TUNE = "/v1/fine-tunes/{job_id}"
PROMPT = "/v1/prompts/{name}"

LINKS: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("/v1/datasets", "post", "201"): {
        "GetDataset": {"target": (DATASET, "get"), "parameters": {"dataset_id": ID}},
        "DeleteDataset": {"target": (DATASET, "delete"), "parameters": {"dataset_id": ID}},
        "FineTuneOnDataset": {
            "target": ("/v1/fine-tunes", "post"),
            "requestBody": {"train_dataset_id": ID},
        },
    },
    ("/v1/fine-tunes", "post", "201"): {
        "GetFineTune": {"target": (FINE_TUNE, "get"), "parameters": {"job_id": ID}},
        "CancelFineTune": {"target": (f"{FINE_TUNE}/cancel", "post"), "parameters": {"job_id": ID}},
        "FineTuneEvents": {"target": (f"{FINE_TUNE}/events", "get"), "parameters": {"job_id": ID}},
        "FineTuneHistory": {
            "target": (f"{FINE_TUNE}/history", "get"),
            "parameters": {"job_id": ID},
        },
    },
    ("/v1/fine-tunes/{job_id}/cancel", "post", "200"): {
        "FineTuneEvents": {"target": (f"{FINE_TUNE}/events", "get"), "parameters": {"job_id": ID}},
        "FineTuneHistory": {
            "target": (f"{FINE_TUNE}/history", "get"),
            "parameters": {"job_id": ID},
        },
    },
    ("/v1/prompts", "post", "201"): {
        "GetPrompt": {"target": (PROMPT, "get"), "parameters": {"name": NAME}},
        "GetPromptVersion": {
            "target": (f"{PROMPT}/versions/{{version}}", "get"),
            "parameters": {"name": NAME, "version": VERSION},
        },
        "DiffPrompt": {"target": (f"{PROMPT}/diff", "get"), "parameters": {"name": NAME}},
        "DeletePrompt": {"target": (PROMPT, "delete"), "parameters": {"name": NAME}},
    },
}
"""(path, method, status) of an answer → its links by name: the target operation and
what to take from the answer (OpenAPI runtime expressions)."""


def install(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI (``/openapi.json``) carry :data:`LINKS`."""
    generate = app.openapi

    def openapi_with_links() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_links(generate())
        return app.openapi_schema

    app.openapi = openapi_with_links  # type: ignore[method-assign]


def add_links(spec: dict[str, Any]) -> None:
    """Add :data:`LINKS` to the OpenAPI document ``spec`` in place.

    Raises:
        KeyError: A link names an operation or an answer the app does not have.
    """
    for (path, method, status), links in LINKS.items():
        response = spec["paths"][path][method]["responses"][status]
        response["links"] = {name: _link(spec, **link) for name, link in links.items()}


def _link(spec: dict[str, Any], target: tuple[str, str], **fields: Any) -> dict[str, Any]:
    path, method = target
    if method not in spec["paths"][path]:
        raise KeyError(f"no operation {method.upper()} {path} to link to, got {target=}")
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", **fields}
