"""The live trials table of ``oi tune`` and ``oi studies show --watch``, drawn from real
Optuna studies whose objectives are cheap Python (no training): rows, states, per-epoch
scores, pruning, best so far; one plain line per finished trial off a terminal."""

from __future__ import annotations

import io

import optuna
import pytest
from rich.console import Console

from open_interpreter.cli import main
from open_interpreter.cli.tune_live import TrialsView, best_so_far, trial_line, trials_table
from open_interpreter.tuning import TrialList, TrialRecord, follow_study
from open_interpreter.tuning.result import format_params

# Trial 0 climbs to 0.6 over 3 epochs; 1 to 0.8; 2 is pruned after its first epoch at 0.1;
# 3 fails in its second epoch; 4 ends at 0.7.
CURVES = {0: [0.2, 0.4, 0.6], 1: [0.5, 0.7, 0.8], 2: [0.1], 3: [0.3], 4: [0.3, 0.5, 0.7]}


def objective(trial: optuna.Trial) -> float:
    """Report each epoch of the trial's curve; prune trial 2, fail trial 3."""
    trial.suggest_float("learning_rate", 1e-5, 1e-3, log=True)
    trial.set_user_attr("epochs_planned", 3)
    curve = CURVES[trial.number]
    for epoch, value in enumerate(curve, start=1):
        trial.report(value, epoch)
    if trial.number == 2:
        raise optuna.TrialPruned()
    if trial.number == 3:
        raise RuntimeError("out of memory in epoch 2")
    return curve[-1]


def run(study: optuna.Study, n_trials: int, callbacks=()) -> None:
    study.optimize(objective, n_trials=n_trials, catch=(RuntimeError,), callbacks=list(callbacks))


def records(study: optuna.Study) -> list[TrialRecord]:
    return [TrialRecord.of(t) for t in study.get_trials(deepcopy=False)]


@pytest.fixture(scope="module")
def finished() -> list[TrialRecord]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    run(study, 5)
    # A sixth trial still running: asked, one epoch reported, not told.
    running = study.ask()
    running.report(0.9, 1)
    return records(study)


def rendered(table) -> str:
    console = Console(record=True, width=220, file=io.StringIO())
    console.print(table)
    return console.export_text()


def rows(text: str) -> dict[str, str]:
    """Each table row's cells joined by single spaces, keyed by the trial number."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0].split(" ")[0].isdigit():
            out[cells[0]] = " | ".join(cells)
    return out


def test_the_table_has_a_row_per_trial_with_its_state_scores_and_best_so_far(finished):
    text = rendered(
        trials_table(finished, metric="entity_f1", direction="maximize", n_trials=6, now=None)
    )
    assert "5 of 6 trials finished (entity_f1, maximize)" in text
    table = rows(text)
    assert sorted(table) == ["0", "1", "2", "3", "4", "5"]
    settings = format_params(finished[0].params)
    assert settings.startswith("learning_rate=")
    first = "0 | complete | 0.200 0.400 0.600 | 0.6000 | - | 0 s | 0.6000"
    assert table["0"] == f"{first} | {settings}"
    assert table["1"].startswith("1 | complete | 0.500 0.700 0.800 | 0.8000 | - | 0 s | 0.8000 |")
    assert table["2"].startswith("2 | pruned | 0.100 | - | epoch 1 | 0 s | 0.8000 |")
    assert table["3"].startswith("3 | failed | 0.300 | - | - | 0 s | 0.8000 |")
    assert table["4"].startswith("4 | complete | 0.300 0.500 0.700 | 0.7000 | - | 0 s | 0.8000 |")
    assert table["5"].startswith("5 | running | 0.900 | - | - |")


def test_best_so_far_follows_the_direction(finished):
    assert best_so_far(finished, "maximize") == [0.6, 0.8, 0.8, 0.8, 0.8, 0.8]
    assert best_so_far(finished, "minimize") == [0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    assert best_so_far([], "maximize") == []


def test_a_running_trial_shows_the_time_since_it_started(finished):
    running = finished[5]
    assert running.state == "running" and running.seconds is None
    text = rendered(
        trials_table(
            finished, metric="f1", direction="maximize", n_trials=6, now=running.started + 42
        )
    )
    assert "| 42 s |" in rows(text)["5"]


def test_off_a_terminal_each_finished_trial_is_one_line_once():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    lines: list[str] = []
    view = TrialsView(5, live=False, echo=lines.append)

    def notify(study: optuna.Study, _trial: object) -> None:
        trials = TrialList(records(study), metric="entity_f1", direction="maximize", n_trials=5)
        view.update(trials)
        view.update(trials)  # a second report of the same trials prints nothing new

    with view:
        run(study, 5, [notify])
    assert [line.split(":")[0] for line in lines] == [
        "trial 0 complete",
        "trial 1 complete",
        "trial 2 pruned at epoch 1",
        "trial 3 failed",
        "trial 4 complete",
    ]
    assert lines[0].startswith("trial 0 complete: entity_f1 0.6000 (epochs 0.2000 0.4000 0.6000)")
    assert "; best so far 0.6000; learning_rate=" in lines[0]
    assert "; best so far 0.8000;" in lines[4]


def test_the_live_table_draws_on_a_terminal(finished):
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    with TrialsView(6, metric="accuracy", live=True, console=console, title="demo") as view:
        view.update(finished)
    text = out.getvalue()
    assert "demo: 5 of 6 trials finished (accuracy, maximize)" in text
    assert "pruned" in text and "epoch 1" in text


def test_a_trial_line_names_the_baseline():
    trial = TrialRecord(0, "complete", {"epochs": 2}, 0.5, 2, 2, seconds=3.21, baseline=True)
    assert trial_line(trial, "accuracy", 0.5) == (
        "trial 0 (baseline) complete: accuracy 0.5000 in 3.2 s; best so far 0.5000; epochs=2"
    )


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    """One studies database for the tests below (creating Optuna's tables takes seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('studies') / 'studies.db'}"


def _stored(url: str, name: str, n_trials: int) -> optuna.Study:
    study = optuna.create_study(
        study_name=name,
        storage=url,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(0),
    )
    study.set_user_attr("metric", "entity_f1")
    study.set_user_attr("n_trials", n_trials)
    return study


def test_follow_study_polls_until_the_planned_trials_finish(url):
    study = _stored(url, "workers", 3)
    run(study, 1)
    polls: list[float] = []

    def sleep(seconds: float) -> None:  # a worker finishes a trial between two polls
        polls.append(seconds)
        run(study, 1)

    seen = [len(r.trials) for r in follow_study("workers", url, every=2.0, sleep=sleep)]
    assert seen == [1, 2, 3] and polls == [2.0, 2.0]


def test_follow_study_stops_when_told_the_study_ended(url):
    run(_stored(url, "cancelled", 5), 2)
    results = list(follow_study("cancelled", url, ended=lambda r: len(r.trials) == 2))
    assert len(results) == 1 and not results[0].ended


def test_studies_show_watch_prints_lines_then_the_study(runner, url):
    study = _stored(url, "done", 5)
    run(study, 5)
    result = runner.invoke(main, ["studies", "show", "done", "--watch", "--storage", url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("trial 0 complete: entity_f1 0.6000")
    assert lines[2].startswith("trial 2 pruned at epoch 1: entity_f1 0.1000")
    assert "Study done: 5 trials (3 complete, 1 pruned); best entity_f1 0.8000" in result.output
    both = runner.invoke(main, ["studies", "show", "done", "--watch", "--json"])
    assert both.exit_code == 2 and "--watch draws the trials as they come" in both.output
