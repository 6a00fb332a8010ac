"""Studies through ``OpenInterpreter.tune`` as users call it, on the tiny BERT: the best
trial's model is kept, a diverging trial is pruned, the same seed gives the same study,
and bad input fails before anything trains."""

from __future__ import annotations

import os

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, ConflictError
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


def test_a_three_trial_study_keeps_the_best_model(tiny_bert_dir, data, tmp_path):
    space = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}}
    updates = []
    interpreter, study = _tune(
        tiny_bert_dir, data, search_space=space, n_trials=3, pruner=None, on_update=updates.append
    )
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
    saved = interpreter.save(tmp_path / "best")
    assert OpenInterpreter.load(saved).predict("john visited paris")
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


def test_a_study_name_is_taken_once(tiny_bert_dir, data):
    options = {"search_space": DIVERGING, "n_trials": 2, "name": "lr", "epochs": 1}
    assert _tune(tiny_bert_dir, data, **options)[1].name == "lr"
    with pytest.raises(ConflictError, match="a study named 'lr' exists already"):
        _tune(tiny_bert_dir, data, **options)


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
