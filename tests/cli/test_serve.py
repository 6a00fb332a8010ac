"""``oi serve``'s help; ``oi keys``: creating and revoking keys from the command line is
audited as ``cli``."""

from __future__ import annotations

from open_interpreter.cli import main
from open_interpreter.services import audit


def test_oi_keys_create_and_revoke_are_in_the_audit_log(runner, db, monkeypatch):
    monkeypatch.setenv("OI_DATABASE_URL", db.url)
    created = runner.invoke(main, ["keys", "create", "--scope", "train", "--name", "ci"])
    assert created.exit_code == 0, created.output
    key_id = created.stderr.split(",")[0].lstrip("(")
    revoked = runner.invoke(main, ["keys", "revoke", key_id])
    assert revoked.exit_code == 0 and f"revoked {key_id}" in revoked.output
    with db.session() as session:
        rows, _ = audit.list_events(session, target=key_id)
    assert [(r.action, r.actor, r.client_address) for r in rows] == [
        ("key.revoke", "cli", None),
        ("key.create", "cli", None),
    ]
    assert rows[1].detail["scope"] == "train" and rows[1].detail["name"] == "ci"


def test_serve_help_shows_how_to_start_it(runner):
    text = runner.invoke(main, ["serve", "--help"]).output
    assert "oi keys create --scope admin" in text and "oi serve --workers 0" in text
    assert "docs/api.md" in text


def test_serve_keeps_idle_connections_open_longer_than_clients_do(runner, db, monkeypatch):
    """uvicorn's own 5 s is no longer than httpx's or a proxy's idle timeout: under load a
    client sent its next request on a connection the server was closing (a reset)."""
    import uvicorn

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options))
    result = runner.invoke(main, ["serve", "--workers", "0", "--database-url", db.url])
    assert result.exit_code == 0, result.output
    assert started["timeout_keep_alive"] == 75
