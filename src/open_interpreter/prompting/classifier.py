"""Classify texts with a language model and no training: score each label's words.

The prompt (a template around the text, after any demonstrations) is continued by each
verbalizer word in turn; a word's score is its log-likelihood, a label's is the log of
the summed probabilities of its words, and a softmax over labels gives the distribution.
Nothing is generated and nothing is parsed. With ``calibrate=True`` the distributions are
divided by the bias measured on content-free inputs (:mod:`.calibration`).

Example:
    >>> classifier = PromptClassifier(model, tokenizer, Verbalizer.build(["positive", "negative"]))
    ... # doctest: +SKIP
    >>> classifier.classify(["I loved it"])[0].label  # doctest: +SKIP
    'positive'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from open_interpreter.config import Precision
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting import calibration
from open_interpreter.prompting.calibration import CONTENT_FREE_INPUTS, estimate_bias, softmax
from open_interpreter.prompting.demonstrations import Demonstration, trim_words
from open_interpreter.prompting.scoring import Reduce, score_continuations
from open_interpreter.prompting.templates import (
    PromptTemplate,
    TemplateError,
    conversation_text,
    joiner,
)
from open_interpreter.prompting.verbalizers import Verbalizer

DEFAULT_TEMPLATE = PromptTemplate(
    "Classify the text into one of these categories: {{ labels | join(', ') }}.\n\n"
    "Text: {{ text }}\n\nAnswer with the category only.",
    name="classify",
)
"""The template used when none is given: the choices, the text, the answer format."""

_OFFERED = ("text", "labels", "examples")  # what renders give; all but text may go unused


@dataclass(frozen=True)
class PromptPrediction:
    """One text's predicted label and label distribution.

    Attributes:
        text: The input.
        label: The most probable label.
        distribution: Label → probability, in label order.
    """

    text: str
    label: str
    distribution: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"text", "label", "distribution"}``."""
        return {"text": self.text, "label": self.label, "distribution": self.distribution}


