"""``oi workers list``: the workers table as a table and as JSON, filtered by state; ``oi
worker --once`` registers itself with what it advertises and marks itself stopped."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update

from open_interpreter.cli import main
from open_interpreter.cli.workers import STATES
from open_interpreter.services import workers
from open_interpreter.services.capacity import Capacity
from open_interpreter.services.worker_tables import WorkerRecord
from open_interpreter.storage.tables import utcnow


def test_the_cli_lists_the_states_the_service_knows():
    assert STATES == workers.STATES


def test_workers_list_shows_each_worker_and_its_state(runner, db):
    url = ["--database-url", db.url]
    empty = runner.invoke(main, ["workers", "list", *url])
    assert empty.exit_code == 0 and "start one with `oi worker`" in empty.output
    with db.session() as session:
        for name, capacity in (("gpu-1", Capacity(4, 2, 65536)), ("cpu-1", Capacity())):
            workers.register_worker(session, worker_id=name, capacity=capacity, lease_timeout_s=15)
        session.execute(
            update(WorkerRecord)
            .where(WorkerRecord.id == "cpu-1")
            .values(last_seen=utcnow() - timedelta(seconds=600))
        )
        session.commit()
    table = runner.invoke(main, ["workers", "list", *url])
    assert table.exit_code == 0, table.output
    gpu_line = next(line for line in table.output.splitlines() if "gpu-1" in line)
    assert "idle" in gpu_line and "64 GB" in gpu_line and "s ago" in gpu_line
    cpu_line = next(line for line in table.output.splitlines() if "cpu-1" in line)
    assert "lost" in cpu_line and "10 min ago" in cpu_line
    rows = json.loads(
        runner.invoke(main, ["workers", "list", "--state", "lost", "--json", *url]).stdout
    )
    assert [(r["id"], r["state"], r["processes"]) for r in rows] == [("cpu-1", "lost", 1)]


def test_a_worker_run_once_registers_and_marks_itself_stopped(runner, db):
    ran = runner.invoke(
        main,
        [
            "worker",
            "--once",
            "--id",
            "once-1",
            "--processes",
            "2",
            "--memory-gb",
            "3",
            "--database-url",
            db.url,
        ],
    )
    assert ran.exit_code == 0, ran.output
    with db.session() as session:
        [view] = workers.list_workers(session)[0]
    assert (view.id, view.state) == ("once-1", "stopped")
    assert view.capacity == {"processes": 2, "gpus": 0, "memory_mb": 3072}
