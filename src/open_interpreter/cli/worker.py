"""``oi worker``: claim and run fine-tune jobs queued through the REST API."""

from __future__ import annotations

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._options import database_url_option


@click.command()
@click.option("--id", "worker_id", default=None, help="Worker name in job rows and logs.")
@click.option(
    "--poll-interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Seconds to wait when no job is queued.",
)
@click.option(
    "--stale-after",
    default=15.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds without a heartbeat before another worker's running job is requeued.",
)
@click.option("--once", is_flag=True, help="Run at most one job, then exit.")
@database_url_option
@handle_errors
def worker(
    worker_id: str | None,
    poll_interval: float,
    stale_after: float,
    once: bool,
    database_url: str | None,
) -> None:
    """Run queued fine-tune jobs, one at a time, each in a child process.

    Start any number of workers, on any machines that share the database and the
    artifact folder. Ctrl-C or SIGTERM stops the worker; a job it was running goes back
    to the queue and resumes from its last checkpoint.

    \b
    oi worker
    OI_DATABASE_URL=postgresql+psycopg://... oi worker --id gpu-1
    """
    import signal
    import threading

    from open_interpreter.services.worker import Worker
    from open_interpreter.storage import database_url as default_url

    runner = Worker(
        database_url or default_url(),
        worker_id=worker_id,
        poll_interval=poll_interval,
        stale_after=stale_after,
    )
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"worker {runner.worker_id} waiting for jobs", err=True)
    try:
        if once:
            ran = runner.run_once(stop)
            click.echo("ran one job" if ran else "no job was queued", err=True)
        else:
            runner.run(stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
