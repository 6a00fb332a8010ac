"""``bundle.robustness(data)``: the model's score on clean and perturbed data, and
under a word-substitution attack, in one seeded, reproducible report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from open_interpreter.analysis.attack import attack as run_attack
from open_interpreter.analysis.neighbours import EmbeddingNeighbours, EntityInventory
from open_interpreter.analysis.perturbations import (
    PerturbationResources,
    check_perturbations,
    perturb_examples,
)
from open_interpreter.analysis.report import PerturbationScore, RobustnessReport, WorstExample
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.tasks.token_classification import entities_from_tags

if TYPE_CHECKING:
    from open_interpreter.bundle import ModelBundle

logger = logging.getLogger(__name__)


def robustness(
    bundle: ModelBundle,
    data: Any,
    labels: Any = None,
    *,
    perturbations: Sequence[str] | None = None,
    rate: float = 0.1,
    seed: int = 0,
    attack_words: int = 3,
    attack_limit: int | None = 100,
    limit: int | None = None,
    entity_source: Any = None,
    worst: int = 5,
) -> RobustnessReport:
    """Score the model on ``data`` clean, under each perturbation, and under attack.

    See :meth:`OpenInterpreter.robustness` for the arguments.

    Raises:
        ConfigError: Unknown perturbation, ``entity-swap`` on a text classifier, or a rate
            outside (0, 1].
        DataError: The data is unlabelled or empty.
        LabelError: It holds labels the model does not know.
    """
    if not 0 < rate <= 1:
        raise ConfigError(f"rate must be in (0, 1], got {rate=}")
    task = bundle.require_head()
    if "perturb" not in task.analyses:
        raise DataError(f"robustness() covers classification and NER, not {task.name}")
    token_task = task.labels_words
    names = check_perturbations(perturbations, token_task=token_task)
    examples = _labelled_examples(bundle, data, labels, limit)
    bundle.model.eval()
    resources, source = _resources(bundle, names, examples, entity_source, attack_words > 0)
    clean_predictions, clean_report = _predict(bundle, examples)
    metric = task.headline_metric
    report = RobustnessReport(
        model=bundle.model_name,
        task=task.name,
        metric=metric,
        examples=len(examples),
        rate=rate,
        seed=seed,
        clean=clean_report.metrics()[metric],
        entity_source=source if "entity-swap" in names else None,
    )
    candidates: list[WorstExample] = []
    for name in names:
        perturbed = perturb_examples(examples, name, rate=rate, seed=seed, resources=resources)
        predictions, perturbed_report = _predict(bundle, perturbed)
        report.perturbations.append(
            _score(
                name,
                report.clean,
                perturbed_report.metrics()[metric],
                (examples, perturbed),
                (clean_predictions, predictions),
            )
        )
        candidates += _hurt(name, examples, perturbed, clean_predictions, predictions)
        logger.info(
            "robustness: %s %.4f (clean %.4f)", name, report.perturbations[-1].score, report.clean
        )
    candidates.sort(key=lambda w: (w.score_after - w.score_before, w.index))
    report.worst = candidates[:worst]
    if attack_words > 0 and "attack" in task.analyses:
        report.attack = run_attack(
            bundle,
            examples,
            max_words=attack_words,
            limit=attack_limit,
            neighbours=resources.neighbours,
        )
        logger.info("robustness: attack success rate %.3f", report.attack.success_rate)
    return report


def _labelled_examples(bundle: ModelBundle, data: Any, labels: Any, limit: int | None) -> Examples:
    from open_interpreter.data.inputs import to_examples
    from open_interpreter.data.validation import check_labels_known

    examples = to_examples(data, labels, require_labels=True, source="robustness data")
    if limit is not None:
        examples = examples.subset(list(range(min(limit, len(examples)))))
    if not len(examples):
        raise DataError("the robustness data is empty")
    check_labels_known(bundle.labels, examples, "robustness data")
    return examples


def _score(
    name: str,
    clean: float,
    score: float,
    inputs: tuple[Examples, Examples],
    predictions: tuple[list[Any], list[Any]],
) -> PerturbationScore:
    """One row of the table: the score under ``name`` and what changed."""
    return PerturbationScore(
        perturbation=name,
        score=score,
        drop=clean - score,
        relative_drop=(clean - score) / clean if clean else 0.0,
        changed_inputs=_share_changed_inputs(*inputs),
        changed_predictions=_share_changed(*inputs, *predictions),
    )


def _resources(
    bundle: ModelBundle,
    names: list[str],
    examples: Examples,
    entity_source: Any,
    attack: bool,
) -> tuple[PerturbationResources, str | None]:
    from open_interpreter.data.inputs import to_examples

    neighbours = None
    if attack or "neighbour-substitution" in names:
        neighbours = EmbeddingNeighbours.of_model(bundle.model, bundle.tokenizer)
    inventory, source = None, None
    if "entity-swap" in names:
        pool = (
            examples
            if entity_source is None
            else to_examples(entity_source, require_labels=True, source="entity source")
        )
        if not isinstance(pool, TokenExamples):
            raise DataError("the entity source must be tagged sentences (NER data)")
        inventory = EntityInventory.from_examples(pool)
        source = (
            "the evaluated data itself"
            if entity_source is None
            else str(entity_source if isinstance(entity_source, str) else pool.source)
        )
    return PerturbationResources(neighbours=neighbours, entities=inventory), source


def _predict(bundle: ModelBundle, examples: Examples) -> tuple[list[Any], Any]:
    """Predictions for every example, and the evaluation report they make."""
    from open_interpreter.inference import encode
    from open_interpreter.tasks.forward import forward

    task, labels = bundle.task, list(bundle.labels)
    features = encode(bundle, examples)
    result = forward(
        bundle.model,
        features,
        pad_id=bundle.tokenizer.pad_token_id,
        batch_size=bundle.config.eval_batch_size,
        precision=bundle.config.precision,  # as evaluate() scores it
    )
    predictions = task.decode(examples, features, result, dict(enumerate(labels)))
    return predictions, task.score(examples, predictions, labels, result.loss, "robustness")


def _share_changed_inputs(examples: Examples, perturbed: Examples) -> float:
    if isinstance(examples, TextExamples):
        changed = [a != b for a, b in zip(examples.texts, perturbed.texts, strict=True)]
    else:
        changed = [a != b for a, b in zip(examples.tokens, perturbed.tokens, strict=True)]
    return sum(changed) / len(changed)


def _outcome(examples: Examples, index: int, prediction: Any) -> Any:
    """What a prediction says, comparable between an input and its perturbed version.

    A label for classification. For NER, the entities it gets right and the false alarms
    it raises: positions and spellings differ between the versions, the counts do not
    (perturbations keep every gold entity).
    """
    if isinstance(examples, TextExamples):
        return prediction.label
    gold, found = _spans(examples.tags[index]), _spans(prediction.tags)
    return len(gold & found), len(found - gold)


def _share_changed(
    examples: Examples, perturbed: Examples, before: list[Any], after: list[Any]
) -> float:
    changed = [
        _outcome(examples, i, before[i]) != _outcome(perturbed, i, after[i])
        for i in range(len(examples))
    ]
    return sum(changed) / len(changed)


def _example_score(examples: Examples, index: int, prediction: Any) -> float:
    """Gold-label probability (classification) or the sentence's entity F1 (NER)."""
    if isinstance(examples, TextExamples):
        return float(prediction.scores.get(str(examples.labels[index]), 0.0))
    gold = _spans(examples.tags[index])
    found = _spans(prediction.tags)
    if not gold and not found:
        return 1.0
    return 2 * len(gold & found) / (len(gold) + len(found))