@dataclass
class PromptPredictions(Sequence[PromptPrediction]):
    """Predictions for several texts, with the numbers behind them.

    Attributes:
        texts: The inputs.
        labels: The labels, in column order.
        probabilities: ``[texts, labels]`` distributions (calibrated when ``bias`` is set).
        method: How they were made (``lm zero-shot``, ``embedding zero-shot``, ``4-shot``...).
        bias: The label bias divided out by calibration, or None when not calibrated.
        uncalibrated: The distributions before calibration, or None.
    """

    texts: list[str]
    labels: list[str]
    probabilities: np.ndarray
    method: str
    bias: dict[str, float] | None = None
    uncalibrated: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> PromptPrediction:  # type: ignore[override]
        row = self.probabilities[index]
        return PromptPrediction(
            self.texts[index],
            self.labels[int(np.argmax(row))],
            {label: float(p) for label, p in zip(self.labels, row, strict=True)},
        )

    def __iter__(self) -> Iterator[PromptPrediction]:
        return (self[i] for i in range(len(self)))

    @property
    def predicted_labels(self) -> list[str]:
        """The most probable label of every text."""
        return [self.labels[i] for i in np.argmax(self.probabilities, axis=1)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: method, labels, bias and one prediction per text."""
        return {
            "method": self.method,
            "labels": self.labels,
            "bias": self.bias,
            "predictions": [p.to_dict() for p in self],
        }


class PromptClassifier:
    """Score verbalizer words after a prompt with a decoder-only language model.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (its chat template is used when it has one).
        verbalizer: The labels and their words.
        template: The prompt around each text (default :data:`DEFAULT_TEMPLATE`); it may
            use ``{{ text }}``, ``{{ labels }}`` (the answer words) and ``variables``.
        variables: Values for the template's other variables.
        reduce: Sum (``"sum"``) or average (``"mean"``) a word's token log-probabilities.
        chat: Use the chat template (None: when the tokenizer has one).
        max_words: Trim each input to this many words in the prompt.
        demo_words: Trim each demonstration to this many words.
        batch_size: Prompts per forward pass.
        max_prompt_tokens: Longest prompt; demonstrations are dropped (the first first)
            until it fits. Default: the model's context window.
        precision: ``auto``: bf16 autocast where the hardware computes bf16 natively.

    Raises:
        TemplateError: The template does not use ``{{ text }}``, or ``variables`` does not
            match its other variables.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        verbalizer: Verbalizer,
        *,
        template: PromptTemplate | None = None,
        variables: Mapping[str, Any] | None = None,
        reduce: Reduce = "sum",
        chat: bool | None = None,
        max_words: int | None = None,
        demo_words: int | None = None,
        batch_size: int = 8,
        max_prompt_tokens: int | None = None,
        precision: Precision = "auto",
    ):
        self.model, self.tokenizer, self.verbalizer = model, tokenizer, verbalizer
        self.template = template or DEFAULT_TEMPLATE
        self.variables = dict(variables or {})
        if "text" not in self.template.variables:
            raise TemplateError(f"template {self.template.name!r} never uses {{{{ text }}}}")
        self.template.check([*_OFFERED, *self.variables], optional=_OFFERED)
        self.reduce, self.batch_size, self.precision = reduce, batch_size, precision
        self.max_words, self.demo_words = max_words, demo_words
        self.chat = chat if chat is not None else bool(getattr(tokenizer, "chat_template", None))
        self.max_prompt_tokens = max_prompt_tokens or _context_window(model, tokenizer)

    def prompt(self, text: str, demonstrations: Sequence[Demonstration] = ()) -> str:
        """The text the model continues for ``text`` after ``demonstrations``, fitted to the window.

        Raises:
            DataError: The prompt does not fit even without demonstrations.
        """
        demos = list(demonstrations)
        while True:
            prompt = self._render(trim_words(text, self.max_words), demos)
            if self._length(prompt) <= self.max_prompt_tokens:
                return prompt
            if not demos:
                raise DataError(
                    f"the prompt for {text[:40]!r}... is longer than {self.max_prompt_tokens} "
                    "tokens: set max_words to trim the input"
                )
            demos.pop(0)

    def label_log_scores(
        self, texts: Sequence[str], demonstrations: Sequence[Sequence[Demonstration]] | None = None
    ) -> np.ndarray:
        """``[texts, labels]`` log-scores: the log of each label's summed word probabilities.

        Args:
            texts: The inputs.
            demonstrations: One list of demonstrations per input, or None for zero-shot.

        Raises:
            DataError: No texts, or the demonstrations do not line up with them.
        """
        if not len(texts):
            raise DataError("no texts to classify")
        if demonstrations is not None and len(demonstrations) != len(texts):
            raise DataError(f"got {len(texts)} texts but {len(demonstrations)} demonstration lists")
        demos = demonstrations if demonstrations is not None else [[] for _ in texts]
        prompts = [self.prompt(t, d) for t, d in zip(texts, demos, strict=True)]
        words, owners = self.verbalizer.flat()
        word_scores = np.empty((len(prompts), len(words)))
        by_joiner: dict[str, list[int]] = {}
        for index, prompt in enumerate(prompts):
            by_joiner.setdefault(joiner(prompt), []).append(index)
        for glue, rows in by_joiner.items():
            word_scores[rows] = score_continuations(
                self.model,
                self.tokenizer,
                [prompts[i] for i in rows],
                [glue + word for word in words],
                reduce=self.reduce,
                batch_size=self.batch_size,
                add_special_tokens=not self.chat,
                precision=self.precision,
            )
        return _label_scores(word_scores, owners, len(self.verbalizer.labels))

    def bias(
        self,
        demonstrations: Sequence[Demonstration] = (),
        inputs: Sequence[str] = CONTENT_FREE_INPUTS,
    ) -> np.ndarray:
        """The prompt's label bias: the mean distribution over content-free ``inputs``."""
        demos = [list(demonstrations) for _ in inputs]
        return estimate_bias(softmax(self.label_log_scores(list(inputs), demos)))

    def classify(
        self,
        texts: Sequence[str],
        demonstrations: Sequence[Sequence[Demonstration]] | None = None,
        *,
        calibrate: bool = False,
        content_free: Sequence[str] = CONTENT_FREE_INPUTS,
        method: str = "lm zero-shot",
    ) -> PromptPredictions:
        """Predict a label distribution for every text.

        Args:
            texts: The inputs.
            demonstrations: One list per input (the same list for all when calibrating),
                or None for zero-shot.
            calibrate: Divide out the bias measured on ``content_free`` inputs.
            content_free: The inputs the bias is measured on.
            method: A name for the predictions' ``method``.

        Returns:
            The predictions.

        Raises:
            ConfigError: ``calibrate`` with different demonstrations per input.
        """
        probabilities = softmax(self.label_log_scores(texts, demonstrations))
        labels = self.verbalizer.labels
        if not calibrate:
            return PromptPredictions(list(texts), labels, probabilities, method)
        bias = self.bias(shared_demonstrations(demonstrations), content_free)
        return PromptPredictions(
            list(texts),
            labels,
            calibration.calibrate(probabilities, bias),
            method,
            bias=dict(zip(labels, bias.tolist(), strict=True)),
            uncalibrated=probabilities,
        )

    def _render(self, text: str, demos: list[Demonstration]) -> str:
        values: dict[str, Any] = {"labels": self.verbalizer.answers, **self.variables}
        shown = [
            (trim_words(d.text, self.demo_words), self.verbalizer.answer(d.label)) for d in demos
        ]
        turns: list[tuple[str, str | None]] = []
        if "examples" in self.template.variables:  # the template lays them out itself
            values["examples"] = [{"text": t, "label": answer} for t, answer in shown]
        else:  # each demonstration is a question the assistant answered
            turns = [
                (self.template.render({**values, "text": t}, optional=_OFFERED), answer)
                for t, answer in shown
            ]
        query = self.template.messages({**values, "text": text}, optional=_OFFERED)
        turns.append((query[-1]["content"], None))
        system = query[0]["content"] if len(query) > 1 else None
        return conversation_text(self.tokenizer, turns, system=system, chat=self.chat)

    def _length(self, prompt: str) -> int:
        return len(self.tokenizer(prompt, add_special_tokens=not self.chat)["input_ids"])


