"""Checkpoints of a monitor's change detectors (ADWIN, Page–Hinkley), so a reopened
monitor feeds only the mentions stored after its checkpoint instead of every stored one.

A checkpoint is a file under the artifact folder, ``monitors/<monitor id>/detectors.pkl``
(no table: the schema is unchanged), written atomically by the process that fed the
detectors. It holds the detectors (river objects, pickled), the id of the last mention
fed to them, how many of the monitor's mentions had ids up to it, that mention's key,
time and sentiment, and each change-detection rule's settings. It is used only when all
of that still holds — the same rules (a rule added or changed replays the whole stream,
as before), and the stored mentions up to that id unchanged (a database restored from
an older backup, or another database under the same ``$OI_HOME``, falls back to the full
replay) — so a reopened monitor's detectors equal those of the uninterrupted one.

The file is the server's own, under ``$OI_HOME`` like the models it loads; it is read
with :mod:`pickle`, so whoever can write there can run code as the server, as with the
models.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from open_interpreter.apps.monitor.alerts import WINDOW_KINDS
from open_interpreter.apps.monitor.settings import Rule
from open_interpreter.apps.monitor.tables import MonitorMention
from open_interpreter.storage import artifacts

logger = logging.getLogger(__name__)

FORMAT = 1
"""The layout of a checkpoint file; another is ignored (the full replay is used)."""
EVERY = 2000
"""Mentions fed between two checkpoints of a running monitor."""


_DETECTOR_FIELDS = {"kind", "keys", "delta", "threshold", "direction"}


def relative_path(monitor_id: str) -> str:
    """The checkpoint's path under the artifact folder."""
    return f"monitors/{monitor_id}/detectors.pkl"


def fingerprints(rules: list[Rule]) -> dict[str, dict[str, Any]]:
    """What each change-detection rule's detector depends on, by rule name."""
    return {
        rule.name: rule.model_dump(mode="json", include=_DETECTOR_FIELDS)
        for rule in rules
        if rule.kind not in WINDOW_KINDS
    }


@dataclass(frozen=True)
class Checkpoint:
    """Detectors as they were after feeding the monitor's mentions up to ``last_mention_id``."""

    detectors: dict[tuple[str, str], Any]
    last_mention_id: int


def snapshot(session: Session, monitor_id: str, rules: list[Rule], detectors: dict) -> bytes | None:
    """The checkpoint of ``detectors``, which have been fed every mention of the monitor
    stored so far, taken in the transaction that stored the last of them (write it with
    :func:`write` once that commits); None when there is no mention yet."""
    last = session.execute(
        select(MonitorMention.id, MonitorMention.key, MonitorMention.time, MonitorMention.sentiment)
        .where(MonitorMention.monitor_id == monitor_id)
        .order_by(MonitorMention.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    watched = fingerprints(rules)
    state = {
        "format": FORMAT,
        "monitor_id": monitor_id,
        "rules": watched,
        "last_mention": [last[0], last[1], last[2].isoformat(), last[3]],
        "mentions": _count_up_to(session, monitor_id, last[0]),
        "detectors": {k: v for k, v in detectors.items() if k[0] in watched},
    }
    return pickle.dumps(state, pickle.HIGHEST_PROTOCOL)


def write(monitor_id: str, data: bytes) -> None:
    """Put a :func:`snapshot` in place (atomically: a reader sees the old or the new)."""
    relative = relative_path(monitor_id)
    artifacts.place(artifacts.write_temporary(relative, data), relative)


def load(session: Session, monitor_id: str, rules: list[Rule]) -> Checkpoint | None:
    """The monitor's checkpoint if it still matches its rules and stored mentions, else
    None (then every stored mention is replayed)."""
    path = artifacts.resolve(relative_path(monitor_id))
    if not path.is_file():
        return None
    try:
        state = pickle.loads(path.read_bytes())
        matches = (
            state["format"] == FORMAT
            and state["monitor_id"] == monitor_id
            and state["rules"] == fingerprints(rules)
        )
        last_id, key, time, sentiment = state["last_mention"]
    except Exception as error:  # an unreadable file costs the full replay, not the monitor
        logger.warning("monitor %s: detector checkpoint unreadable (%s)", monitor_id, error)
        return None
    if not matches:
        return None
    stored = session.execute(
        select(MonitorMention.key, MonitorMention.time, MonitorMention.sentiment).where(
            MonitorMention.monitor_id == monitor_id, MonitorMention.id == last_id
        )
    ).first()
    if (
        stored is None
        or (stored[0], stored[1].isoformat(), stored[2]) != (key, time, sentiment)
        or _count_up_to(session, monitor_id, last_id) != state["mentions"]
    ):
        return None
    return Checkpoint(detectors=state["detectors"], last_mention_id=int(last_id))


def remove(monitor_id: str) -> None:
    """Delete the monitor's checkpoint (the monitor was deleted)."""
    artifacts.remove(f"monitors/{monitor_id}")


def _count_up_to(session: Session, monitor_id: str, mention_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                MonitorMention.monitor_id == monitor_id, MonitorMention.id <= mention_id
            )
        )
        or 0
    )
