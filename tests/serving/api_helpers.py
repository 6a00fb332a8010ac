"""Helpers for API tests: an app on a given database, keys, a saved tiny model, archives."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from fastapi.testclient import TestClient

from open_interpreter.services.api_keys import create_key
from open_interpreter.serving.app import create_app
from open_interpreter.serving.settings import Settings
from open_interpreter.storage import Database

from ..unit.tiny_data import ner_sentences


def make_client(db: Database, **settings) -> TestClient:
    """A TestClient for an app on ``db`` (auth on unless ``auth=False``)."""
    return TestClient(create_app(Settings(database_url=db.url, **settings), db))


def key(db: Database, scope: str) -> dict[str, str]:
    """Headers carrying a new key of ``scope``."""
    with db.session() as session:
        _, secret = create_key(session, name=f"test-{scope}", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def conll_bytes(n: int, seed: int) -> bytes:
    """A small CoNLL file of tiny-vocabulary sentences."""
    tokens, tags = ner_sentences(n, seed)
    blocks = [
        "\n".join(f"{w} {t}" for w, t in zip(ws, ts, strict=True))
        for ws, ts in zip(tokens, tags, strict=True)
    ]
    return ("\n\n".join(blocks) + "\n").encode()


def save_tiny_ner_model(tiny_bert_dir: Path, into: Path) -> Path:
    """Fine-tune the tiny BERT on tiny NER data for a moment and save it."""
    from open_interpreter import OpenInterpreter

    tokens, tags = ner_sentences(48)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(
        train_data=tokens,
        train_labels=tags,
        epochs=6,
        learning_rate=5e-3,
        batch_size=8,
        warmup_ratio=0.0,
        progress=False,
    )
    return interpreter.save(into)


def tar_gz(directory: Path) -> bytes:
    """A directory as a .tar.gz archive."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(directory, arcname=directory.name)
    return buffer.getvalue()


def problem(response, status: int, code: str) -> dict:
    """The problem-details body of ``response``, checked to have ``status`` and ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    return body
