"""Studies through ``OpenInterpreter.tune`` as users call it, on the tiny BERT: the best
trial's model is kept, a diverging trial is pruned, the same seed gives the same study,
and bad input fails before anything trains."""

from __future__ import annotations

import json
import os

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services.registry import version_metrics
from open_interpreter.training import recipe
from open_interpreter.tuning import list_studies, load_study

from ..fixtures.data import ner_sentences

# Three epochs of 6 steps at a learning rate that learns the tiny data (entity F1 1.0).
FAST = {
    "learning_rate": 5e-3,
    "epochs": 3,
    "batch_size": 8,
    "warmup_ratio": 0.0,
    "num_threads": 1,
}
# Learning rates that make the tiny model diverge: entity F1 0 from the first epoch.
DIVERGING = {"learning_rate": {"low": 20.0, "high": 60.0, "log": True}}


@pytest.fixture(scope="module")
def data():
    return (*ner_sentences(48), *ner_sentences(16, seed=1))


def _tune(model, data, **options):
    interpreter = OpenInterpreter(str(model))
    result = interpreter.tune(*data, **{**FAST, **options})
    return interpreter, result


def test_a_three_trial_study_keeps_the_best_model(tiny_bert_dir, data, tmp_path, monkeypatch):
    space = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}}
    updates, scored = [], []
    score = recipe.score
    monkeypatch.setattr(recipe, "score", lambda *a, **k: scored.append(a[3]) or score(*a, **k))
    interpreter, study = _tune(
        tiny_bert_dir, data, search_space=space, n_trials=3, pruner=None, on_update=updates.append
    )
    # A trial scores the validation data after each epoch only: not before or after training.
    assert scored == ["validation"] * 3 * 3
    assert [t.state for t in study.trials] == ["complete"] * 3
    assert study.trials[0].baseline and study.trials[0].params == {"learning_rate": 5e-3}
    values = [t.value for t in study.trials]
    assert study.best_value == max(values) and study.best_trial == values.index(max(values))
    assert study.best_params == study.trials[study.best_trial].params
    assert study.metric == "entity_f1" and study.direction == "maximize"
    assert study.baseline_value == values[0] and study.gain == max(values) - values[0]
    assert set(study.importances) == {"learning_rate"}
    assert len(updates) >= 3 * 3  # each epoch of each trial, and each trial's end
    # The interpreter holds the best trial's model, as after fine_tune.
    report = interpreter.evaluate(data[2], data[3])
    assert report.metrics()["entity_f1"] == pytest.approx(study.best_value)
    assert interpreter.result.after.metrics()["entity_f1"] == pytest.approx(study.best_value)
    assert interpreter.result.before is None
    saved = interpreter.save(tmp_path / "best")
    assert OpenInterpreter.load(saved).predict("john visited paris")
    # What registering reads: the best epoch's validation report stands as "after".
    metrics = version_metrics(json.loads((tmp_path / "best" / "metrics.json").read_text()))
    assert metrics["after"]["entity_f1"] == pytest.approx(study.best_value)
    assert "before" not in metrics
    # The study is stored, and reads back the same.
    stored = load_study(study.name)
    assert [t.value for t in stored.trials] == values and stored.best_trial == study.best_trial
    assert [row["name"] for row in list_studies()] == [study.name]
    markdown = study.to_markdown()
    assert "| 0 (baseline) | complete |" in markdown and "| learning_rate |" in markdown
    assert study.to_dict()["trials"][0]["epochs_run"] == 3


def test_the_median_rule_prunes_a_diverging_trial_the_same_way_each_time(tiny_bert_dir, data):
    runs = [
        _tune(tiny_bert_dir, data, search_space=DIVERGING, n_trials=3, pruner="median")[1]
        for _ in range(2)
    ]
    study = runs[0]
    # Baseline and the first diverging trial finish; the median rule then has two
    # finished trials and stops the second diverging one after its first epoch.
    assert [t.state for t in study.trials] == ["complete", "complete", "pruned"]
    pruned = study.trials[2]
    assert (pruned.pruned_at, pruned.epochs_run, pruned.epochs_planned) == (1, 1, 3)
    assert pruned.value == 0.0 and study.best_trial == 0
    assert study.epochs_saved == pytest.approx(2 / 9)
    assert "pruned at epoch 1" in study.to_markdown()
    again = runs[1]
    assert [(t.params, t.value, t.state) for t in again.trials] == [
        (t.params, t.value, t.state) for t in study.trials
    ]
    assert again.name != study.name


