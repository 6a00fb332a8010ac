"""Hyperparameter search: Optuna studies over fine-tuning settings, with pruning.

``OpenInterpreter.tune`` and ``oi tune`` run :func:`run_study`; each trial is one
fine-tune through the shared recipe, scored on validation data after every epoch so
bad trials stop early. See docs/hpo.md.
"""

from open_interpreter.tuning.defaults import default_space, task_metrics
from open_interpreter.tuning.result import StudyResult, TrialList, TrialRecord
from open_interpreter.tuning.settings import SearchConfig, load_study_config
from open_interpreter.tuning.space import SearchSpace, parse_space
from open_interpreter.tuning.storage import studies_url
from open_interpreter.tuning.study import follow_study, list_studies, load_study, run_study

__all__ = [
    "SearchConfig",
    "SearchSpace",
    "StudyResult",
    "TrialList",
    "TrialRecord",
    "default_space",
    "follow_study",
    "list_studies",
    "load_study",
    "load_study_config",
    "parse_space",
    "run_study",
    "studies_url",
    "task_metrics",
]
