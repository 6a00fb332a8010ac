"""Run a hyperparameter study, read one back, list them.

:func:`run_study` reads the data once, settles the task and labels, checks the search
space, the metric and the budget (so bad input fails before anything trains), then lets
Optuna run the trials: TPE sampling, Hyperband or median pruning on each epoch's
validation score, everything stored through :mod:`open_interpreter.tuning.storage`.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import Examples
from open_interpreter.errors import ConfigError, ConflictError, ModelStateError, NotFoundError
from open_interpreter.paths import MANIFEST
from open_interpreter.training import recipe
from open_interpreter.tuning.defaults import default_space, task_metrics
from open_interpreter.tuning.objective import Objective
from open_interpreter.tuning.result import StudyResult, TrialList, TrialRecord
from open_interpreter.tuning.settings import SearchConfig
from open_interpreter.tuning.space import SearchSpace, parse_space
from open_interpreter.tuning.storage import (
    check_parallel,
    has_studies,
    open_storage,
    shown_url,
    studies_url,
)

logger = logging.getLogger(__name__)

OnUpdate = Callable[[list[TrialRecord]], None]


def run_study(
    *,
    model_name: str,
    base: FineTuneConfig,
    search: SearchConfig,
    train_data: Any,
    train_labels: Any = None,
    validation_data: Any = None,
    validation_labels: Any = None,
    tokenizer_name: str | None = None,
    head: tuple[str, list[str] | None] | None = None,
    storage: str | None = None,
    on_update: OnUpdate | None = None,
) -> tuple[StudyResult, ModelBundle]:
    """Search ``search.space`` around ``base``; return the study and the best trial's model.

    Args:
        model_name: The base model every trial starts from.
        base: The settings every trial starts from; its ``output_dir``, when set,
            receives the best model.
        search: The study's settings (space, budget, metric, sampler, pruner).
        train_data: Training data, in any form ``fine_tune`` accepts.
        train_labels: Its labels.
        validation_data: Data scored after each epoch (or ``base.data.validation_split``).
        validation_labels: Its labels.
        tokenizer_name: The tokenizer, when not the model's own.
        head: ``(task, labels)`` asked for with ``add_*_head``, if any.
        storage: Database URL of the studies (default: see ``tuning/storage.py``).
        on_update: Called with the trials table after each epoch and each trial (a
            :class:`TrialList`: the records, with the metric, direction and budget).

    Returns:
        The study's result, and the best trial's bundle (model, tokenizer, task...).

    Raises:
        ConfigError: An empty or contradictory search space, an unknown metric for the
            task, a contradictory direction, parallel trials on SQLite, no validation data.
        ConflictError: A study of that name exists (and ``search.resume`` is off).
        NotFoundError: ``search.resume`` names no stored study.
        DataError: Bad training or validation data.
        ModelStateError: No trial completed.
    """
    import optuna

    url = storage or studies_url()
    check_parallel(url, search.n_jobs)
    base = _trial_base(base)
    splits = recipe.read_splits(
        base, train_data, train_labels, validation_data, validation_labels, None, None
    )
    if "validation" not in splits:
        raise ConfigError(
            "a study scores every trial on validation data: pass validation_data, or set "
            "data.validation_split (e.g. 0.1)"
        )
    task = _settle_task(model_name, tokenizer_name, head, base, splits["train"])
    asked = default_space(task, base) if search.space == "default" else search.space
    space = parse_space(asked, base)
    metric = _check_metric(search.metric, task, base)
    direction = search.direction_for(metric)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if search.resume:
        study = _resume_study(optuna, url, search, direction, space, base, model_name, task, metric)
    else:
        study = _create_study(optuna, url, search, direction, space, base)
        _describe(study, search, space, base, model_name, task, metric)
    earlier = study.get_trials(deepcopy=False)
    planned = len(earlier) + search.n_trials
    if search.resume:
        study.set_user_attr("n_trials", planned)
    if search.baseline and not any(t.user_attrs.get("baseline") for t in earlier):
        study.enqueue_trial({}, user_attrs={"baseline": True})

    def notify() -> None:
        if on_update is not None:
            records = [TrialRecord.of(t) for t in study.get_trials(deepcopy=False)]
            on_update(TrialList(records, metric=metric, direction=direction, n_trials=planned))

    objective = Objective(
        model_name=model_name,
        tokenizer_name=tokenizer_name,
        head=head,
        base=base,
        space=space,
        metric=metric,
        direction=direction,
        splits=splits,
        notify=notify,
    )
    try:
        study.optimize(
            objective,
            n_trials=search.n_trials,
            timeout=search.timeout,
            n_jobs=search.n_jobs,
            gc_after_trial=True,
            callbacks=[lambda _study, _trial: notify()],
        )
    finally:  # so `oi studies show --watch` knows no more trials will come
        study.set_user_attr("ended", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    best = summarize(study, url, importances=False).best_trial
    bundle, fine_tuned, number = _best_model(study, best, len(earlier), objective)
    if base.output_dir:
        loaded_from = study.user_attrs.get("best_model_dir") if fine_tuned is None else None
        if loaded_from is None or Path(loaded_from).resolve() != Path(base.output_dir).resolve():
            bundle.save(base.output_dir)
        study.set_user_attr("best_model_dir", str(base.output_dir))
        study.set_user_attr("best_model_trial", number)
        logger.info("saved the best model (trial %d) to %s", number, base.output_dir)
    result = summarize(study, url)
    result.best_result = fine_tuned
    return result, bundle


def _best_model(
    study: Any, best: int | None, n_earlier: int, objective: Objective
) -> tuple[Any, Any, int]:
    """The model to keep: the best trial's of this run, unless a trial of an earlier run
    (one of the first ``n_earlier`` trials of a resumed study) is the study's ``best`` and
    its model was saved then (``best_model_dir``).

    Returns:
        The bundle, its ``FineTuneResult`` (None when loaded from disk), its trial number.

    Raises:
        ModelStateError: No trial completed, in this run or a saved earlier one.
    """
    attrs = study.user_attrs
    saved, saved_trial = attrs.get("best_model_dir") or "", attrs.get("best_model_trial")
    earlier_best = best is not None and best < n_earlier
    if earlier_best and saved_trial == best and (Path(saved) / MANIFEST).is_file():
        logger.info("trial %d of an earlier run stays the best; loading %s", saved_trial, saved)
        return ModelBundle.load(saved), None, saved_trial
    if objective.best_bundle is None:
        raise ModelStateError(f"no trial of study {study.study_name!r} completed")
    if earlier_best:
        logger.warning(
            "trial %s of an earlier run scored best, but its model was not saved: keeping "
            "this run's best, trial %d",
            best,
            objective.best_number,
        )
    return objective.best_bundle, objective.best_result, objective.best_number


def load_study(name: str, storage: str | None = None, *, importances: bool = True) -> StudyResult:
    """The stored study ``name``, summarised (``importances=False`` skips fANOVA).

    Raises:
        NotFoundError: No study of that name (the message lists those there are).
    """
    url = storage or studies_url()
    return summarize(_open_study(name, _backend(name, url)), url, importances=importances)


def follow_study(
    name: str,
    storage: str | None = None,
    *,
    every: float = 5.0,
    ended: Callable[[StudyResult], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[StudyResult]:
    """Study ``name`` as stored now, then again every ``every`` seconds, until it ends.

    For following a study that another process or the job workers run: each summary
    (without importances) is yielded; the last one is the first for which
    :attr:`StudyResult.ended` or ``ended(result)`` holds.

    Raises:
        NotFoundError: No study of that name.
    """
    url = storage or studies_url()
    backend = _backend(name, url)
    while True:
        result = summarize(_open_study(name, backend), url, importances=False)
        yield result
        if result.ended or (ended is not None and ended(result)):
            return
        sleep(every)


def _backend(name: str, url: str) -> Any:
    """The storage at ``url``, opened; a missing SQLite file means no study ``name``."""
    if not has_studies(url):
        raise NotFoundError(f"no study named {name!r}; studies: none yet")
    return open_storage(url)


def _open_study(name: str, backend: Any) -> Any:
    """The Optuna study ``name`` in ``backend``."""
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=backend)
    except KeyError:
        names = optuna.get_all_study_names(backend)
        raise NotFoundError(f"no study named {name!r}; studies: {names or 'none yet'}") from None


def list_studies(storage: str | None = None) -> list[dict[str, Any]]:
    """One summary per stored study: name, metric, direction, trials, best value, start."""
    import optuna

    url = storage or studies_url()
    if not has_studies(url):
        return []
    rows = []
    for summary in optuna.get_all_study_summaries(open_storage(url), include_best_trial=True):
        best = summary.best_trial
        rows.append(
            {
                "name": summary.study_name,
                "metric": summary.user_attrs.get("metric"),
                "direction": summary.direction.name.lower(),
                "trials": summary.n_trials,
                "best_value": best.value if best else None,
                "started": summary.datetime_start.isoformat(timespec="seconds")
                if summary.datetime_start
                else None,
            }
        )
    return rows


def summarize(study: Any, url: str, *, importances: bool = True) -> StudyResult:
    """A :class:`StudyResult` of an Optuna study (with parameter importances unless
    ``importances=False``)."""
    trials = [TrialRecord.of(t) for t in study.get_trials(deepcopy=False)]
    attrs = study.user_attrs
    result = StudyResult(
        name=study.study_name,
        storage=shown_url(url),
        metric=attrs.get("metric", "value"),
        direction=study.direction.name.lower(),
        trials=trials,
        info={k: v for k, v in attrs.items() if k != "metric"},
    )
    complete = [t for t in trials if t.state == "complete" and t.value is not None]
    if complete:
        pick = max if result.direction == "maximize" else min
        best = pick(complete, key=lambda t: t.value)
        result.best_trial, result.best_value = best.number, best.value
        result.best_params = best.params
    baseline = next((t for t in complete if t.baseline), None)
    result.baseline_value = baseline.value if baseline else None
    if importances:
        result.importances = _importances(study, list(attrs.get("space", {})))
    return result


def _trial_base(base: FineTuneConfig) -> FineTuneConfig:
    """The base settings as each trial uses them: no saving, checkpoints or progress bar
    per trial (the best model is saved once, at the end)."""
    if not base.eval_every_epoch:
        raise ConfigError("a study scores trials after each epoch: drop eval_every_epoch=false")
    if base.resume_from:
        raise ConfigError("resume_from cannot be used in a study: every trial starts afresh")
    return base.updated(checkpoint_every=None, progress=False)


def _settle_task(
    model_name: str,
    tokenizer_name: str | None,
    head: tuple[str, list[str] | None] | None,
    base: FineTuneConfig,
    train: Examples,
) -> str:
    """The task the trials train, settled as ``fine_tune`` settles it (so label errors
    come before any training)."""
    bundle = ModelBundle(model_name, tokenizer_name, config=base)
    bundle.load_model()
    bundle.load_tokenizer()
    if head is not None:
        bundle.set_head(*head)
    recipe.settle_task(bundle, train)
    return bundle.task.name


def _check_metric(metric: str | None, task: str, base: FineTuneConfig) -> str:
    from open_interpreter.tasks import get_task

    measured = task_metrics(task, base)
    metric = metric or get_task(task).headline_metric
    if metric not in measured:
        raise ConfigError(f"metric={metric!r} is not measured for {task}; choose one of {measured}")
    return metric


def _create_study(
    optuna: Any,
    url: str,
    search: SearchConfig,
    direction: str,
    space: SearchSpace,
    base: FineTuneConfig,
) -> Any:
    backend = open_storage(url)
    name = search.name or f"study-{datetime.now():%Y%m%d-%H%M%S}"
    options = {
        "storage": backend,
        "direction": direction,
        "sampler": _sampler(optuna, search.sampler, base.seed),
        "pruner": _pruner(optuna, search.pruner, space, base),
    }
    try:
        return optuna.create_study(study_name=name, **options)
    except optuna.exceptions.DuplicatedStudyError:
        if search.name:
            raise ConflictError(
                f"a study named {name!r} exists already; choose another name"
            ) from None
    for n in range(2, 1000):  # two unnamed studies started in the same second
        try:
            return optuna.create_study(study_name=f"{name}-{n}", **options)
        except optuna.exceptions.DuplicatedStudyError:
            continue
    raise ConflictError(f"could not find a free study name after {name!r}")


def _resume_study(
    optuna: Any,
    url: str,
    search: SearchConfig,
    direction: str,
    space: SearchSpace,
    base: FineTuneConfig,
    model_name: str,
    task: str,
    metric: str,
) -> Any:
    """The stored study ``search.name``, to run more trials in, if it searches the same
    space for the same metric, direction, model and task.

    The sampler is seeded with the run's seed plus the trials already there, so the new
    trials do not draw the first run's values again.

    Raises:
        NotFoundError: No study of that name.
        ConfigError: The study runs as jobs, or searches something else.
    """
    backend = open_storage(url)
    stored = _open_study(search.name, backend)
    attrs = stored.user_attrs
    if attrs.get("platform_study"):
        raise ConfigError(
            f"study {search.name!r} runs as jobs on a server: give it more trials with "
            f"POST /v1/studies/{search.name}/trials"
        )
    wanted = {
        "metric": metric,
        "direction": direction,
        "model": model_name,
        "task": task,
    }
    found = {**{k: attrs.get(k) for k in wanted}, "direction": stored.direction.name.lower()}
    changed = [f"{k}={found[k]!r}, not {v!r}" for k, v in wanted.items() if found[k] != v]
    if _plain(attrs.get("space")) != _plain(space.to_dict()):
        changed.append(f"space {attrs.get('space')}, not {space.to_dict()}")
    if changed:
        raise ConfigError(
            f"study {search.name!r} cannot be resumed with other settings; it was run with "
            + "; ".join(changed)
            + ". Resume it with its own settings, or start a study of another name"
        )
    n_earlier = len(stored.get_trials(deepcopy=False))
    study = optuna.load_study(
        study_name=search.name,
        storage=backend,
        sampler=_sampler(optuna, search.sampler, base.seed + n_earlier),
        pruner=_pruner(optuna, search.pruner, space, base),
    )
    resumed = [*attrs.get("resumed", []), datetime.now(timezone.utc).isoformat(timespec="seconds")]
    study.set_user_attr("resumed", resumed)
    study.set_user_attr("ended", None)  # running again: `oi studies show --watch` follows it
    logger.info("resuming study %r after its %d trials", search.name, n_earlier)
    return study


def _plain(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists), for comparing stored settings."""
    return json.loads(json.dumps(value))