def _refused(model, data, **options) -> str:
    updates = []
    with pytest.raises(ConfigError) as info:
        _tune(model, data, on_update=updates.append, **options)
    assert updates == []  # nothing trained
    return str(info.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"search_space": {}}, "the search space is empty"),
        ({"metric": "bleu"}, "metric='bleu' is not measured for token-classification"),
        ({"metric": "loss", "direction": "maximize"}, "use direction='minimize'"),
        ({"n_trials": 1}, "n_trials=1 leaves no trial to search"),
        ({"timeout": 0}, "timeout"),
        ({"n_jobs": 2}, "n_jobs=2 runs trials in parallel, which needs PostgreSQL"),
        ({"pruner": "sometimes"}, "pruner"),
        ({"eval_every_epoch": False}, "drop eval_every_epoch=false"),
    ],
    ids=["empty", "metric", "direction", "budget", "timeout", "sqlite-jobs", "pruner", "eval"],
)
def test_bad_input_fails_before_anything_trains(tiny_bert_dir, data, options, message):
    assert message in _refused(tiny_bert_dir, data, **options)
    assert list_studies() == []


def test_a_study_needs_validation_data(tiny_bert_dir, data):
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    with pytest.raises(ConfigError, match=r"set data\.validation_split"):
        interpreter.tune(data[0], data[1], **FAST)


def test_a_study_name_is_taken_once_unless_resumed(tiny_bert_dir, data, tmp_path):
    best_dir = str(tmp_path / "best")
    options = {"search_space": DIVERGING, "n_trials": 2, "name": "lr", "epochs": 1}
    first = _tune(tiny_bert_dir, data, output_dir=best_dir, **options)[1]
    assert first.name == "lr" and first.best_trial == 0  # the baseline; the other diverged
    with pytest.raises(ConflictError, match="a study named 'lr' exists already"):
        _tune(tiny_bert_dir, data, **options)
    # A changed space, metric or direction, or an unknown name: refused before training.
    wider = {"learning_rate": {"low": 10.0, "high": 60.0, "log": True}}
    for changes, words in [
        ({"search_space": wider}, "space"),
        ({"metric": "loss"}, "metric='entity_f1', not 'loss'"),
    ]:
        message = _refused(tiny_bert_dir, data, **{**options, "resume": True, **changes})
        assert "cannot be resumed with other settings" in message and words in message
    with pytest.raises(NotFoundError, match="no study named 'nope'"):
        _tune(tiny_bert_dir, data, **{**options, "name": "nope", "resume": True})
    # Resumed: one more trial, no second baseline, values drawn afresh.
    interpreter, again = _tune(tiny_bert_dir, data, **{**options, "n_trials": 1, "resume": True})
    assert [t.number for t in again.trials] == [0, 1, 2] and again.name == "lr"
    assert [t.baseline for t in again.trials] == [True, False, False]
    assert again.trials[2].params != again.trials[1].params
    assert again.best_trial == 0 and again.ended and again.info["resumed"]
    # The earlier run's best stays the best: its saved model is the one held.
    assert interpreter.result is None
    report = interpreter.evaluate(data[2], data[3])
    assert report.metrics()["entity_f1"] == pytest.approx(again.best_value)
    assert load_study("lr").info["n_trials"] == 3


@pytest.mark.postgres
def test_studies_share_the_platform_postgresql_database(tiny_bert_dir, data, postgres_url):
    if postgres_url is None:
        pytest.skip("PostgreSQL tests need OI_TEST_DATABASE_URL")
    from sqlalchemy import create_engine, inspect

    options = {"search_space": DIVERGING, "n_trials": 2, "epochs": 1, "storage": postgres_url}
    study = _tune(tiny_bert_dir, data, **options)[1]
    assert study.storage.startswith("postgresql") and "***" in study.storage
    assert load_study(study.name, postgres_url).best_trial == 0
    engine = create_engine(postgres_url)
    try:
        tables = inspect(engine)
        assert "alembic_version" in tables.get_table_names()  # the platform's, untouched
        assert {"studies", "trials"} <= set(tables.get_table_names(schema="optuna"))
    finally:
        engine.dispose()
    assert os.environ.get("OI_DATABASE_URL") is None
