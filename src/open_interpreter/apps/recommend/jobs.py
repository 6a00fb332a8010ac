"""Training a recommender as a queued job (kind ``recommender``).

``POST /v1/recommenders`` queues one; a worker runs it in its child process: the data
its config names are read (the built-in MovieLens-100K or uploaded tables), the model is
evaluated with leave-last-out, fitted on every interaction and registered as the next
version of the job's ``model_name`` (:func:`~.store.train_and_register`). The job's
result holds the version and the evaluation table.

Config: ``{"model": "hybrid", "data": "movielens-100k"}`` or
``{"model": "bpr", "interactions_file_id": "rf_…", "items_file_id": "rf_…",
"options": {"epochs": 5}, "seed": 0}`` or ``{"dataset_id": "ds_…"}`` (an interactions
dataset of the datasets service). ``"with_feedback": true`` adds the positive feedback
events recorded on ``model_name`` to the interactions (without data named: to the data its
latest version was trained on); the new version's lineage says how many
(``lineage.feedback``).
"""

from __future__ import annotations

from typing import Any

from open_interpreter.apps.recommend import store
from open_interpreter.services.callers import Caller
from open_interpreter.services.job_kinds import JobContext, JobKind


def run(ctx: JobContext) -> dict[str, Any]:
    """Train, evaluate and register the recommender a job describes."""
    job = ctx.job
    config = store.check_config(dict(job.config))
    owner = job.owner_key_id
    caller = Caller(actor="job", key_id=owner, sees_all=owner is None)
    lineage: dict[str, Any] = {"job_config": config}
    with ctx.db.session() as session:
        ctx.log(f"reading the data for a {config['model']} recommender")
        source = config
        if config["with_feedback"] and not any(config.get(k) for k in store.DATA_KEYS):
            source = {**config, **store.original_data(session, job.model_name)}
            lineage["job_config"] = source
        data = store.load_data(session, source, caller=caller)
        if config["with_feedback"]:
            data, summary = store.with_feedback(session, data, job.model_name)
            lineage["feedback"] = summary
            ctx.log(
                f"feedback: {summary['interactions_added']} of {summary['events']} events "
                "added as interactions"
            )
        ctx.check_cancelled()
        ctx.log(
            f"{len(data.interactions)} interactions, {data.interactions.n_users} users, "
            f"{data.interactions.n_items} items"
        )

        def progress(message: str) -> None:
            ctx.check_cancelled()
            ctx.log(message)

        version = store.train_and_register(
            session,
            data,
            model_name=job.model_name,
            kind=config["model"],
            options=config["options"],
            seed=config["seed"],
            work_dir=ctx.run_dir,
            lineage=lineage,
            job_id=job.id,
            progress=progress,
        )
        evaluation = store.evaluation_table(version)
        ctx.event("evaluation", {"split": "leave-last-out", **evaluation})
        return {
            "model_name": version.model_name,
            "version": version.version,
            "model_version_id": version.id,
            "kind": config["model"],
            "train_seconds": (version.metrics or {}).get("train_seconds"),
            "evaluation": evaluation,
            **({"feedback": lineage["feedback"]} if "feedback" in lineage else {}),
        }


TRAIN_JOB = JobKind(name="recommender", check=store.check_config, run=run)
"""The ``recommender`` job kind (named in ``services.job_kinds.KINDS``)."""
