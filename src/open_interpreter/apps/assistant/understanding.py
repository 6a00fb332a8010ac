"""Understanding a question: an intent classifier and a slot tagger, both fine-tuned by the
platform's own recipe (:func:`open_interpreter.training.recipe.fine_tune`) on a
:class:`~open_interpreter.bundle.ModelBundle`.

The intents are those of the intent data (Kwik-E-Mart's seven) plus ``faq``: questions
for the knowledge base, learnt from a split of the knowledge base's own questions, so a
question about the FAQ's subject is routed to retrieval rather than forced into a shop
intent.

Example:
    >>> understanding, reports = Understanding.train(data["train"], faq_questions=qs)  # doctest: +SKIP
    >>> understanding.parse("When does the Elm Street store close?")  # doctest: +SKIP
    Parse(intent='get_store_hours', confidence=0.99, slots={'store_name': 'Elm Street'})
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from open_interpreter.apps.assistant.intents import IntentData, words
from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig

FAQ_INTENT = "faq"
INTENT_SETTINGS: dict[str, Any] = {
    "epochs": 3, "learning_rate": 3e-4, "batch_size": 16, "max_length": 64,
    "freeze": "embeddings", "validation_split": 0.0, "progress": False, "seed": 13,
}  # fmt: skip
"""Fine-tuning settings of the intent classifier: short utterances and few passes, the
word embeddings frozen (a third of the weights, and of the optimizer's work, on CPU)."""
SLOT_SETTINGS: dict[str, Any] = dict(INTENT_SETTINGS)
"""Settings of the slot tagger: the same."""


@dataclass
class Parse:
    """What the question asks (its intent) and the slots it fills (``store_name``...)."""

    intent: str
    confidence: float
    slots: dict[str, str] = field(default_factory=dict)


class Understanding:
    """An intent classifier and a slot tagger, each a fine-tuned bundle."""

    def __init__(self, intents: ModelBundle, slots: ModelBundle):
        self.intents, self.slots = intents, slots

    @classmethod
    def train(
        cls,
        data: IntentData,
        *,
        faq_questions: Sequence[str] = (),
        model: str = "minilm-l6",
        output_dir: str | Path | None = None,
        **settings: Any,
    ) -> tuple[Understanding, dict[str, Any]]:
        """Fine-tune both models on ``data`` (``faq_questions`` join as intent ``faq``).

        Args:
            data: Training utterances with intents and slot tags.
            faq_questions: Knowledge-base questions, learnt as intent ``faq``.
            model: The encoder both start from.
            output_dir: Where to save them (``intents/`` and ``slots/`` under it).
            **settings: Overrides of :data:`INTENT_SETTINGS` for both.

        Returns:
            The understanding and each run's :class:`FineTuneResult`.
        """
        where = Path(output_dir) if output_dir else None
        intents, intent_result = train_intents(
            data, faq_questions=faq_questions, model=model,
            output_dir=where and where / "intents", **settings,
        )  # fmt: skip
        slots, slot_result = train_slots(
            data, model=model, output_dir=where and where / "slots", **settings
        )
        return cls(intents, slots), {"intents": intent_result, "slots": slot_result}

    @classmethod
    def load(cls, path: str | Path) -> Understanding:
        """Load the two models saved under ``path`` by :meth:`train`."""
        path = Path(path)
        return cls(ModelBundle.load(path / "intents"), ModelBundle.load(path / "slots"))

    def parse(self, question: str) -> Parse:
        """The intent of ``question`` and the slots its words fill."""
        return self.parse_many([question])[0]

    def parse_many(self, questions: Sequence[str]) -> list[Parse]:
        """:meth:`parse` for several questions at once (one batch per model)."""
        from open_interpreter.inference import predict

        tokens = [words(q) or ["?"] for q in questions]
        labels = predict(self.intents, [" ".join(t) for t in tokens])
        tagged = predict(self.slots, tokens)
        parses = []
        for label, tags in zip(labels, tagged, strict=True):
            slots = {e.type: e.text for e in sorted(tags.entities, key=lambda e: e.score)}
            parses.append(Parse(label.label, round(label.score, 4), slots))
        return parses

    def evaluate(self, data: IntentData) -> dict[str, Any]:
        """Intent accuracy and slot scores (seqeval, entity level) on labelled ``data``."""
        from open_interpreter.data.examples import TextExamples, TokenExamples
        from open_interpreter.inference import evaluate

        intents = evaluate(self.intents, TextExamples(data.texts, data.intents), "test")
        slots = evaluate(self.slots, TokenExamples(data.tokens, data.tags), "test")
        return {"intents": intents, "slots": slots}


def train_intents(
    data: IntentData,
    *,
    faq_questions: Sequence[str] = (),
    model: str = "minilm-l6",
    output_dir: str | Path | None = None,
    **settings: Any,
) -> tuple[ModelBundle, Any]:
    """Fine-tune the intent classifier alone (see :meth:`Understanding.train`)."""
    texts = list(data.texts) + [" ".join(words(q)) for q in faq_questions]
    labels = list(data.intents) + [FAQ_INTENT] * len(faq_questions)
    return _fine_tune(
        model, "sequence-classification", texts, labels, output_dir,
        {**INTENT_SETTINGS, **settings},
    )  # fmt: skip


def train_slots(
    data: IntentData,
    *,
    model: str = "minilm-l6",
    output_dir: str | Path | None = None,
    **settings: Any,
) -> tuple[ModelBundle, Any]:
    """Fine-tune the slot tagger alone (see :meth:`Understanding.train`)."""
    return _fine_tune(
        model, "token-classification", data.tokens, data.tags, output_dir,
        {**SLOT_SETTINGS, **settings},
    )  # fmt: skip


def _fine_tune(
    model: str,
    task: str,
    data: Any,
    labels: Any,
    output_dir: str | Path | None,
    settings: dict[str, Any],
) -> tuple[ModelBundle, Any]:
    from open_interpreter.training.recipe import fine_tune

    config = FineTuneConfig(model=model, task=task).updated(
        **settings, output_dir=str(output_dir) if output_dir else None
    )
    bundle = ModelBundle(model_name=model, config=config)
    result = fine_tune(bundle, data, labels)
    return bundle, result
