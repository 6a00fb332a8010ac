"""``oi monitor train-classifier``: queues a ``monitor-classifier`` job in the platform's
database through the same checks as ``POST /v1/monitors/{id}/classifiers`` (files are
stored as datasets first, or stored dataset ids are used); bad input is one line, exit 1,
with no job queued and no dataset stored."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from open_interpreter.apps.monitor import store
from open_interpreter.cli import main
from open_interpreter.services import jobs
from open_interpreter.storage import Database
from open_interpreter.storage.tables import Dataset, FineTuneJob

SENTIMENT = "text,label\n" + "".join(
    f"{text} {i},{label}\n"
    for i in range(3)
    for text, label in [("profits rose", "positive"), ("shares fell", "negative"), ("a", "neutral")]
)
TOPICS = "text,label\nthe match,sport\nthe vote,politics\n"


def oi(*args: str):
    return CliRunner().invoke(main, ["monitor", *args])


def counts(url: str) -> tuple[int, int]:
    with Database(url).session() as session:
        return (
            session.scalar(select(func.count()).select_from(FineTuneJob)),
            session.scalar(select(func.count()).select_from(Dataset)),
        )


def test_queues_the_job_with_its_datasets_and_refuses_bad_input(tmp_path):
    url = f"sqlite:///{tmp_path / 'oi.db'}"
    (tmp_path / "sentiment.csv").write_text(SENTIMENT)
    (tmp_path / "topics.csv").write_text(TOPICS)
    (tmp_path / "broken.csv").write_text("text,label\nfine,positive\nno label here\n")
    for name in ("words", "fine"):
        made = oi("create", name, "--sentiment", "lexicon", "--database-url", url)
        assert made.exit_code == 0, made.output
    sentiment, topics = str(tmp_path / "sentiment.csv"), str(tmp_path / "topics.csv")

    refused = [
        (["nobody", "sentiment", "--train", sentiment], "no monitor named 'nobody'"),
        (["words", "sentiment", "--train", topics], "topics.csv: sentiment labels are"),
        (["words", "topic", "--train", topics], "classifies no topics"),
        (["words", "sentiment", "--train", sentiment, "--set", "output_dir=/"], "unknown settings"),
        (["words", "sentiment", "--train", sentiment, "--set", "epochs"], "KEY=VALUE"),
        (["words", "sentiment", "--train", sentiment, "--test", "ds_nope"], "no dataset"),
        (["words", "sentiment", "--train", "missing.csv"], "no file 'missing.csv'"),
        (["words", "sentiment", "--train", str(tmp_path / "broken.csv")], "broken.csv:3"),
        (["words", "sentiment", "--train", sentiment, "--model-name", "-x"], "-x"),
    ]
    for args, said in refused:
        result = oi("train-classifier", *args, "--database-url", url)
        assert result.exit_code == 1, (args, result.output)
        assert said in result.output and len(result.output.strip().splitlines()) == 1, args
    assert counts(url) == (0, 0)  # nothing queued, nothing stored

    queued = oi(
        "train-classifier",
        "words",
        "sentiment",
        "--train",
        sentiment,
        "--test",
        sentiment,
        "--set",
        "epochs=2",
        "--set",
        "learning_rate=3e-5",
        "--database-url",
        url,
        "--json",
    )
    assert queued.exit_code == 0, queued.output
    shown = json.loads(queued.output)
    db = Database(url)
    with db.session() as session:
        job = jobs.get_job(session, shown["id"])
        monitor_id = store.find_monitor(session, "words").id
        assert job.kind == "monitor-classifier" and job.status == "queued"
        assert job.model_name == "words-sentiment"
        assert job.config == {
            "monitor_id": monitor_id,
            "classifier": "sentiment",
            "settings": {"epochs": 2, "learning_rate": 3e-5},
        }
        train = session.get(Dataset, job.train_dataset_id)
        assert train.labels == ["negative", "neutral", "positive"] and train.num_examples == 9
        assert job.test_dataset_id not in (None, job.train_dataset_id)

    # a stored dataset's id is used as it is; the plain output says how to follow the job
    again = oi(
        "train-classifier",
        "fine",
        "sentiment",
        "--train",
        shown["datasets"]["train"],
        "--model-name",
        "fine-v2",
        "--database-url",
        url,
    )
    assert again.exit_code == 0, again.output
    job_id = again.output.split()[1].rstrip(":")
    assert f"oi runs show {job_id}" in again.output
    with db.session() as session:
        second = jobs.get_job(session, job_id)
        assert second.train_dataset_id == shown["datasets"]["train"]
        assert second.model_name == "fine-v2" and second.kind == "monitor-classifier"
    assert counts(url) == (2, 2)