def shared_demonstrations(
    demonstrations: Sequence[Sequence[Demonstration]] | None,
) -> list[Demonstration]:
    """The one list of demonstrations every input shares (empty for zero-shot).

    Raises:
        ConfigError: The inputs have different demonstrations (e.g. nearest neighbours):
            one content-free bias cannot stand for them all.
    """
    if not demonstrations:
        return []
    first = list(demonstrations[0])
    if any(list(d) != first for d in demonstrations[1:]):
        raise ConfigError(
            "calibration needs the same demonstrations for every input (selection 'random' "
            "or 'balanced'); nearest-neighbour demonstrations differ per input"
        )
    return first


def _label_scores(word_scores: np.ndarray, owners: list[int], labels: int) -> np.ndarray:
    """Per label, the log of the summed probabilities of its words (log-sum-exp)."""
    owner = np.array(owners)
    columns = []
    for label in range(labels):
        mine = word_scores[:, owner == label]
        top = mine.max(axis=1, keepdims=True)
        columns.append((top + np.log(np.exp(mine - top).sum(axis=1, keepdims=True)))[:, 0])
    return np.stack(columns, axis=1)


def _context_window(model: Any, tokenizer: Any) -> int:
    from open_interpreter.models.loading import context_length

    length = context_length(model, tokenizer)
    if length is None:
        raise ConfigError("the model does not say how long its context is: set max_prompt_tokens")
    return length - 16  # room for the longest verbalizer word
