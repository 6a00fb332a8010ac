"""Run a prompt evaluation: every configured run on one seeded dev subset, side by side.

The data is read, optionally deduplicated, split (seeded) into a dev split and the rest;
a seeded subset of each is kept — the dev examples scored, and the pool demonstrations
and the majority label come from. Every method sees the first ``max_words`` words of an
input. Work is shared between runs: the models load once, and runs that differ only in
calibration reuse the same language-model scores.

Example:
    >>> table = evaluate_prompts(load_eval_config("examples/prompts/bbc_news.yaml"))
    ... # doctest: +SKIP
    >>> print(table.to_markdown())  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.data.examples import TextExamples
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting.bootstrap import bootstrap_interval, metric_value, paired_difference
from open_interpreter.prompting.calibration import calibrate, softmax
from open_interpreter.prompting.classifier import PromptClassifier, shared_demonstrations
from open_interpreter.prompting.demonstrations import DemonstrationSelector, trim_words
from open_interpreter.prompting.eval_config import LIBRARY_PREFIX, PromptEvalConfig, PromptRun
from open_interpreter.prompting.eval_table import Effect, PromptEvalRow, PromptEvalTable
from open_interpreter.prompting.library import PromptLibrary
from open_interpreter.prompting.templates import PromptTemplate
from open_interpreter.prompting.verbalizers import Verbalizer

logger = logging.getLogger(__name__)


@dataclass
class EvalData:
    """The examples a prompt evaluation uses.

    Attributes:
        dev: The scored dev examples (inputs trimmed to ``max_words``).
        pool: The examples demonstrations come from (trimmed the same way).
        labels: Every label, sorted.
        majority: The most frequent label of the non-dev split.
    """

    dev: TextExamples
    pool: TextExamples
    labels: list[str]
    majority: str


def evaluate_prompts(
    config: PromptEvalConfig,
    *,
    base_dir: Path | None = None,
    language_model: tuple[Any, Any] | None = None,
    library: PromptLibrary | None = None,
) -> PromptEvalTable:
    """Score every run of ``config`` on its dev subset.

    Args:
        config: The evaluation.
        base_dir: Where relative data paths are also looked for (the config's folder).
        language_model: ``(model, tokenizer)`` already loaded (a server's cached model) to
            score with instead of loading ``config.model``.
        library: Where ``library:NAME`` templates are found (default: files under
            ``$OI_HOME/prompts``; a server passes its database's).

    Returns:
        The table, best accuracy first, with the measured effects.

    Raises:
        DataError: The data is missing, unlabelled or too small.
        ConfigError: A verbalizer or description set does not cover the labels.
        ModelNotFoundError: A model cannot be found.
    """
    from open_interpreter.runtime import torch_threads

    started = time.perf_counter()
    data = prepare_data(config, base_dir)
    session = _Session(config, data, language_model, library)
    with torch_threads(config.num_threads):
        rows = [session.score(run) for run in config.expanded_runs()]
    effects = measured_effects(rows, data, config)
    rows.sort(key=lambda row: (-row.accuracy, -row.macro_f1))
    return PromptEvalTable(
        name=config.name,
        labels=data.labels,
        examples=len(data.dev),
        pool=len(data.pool),
        rows=rows,
        effects=effects,
        settings=config.model_dump(),
        seconds=time.perf_counter() - started,
    )


def prepare_data(config: PromptEvalConfig, base_dir: Path | None = None) -> EvalData:
    """Read, deduplicate, split and subsample the data as ``config`` says.

    Raises:
        DataError: The data is not labelled text, or a part would be empty.
    """
    from open_interpreter.data.validation import seeded_split

    examples = _read(config, base_dir)
    if config.deduplicate:
        first = {text.strip(): index for index, text in reversed(list(enumerate(examples.texts)))}
        examples = examples.subset(sorted(first.values()))
    rest, dev = seeded_split(examples, (1 - config.dev_fraction, config.dev_fraction), config.seed)
    labels = sorted({str(label) for label in examples.labels or []})
    majority = Counter(str(label) for label in rest.labels or []).most_common(1)[0][0]
    return EvalData(
        dev=_trimmed(_sample(dev, config.dev_size, config.seed), config.max_words),
        pool=_trimmed(_sample(rest, config.pool_size, config.seed), config.max_words),
        labels=labels,
        majority=majority,
    )


def _read(config: PromptEvalConfig, base_dir: Path | None) -> TextExamples:
    from open_interpreter.data.inputs import to_examples
    from open_interpreter.data.packaged import load_packaged, names_packaged

    if names_packaged(config.data):
        examples = load_packaged(config.data)
    else:
        path = Path(config.data).expanduser()
        if not path.is_absolute() and not path.exists() and base_dir is not None:
            path = base_dir / path
        examples = to_examples(
            path,
            text_column=config.text_column,
            label_column=config.label_column,
            require_labels=True,
            source=config.data,
        )
    if not isinstance(examples, TextExamples) or examples.labels is None:
        raise DataError("prompt evaluation needs texts with one label each", source=config.data)
    return examples


def _sample(examples: TextExamples, size: int | None, seed: int) -> TextExamples:
    if size is None or size >= len(examples):
        return examples
    return examples.subset(sorted(random.Random(seed).sample(range(len(examples)), size)))


def _trimmed(examples: TextExamples, max_words: int | None) -> TextExamples:
    texts = [trim_words(text, max_words) for text in examples.texts]
    labels = [str(label) for label in examples.labels or []]
    return TextExamples(texts=texts, labels=labels, source=examples.source)


class _Session:
    """The models, selectors and scores that the runs of one evaluation share."""

    def __init__(
        self,
        config: PromptEvalConfig,
        data: EvalData,
        language_model: tuple[Any, Any] | None,
        library: PromptLibrary | None,
    ):
        self.config, self.data = config, data
        self._lm = language_model
        self._library = library
        self._encoder: Any = None
        self._scores: dict[tuple, tuple[PromptClassifier, list, np.ndarray]] = {}

    def score(self, run: PromptRun) -> PromptEvalRow:
        started = time.perf_counter()
        bias = None
        if run.strategy == "majority":
            predictions = [self.data.majority] * len(self.data.dev)
        else:
            probabilities, bias = self._probabilities(run)
            predictions = [self.data.labels[i] for i in probabilities.argmax(axis=1)]
        row = self._row(run, predictions, time.perf_counter() - started, bias)
        logger.info(
            "%s: %s: accuracy %.3f (%.0f s)", self.config.name, row.name, row.accuracy, row.seconds
        )
        return row

    def _probabilities(self, run: PromptRun) -> tuple[np.ndarray, dict[str, float] | None]:
        if run.strategy == "embedding":
            from open_interpreter.prompting.embeddings import embedding_zero_shot

            descriptions = self._descriptions()
            return embedding_zero_shot(self.encoder, self.data.dev.texts, descriptions), None
        settings = run.settings()
        key = tuple(sorted((k, v) for k, v in settings.items() if k != "calibrate"))
        if key not in self._scores:
            classifier, demos = self._classifier(run), self._demonstrations(run)
            scores = classifier.label_log_scores(self.data.dev.texts, demos)
            self._scores[key] = (classifier, demos, softmax(scores))
        classifier, demos, probabilities = self._scores[key]
        if not run.calibrate:
            return probabilities, None
        bias = classifier.bias(shared_demonstrations(demos))
        return calibrate(probabilities, bias), dict(
            zip(self.data.labels, bias.tolist(), strict=True)
        )

    def _row(
        self, run: PromptRun, predictions: list[str], seconds: float, bias: dict[str, float] | None
    ) -> PromptEvalRow:
        gold, labels = self.data.dev.labels or [], self.data.labels
        options = {"labels": labels, "resamples": self.config.resamples, "seed": self.config.seed}
        return PromptEvalRow(
            name=run.label,
            settings=run.settings(),
            accuracy=metric_value(gold, predictions, "accuracy", labels),
            accuracy_ci=bootstrap_interval(gold, predictions, "accuracy", **options),
            macro_f1=metric_value(gold, predictions, "macro-f1", labels),
            macro_f1_ci=bootstrap_interval(gold, predictions, "macro-f1", **options),
            seconds=seconds,
            bias=bias,
            predictions=predictions,
        )

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from open_interpreter.prompting.embeddings import SentenceEncoder

            self._encoder = SentenceEncoder.load(self.config.encoder)
        return self._encoder

    @property
    def language_model(self) -> tuple[Any, Any]:
        if self._lm is None:
            from open_interpreter.models.loading import load_pretrained, load_tokenizer
            from open_interpreter.models.resolve import resolve_model, resolve_tokenizer

            model = load_pretrained(resolve_model(self.config.model).path)
            self._lm = model, load_tokenizer(resolve_tokenizer(self.config.model).path)
        return self._lm

    def _classifier(self, run: PromptRun) -> PromptClassifier:
        model, tokenizer = self.language_model
        return PromptClassifier(
            model,
            tokenizer,
            self._verbalizer(run.verbalizer),
            template=self._template(run.template),
            reduce=run.reduce,
            demo_words=self.config.demo_words,
            batch_size=self.config.batch_size,
            precision=self.config.precision,
        )

    def _demonstrations(self, run: PromptRun) -> list | None:
        if run.strategy != "few-shot":
            return None
        selector = DemonstrationSelector(
            self.data.pool,
            k=run.k,
            selection=run.selection,
            order=run.order,
            seed=self.config.seed,
            encoder=self.encoder if run.selection == "nearest" else None,
        )
        return selector.select(self.data.dev.texts)

    def _template(self, name: str | None) -> PromptTemplate | None:
        if name is None:
            return None
        if name.startswith(LIBRARY_PREFIX):
            library = self._library if self._library is not None else PromptLibrary()
            return library.get(name.removeprefix(LIBRARY_PREFIX)).template
        value = self.config.templates[name]
        if isinstance(value, str):
            return PromptTemplate(value, name=name)
        return PromptTemplate.from_dict(value, name=name)

    def _verbalizer(self, name: str | None) -> Verbalizer:
        if name is None:
            return Verbalizer.build(self.data.labels)
        words = self.config.verbalizers[name]
        _check_covers(words, self.data.labels, f"verbalizer {name!r}")
        return Verbalizer.build({label: words[label] for label in self.data.labels})

    def _descriptions(self) -> dict[str, Any]:
        if not self.config.descriptions:
            return {label: label for label in self.data.labels}
        _check_covers(self.config.descriptions, self.data.labels, "descriptions")
        return {label: self.config.descriptions[label] for label in self.data.labels}


def _check_covers(mapping: dict[str, Any], labels: list[str], what: str) -> None:
    missing, extra = sorted(set(labels) - set(mapping)), sorted(set(mapping) - set(labels))
    if missing or extra:
        raise ConfigError(
            f"{what} must cover the labels {labels}: missing {missing}, unknown {extra}"
        )


_EFFECTS = (
    ("calibration", lambda s: s["calibrate"], {"calibrate": False}),
    (
        "nearest-neighbour demonstrations",
        lambda s: s["selection"] == "nearest",
        {"selection": "random", "order": None},
    ),
)


def measured_effects(
    rows: list[PromptEvalRow], data: EvalData, config: PromptEvalConfig
) -> list[Effect]:
    """Pair rows that differ only in calibration, or in nearest vs random demonstrations.

    Returns:
        One :class:`Effect` per pair found, in run order.
    """
    by_settings = {_key(row.settings): row for row in rows}
    effects = []
    for change, applies, baseline_settings in _EFFECTS:
        for row in rows:
            if not applies(row.settings):
                continue
            baseline = by_settings.get(_key({**row.settings, **baseline_settings}))
            if baseline is None:
                continue
            gold = data.dev.labels or []
            options = {"labels": data.labels, "resamples": config.resamples, "seed": config.seed}
            difference, low, high = paired_difference(
                gold, baseline.predictions, row.predictions, "accuracy", **options
            )
            f1 = row.macro_f1 - baseline.macro_f1
            effects.append(Effect(change, baseline.name, row.name, difference, (low, high), f1))
    return effects


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))
