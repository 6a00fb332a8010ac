"""A worker SIGKILLed in the middle of a study's trial (stalled while it writes a
checkpoint, so the kill lands mid-trial every time): another worker takes the trial's
job over once its heartbeat lapses, resumes it from its checkpoint, the trial completes
with each epoch reported once, and the study goes on to its next trial and ends."""

from __future__ import annotations

import sys

import pytest

from open_interpreter.services import jobs, studies
from open_interpreter.services.worker import Worker

from ..services.records import upload
from ..tuning.test_job_studies import base_config, make_study, view
from .processes import Oi, leftovers, wait_for, wait_for_barrier

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="kills process groups, reads /proc"),
]

FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.5, "grace_period": 2.0}
SPACE = {"learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}}


def test_a_worker_killed_mid_trial_hands_the_trial_over_and_the_study_ends(
    db, tiny_bert_name, tmp_path
):
    # 12 sentences in batches of 2: 6 steps an epoch, 3 epochs; checkpoints every 5 steps,
    # the second (step 10, in epoch 2) stalled half-written
    config = base_config(tiny_bert_name, batch_size=2, checkpoint_every=5)
    study = make_study(
        db,
        tiny_bert_name,
        {"space": SPACE, "n_trials": 2, "pruner": "none"},
        parallel=1,
        config=config,
        train_dataset_id=upload(db, 12),
    )
    barrier = tmp_path / "stalled"
    worker_args = ("worker", "--database-url", db.url, "--id", "doomed", "--poll-interval", "0.1")
    with Oi.start(
        *worker_args, log=tmp_path / "doomed.log", stall="checkpoint", barrier=barrier
    ) as doomed:
        try:  # on a busy 2-core machine the worker and its job's process take a while
            wait_for_barrier(barrier, doomed, timeout=300)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{doomed.output()}") from None
        doomed.kill()
    first = view(db, study.id)["trials"][0]
    assert (first["state"], first["epochs_run"]) == ("running", 1)

    heir = Worker(db.url, worker_id="heir", stale_after=1, migrate=False, **FAST)

    def study_ended() -> bool:
        heir.run_once()
        with db.session() as session:
            return studies.get_study(session, study.id).status != "running"

    wait_for(study_ended, 300, "the heir to finish both trials and end the study")
    done = view(db, study.id)
    assert done["status"] == "succeeded", done
    assert [t["state"] for t in done["trials"]] == ["complete", "complete"]
    assert [list(t["epoch_scores"]) for t in done["trials"]] == [["1", "2", "3"]] * 2
    with db.session() as session:
        taken_over = jobs.get_job(session, done["trials"][0]["job_id"])
        assert (taken_over.worker_id, taken_over.attempts) == ("heir", 2)
        logs = [e.data for e in jobs.job_events(session, taken_over.id) if e.type == "log"]
    assert [log["resumed_from_step"] for log in logs if "resumed_from_step" in log] == [5]
    assert leftovers() == []
