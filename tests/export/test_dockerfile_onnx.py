"""``Dockerfile.onnx``, the PyTorch-free serving image: it installs every dependency of
``open-interpreter-nlp[onnx]`` but the PyTorch stack, serves with the ONNX backend and no
workers, and builds where a container engine answers (none does on the CI machine)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from open_interpreter.serving.problems import PYTORCH_STACK
from open_interpreter.serving.settings import Settings

from ..deploy.test_deployment_files import container_engine, parse_oi

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile.onnx").read_text(encoding="utf-8")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()


def test_the_image_installs_everything_but_the_pytorch_stack():
    snippet = re.search(r'python -c "(.*?)"\s*\\\n\s*> /tmp/requirements.txt', DOCKERFILE, re.S)
    assert snippet, "Dockerfile.onnx no longer writes its requirements with python -c"
    code = snippet.group(1).replace("\\\n", "")  # the Dockerfile's line continuations
    listed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    wanted = project["dependencies"] + optional["onnx"] + optional["s3"]
    assert {_name(r) for r in listed} == {_name(r) for r in wanted} - PYTORCH_STACK
    assert {"onnxruntime", "tokenizers", "fastapi"} <= {_name(r) for r in listed}
    assert "pip install --no-deps ." in DOCKERFILE


def test_the_image_serves_with_the_onnx_backend_and_no_workers():
    env = dict(re.findall(r"\b(OI_[A-Z_]+)=(\S+)", DOCKERFILE))
    assert env["OI_BACKEND"] == "onnx" and env["OI_WORKERS"] == "0"
    assert {k.removeprefix("OI_").lower() for k in env} <= set(Settings.model_fields) | {"home"}
    command = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M)
    assert command and parse_oi(json.loads(command.group(1))[1:]).name == "serve"


def test_the_image_builds_without_torch_where_a_container_engine_answers():
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine answers here (docker/podman info failed)")
    build = subprocess.run(
        [engine, "build", "-f", str(ROOT / "Dockerfile.onnx"), "-t", "oi-onnx:test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    probe = "import importlib.util as u, open_interpreter.cli; assert not u.find_spec('torch')"
    ran = subprocess.run(
        [engine, "run", "--rm", "oi-onnx:test", "python", "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
