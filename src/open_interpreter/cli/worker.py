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
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Training processes it may start for one job (jobs needing more wait for another).",
)
@click.option(
    "--gpus", default=0, show_default=True, type=click.IntRange(min=0), help="GPUs it may use."
)
@click.option(
    "--memory-gb",
    type=click.IntRange(min=1),
    help="Memory it may use (default: this machine's).",
)
@database_url_option
@handle_errors
def worker(
    worker_id: str | None,
    poll_interval: float,
    stale_after: float,
    once: bool,
    processes: int,
    gpus: int,
    memory_gb: int | None,
    database_url: str | None,
) -> None:
    """Run queued fine-tune jobs, one at a time, each in a child process.

    Start any number of workers, on any machines that share the database and the
    artifact folder. Ctrl-C or SIGTERM stops the worker; a job it was running goes back
    to the queue and resumes from its last checkpoint.

    \b
    oi worker
    OI_DATABASE_URL=postgresql+psycopg://... oi worker --id gpu-1 --processes 4 --gpus 4

    A worker claims only jobs that fit what it advertises (--processes, --gpus,
    --memory-gb) and runs a job that asks for N processes as N DDP processes.
    """
    import signal
    import threading

    from open_interpreter.services.capacity import Capacity, machine_memory_mb
    from open_interpreter.services.worker import Worker
    from open_interpreter.storage import database_url as default_url

    runner = Worker(
        database_url or default_url(),
        worker_id=worker_id,
        poll_interval=poll_interval,
        stale_after=stale_after,
        capacity=Capacity(
            processes=processes,
            gpus=gpus,
            memory_mb=memory_gb * 1024 if memory_gb else machine_memory_mb(),
        ),
    )
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    has = runner.capacity
    click.echo(
        f"worker {runner.worker_id} waiting for jobs ({has.processes} processes, "
        f"{has.gpus} GPUs, {has.memory_mb} MiB)",
        err=True,
    )
    try:
        if once:
            try:
                ran = runner.run_once(stop)
            finally:
                runner.close()  # marked stopped in the workers table
            click.echo("ran one job" if ran else "no job was queued", err=True)
        else:
            runner.run(stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