def _sampler(optuna: Any, name: str, seed: int) -> Any:
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _pruner(optuna: Any, name: str, space: SearchSpace, base: FineTuneConfig) -> Any:
    """Hyperband over epochs (1 to the most any trial trains), the median rule after two
    finished trials, or none."""
    if name == "hyperband":
        most = max(1, math.ceil(space.max_of("epochs", base.epochs)))
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=most, reduction_factor=3)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    return optuna.pruners.NopPruner()


def _describe(
    study: Any,
    search: SearchConfig,
    space: SearchSpace,
    base: FineTuneConfig,
    model_name: str,
    task: str,
    metric: str,
) -> None:
    """Store what the study is, so ``oi studies show`` can say it later."""
    attrs = {
        "metric": metric,
        "task": task,
        "model": model_name,
        "space": space.to_dict(),
        "sampler": search.sampler,
        "pruner": search.pruner,
        "n_trials": search.n_trials,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base_config": base.model_dump(mode="json"),
    }
    for key, value in attrs.items():
        study.set_user_attr(key, value)


def _importances(study: Any, names: list[str]) -> dict[str, float]:
    """fANOVA importances of the searched settings, once two searched trials completed."""
    import optuna

    searched = [
        t
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if names and set(names) <= set(t.params)
    ]
    if len(searched) < 2:
        return {}
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        found = optuna.importance.get_param_importances(study, params=names, evaluator=evaluator)
    except (RuntimeError, ValueError) as error:  # e.g. every trial drew the same values
        logger.info("no parameter importances: %s", error)
        return {}
    return {name: round(float(value), 4) for name, value in found.items()}
