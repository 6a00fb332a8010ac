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
