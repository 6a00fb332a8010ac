"""``GET /v1/resources``: CPU, memory and GPU use of the server over time, and of running jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from open_interpreter.services import jobs as job_records
from open_interpreter.services.resources import ResourceSampler
from open_interpreter.serving.deps import SessionDep, TrainCaller

router = APIRouter(prefix="/resources", tags=["resources"])


class RunningJobResources(BaseModel):
    """A running job and what its process uses now (from its latest progress)."""

    id: str
    model_name: str
    step: int | None = None
    total_steps: int | None = None
    resources: dict[str, Any] | None = Field(
        None, description="cpu_percent, rss_bytes and gpu_memory_bytes of the job's process."
    )


class ResourcesPublic(BaseModel):
    """The server's resource samples, oldest first, and the running jobs' latest figures."""

    interval_s: float = Field(description="Seconds between samples.")
    samples: list[dict[str, Any]] = Field(
        description="time (UNIX seconds), cpu_percent, memory_percent, memory_used_bytes, "
        "memory_total_bytes, process {cpu_percent, rss_bytes}, gpus [{utilization_percent, "
        "memory_used_bytes, memory_total_bytes}]."
    )
    jobs: list[RunningJobResources]


def get_sampler(request: Request) -> ResourceSampler:
    """The app's sampler (created with the app, started with it)."""
    sampler = getattr(request.app.state, "resources", None)
    if sampler is None:
        sampler = request.app.state.resources = ResourceSampler()
    return sampler


@router.get("")
def resources(
    request: Request,
    session: SessionDep,
    caller: TrainCaller,
    since: float | None = Query(None, description="Only samples taken after this UNIX time."),
) -> ResourcesPublic:
    """The server's CPU, memory and GPU samples, and what each of the caller's running jobs'
    processes uses (an admin key's: every running job).

    Per-job series over time are in each job's step events (``data.resources``).
    """
    sampler = get_sampler(request)
    running = job_records.running_jobs(session, caller=caller)
    jobs = [
        RunningJobResources(
            id=job.id,
            model_name=job.model_name,
            step=job.progress.get("step"),
            total_steps=job.progress.get("total_steps"),
            resources=job.progress.get("resources"),
        )
        for job in running
    ]
    return ResourcesPublic(interval_s=sampler.interval_s, samples=sampler.samples(since), jobs=jobs)