def _spans(tags: list[str]) -> set[tuple[str, int, int]]:
    return {(k, a, b) for k, a, b, _ in entities_from_tags(list(tags), [0.0] * len(tags))}


def _describe(examples: Examples, index: int, prediction: Any = None) -> tuple[str, str]:
    """The input as text, and the gold answer (or ``prediction``) as text."""
    if isinstance(examples, TextExamples):
        answer = prediction.label if prediction is not None else str(examples.labels[index])
        return examples.texts[index], answer
    tokens = examples.tokens[index]
    tags = prediction.tags if prediction is not None else examples.tags[index]
    spans = sorted(_spans(tags), key=lambda s: s[1])
    return " ".join(tokens), ", ".join(
        f"{' '.join(tokens[a:b])} ({k})" for k, a, b in spans
    ) or "no entities"


def _hurt(
    name: str, examples: Examples, perturbed: Examples, before: list[Any], after: list[Any]
) -> list[WorstExample]:
    """The examples whose score this perturbation lowered."""
    out = []
    for i in range(len(examples)):
        score_before = _example_score(examples, i, before[i])
        score_after = _example_score(perturbed, i, after[i])
        if score_after >= score_before:
            continue
        original, expected = _describe(examples, i)
        text_after, _ = _describe(perturbed, i)
        out.append(
            WorstExample(
                perturbation=name,
                index=i,
                original=original,
                perturbed=text_after,
                expected=expected,
                before=_describe(examples, i, before[i])[1],
                after=_describe(perturbed, i, after[i])[1],
                score_before=score_before,
                score_after=score_after,
            )
        )
    return out
