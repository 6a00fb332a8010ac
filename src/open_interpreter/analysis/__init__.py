"""Interpretability and robustness: why the model decides, and how easily it is moved.

- :func:`explain` → :class:`Explanation`: word attributions (integrated gradients,
  occlusion, attention rollout) for a text's label or for each predicted entity;
  :func:`explain_entity` for one entity of a text.
- :func:`faithfulness` → :class:`FaithfulnessReport`: deletion/insertion AOPC of each
  method against a random word order.
- :func:`robustness` → :class:`RobustnessReport`: the score under each perturbation
  (:data:`PERTURBATIONS`) and under a word-substitution :func:`attack`.
- :func:`augment_training_data`: the perturbed copies behind ``FineTuneConfig.augment``.

The facade offers the same as ``interpreter.explain``, ``interpreter.faithfulness`` and
``interpreter.robustness``; the CLI as ``oi explain`` and ``oi robustness``.
"""

from open_interpreter.analysis.attack import AttackExample, AttackResult, attack
from open_interpreter.analysis.attributions import METHODS
from open_interpreter.analysis.augment import augment_training_data
from open_interpreter.analysis.explanation import Explanation, explain, explain_entity
from open_interpreter.analysis.faithfulness import (
    FaithfulnessReport,
    MethodFaithfulness,
    faithfulness,
)
from open_interpreter.analysis.neighbours import EmbeddingNeighbours, EntityInventory
from open_interpreter.analysis.perturbations import (
    PERTURBATIONS,
    Perturbation,
    PerturbationResources,
    perturb_examples,
    perturb_words,
)
from open_interpreter.analysis.report import (
    PerturbationScore,
    RobustnessComparison,
    RobustnessReport,
    WorstExample,
)
from open_interpreter.analysis.robustness import robustness

__all__ = [
    "METHODS",
    "PERTURBATIONS",
    "AttackExample",
    "AttackResult",
    "EmbeddingNeighbours",
    "EntityInventory",
    "Explanation",
    "FaithfulnessReport",
    "MethodFaithfulness",
    "Perturbation",
    "PerturbationResources",
    "PerturbationScore",
    "RobustnessComparison",
    "RobustnessReport",
    "WorstExample",
    "attack",
    "augment_training_data",
    "explain",
    "explain_entity",
    "faithfulness",
    "perturb_examples",
    "perturb_words",
    "robustness",
]
