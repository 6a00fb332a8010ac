"""Zero-shot and few-shot classification of texts by a loaded model, as the facade offers it.

``zero_shot`` picks the method from the model: a language model scores verbalizer words
after a prompt; an encoder compares sentence embeddings with label descriptions.
``few_shot`` shows a language model k labelled demonstrations before each input.

Example:
    >>> zero_shot(model, tokenizer, ["Arsenal won 2-0"], ["sports", "business"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from open_interpreter.config import Precision
from open_interpreter.data.examples import TextExamples
from open_interpreter.errors import DataError, ModelStateError
from open_interpreter.prompting.classifier import PromptClassifier, PromptPredictions
from open_interpreter.prompting.demonstrations import (
    DemonstrationSelector,
    Order,
    Selection,
    trim_words,
)
from open_interpreter.prompting.embeddings import DEFAULT_ENCODER, DEFAULT_TEMPERATURE
from open_interpreter.prompting.scoring import Reduce
from open_interpreter.prompting.templates import PromptTemplate
from open_interpreter.prompting.verbalizers import Verbalizer

Labels = Sequence[str] | Mapping[str, str | Sequence[str]]
"""Label names, or label → words (a language model's verbalizer) / description(s) (an encoder's)."""


def is_language_model(model: Any) -> bool:
    """Whether ``model`` is a decoder-only LM with its language-modelling head.

    Raises:
        ModelStateError: It is a seq2seq model, which these methods do not score.
    """
    from open_interpreter.models.inventory import model_kind

    kind = model_kind(model.config.to_dict())
    if kind == "seq2seq":
        raise ModelStateError("prompt-based classification needs a decoder-only LM or an encoder")
    head = getattr(model, "get_output_embeddings", lambda: None)()
    return kind == "causal-lm" and head is not None


def zero_shot(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    labels: Labels,
    template: PromptTemplate | str | None = None,
    *,
    calibrate: bool = False,
    reduce: Reduce = "sum",
    max_words: int | None = None,
    variables: Mapping[str, Any] | None = None,
    temperature: float = DEFAULT_TEMPERATURE,
    precision: Precision = "auto",
) -> PromptPredictions:
    """Classify ``texts`` with no training (see :meth:`OpenInterpreter.zero_shot`)."""
    texts = _texts(texts)
    if is_language_model(model):
        classifier = PromptClassifier(
            model,
            tokenizer,
            Verbalizer.build(labels),
            template=as_template(template),
            variables=variables,
            reduce=reduce,
            max_words=max_words,
            precision=precision,
        )
        return classifier.classify(texts, calibrate=calibrate, method="lm zero-shot")
    return _embedding_zero_shot(model, tokenizer, texts, labels, max_words, temperature)


def _embedding_zero_shot(
    model: Any,
    tokenizer: Any,
    texts: list[str],
    labels: Labels,
    max_words: int | None,
    temperature: float,
) -> PromptPredictions:
    from open_interpreter.prompting.embeddings import SentenceEncoder, embedding_zero_shot

    descriptions = dict(labels) if isinstance(labels, Mapping) else {str(n): str(n) for n in labels}
    encoder = SentenceEncoder(getattr(model, model.base_model_prefix, model), tokenizer)
    inputs = [trim_words(t, max_words) for t in texts]
    probabilities = embedding_zero_shot(encoder, inputs, descriptions, temperature=temperature)
    return PromptPredictions(texts, list(descriptions), probabilities, "embedding zero-shot")


def few_shot(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    examples: TextExamples,
    k: int = 4,
    *,
    labels: Labels | None = None,
    selection: Selection = "nearest",
    order: Order | None = None,
    template: PromptTemplate | str | None = None,
    calibrate: bool = False,
    seed: int = 0,
    encoder: str = DEFAULT_ENCODER,
    max_words: int | None = None,
    demo_words: int | None = None,
    reduce: Reduce = "sum",
    precision: Precision = "auto",
) -> PromptPredictions:
    """In-context learning from k demonstrations (see :meth:`OpenInterpreter.few_shot`)."""
    from open_interpreter.prompting.embeddings import SentenceEncoder

    texts = _texts(texts)
    if not is_language_model(model):
        raise ModelStateError(
            "few-shot in-context learning needs a language model (e.g. smollm2-135m-instruct)"
        )
    names = sorted({str(label) for label in examples.labels or []})
    verbalizer = Verbalizer.build(labels if labels is not None else names)
    unknown = sorted(set(names) - set(verbalizer.labels))
    if unknown:
        raise DataError(f"the examples' labels {unknown} are not among {verbalizer.labels}")
    selector = DemonstrationSelector(
        examples,
        k=k,
        selection=selection,
        order=order,
        seed=seed,
        encoder=SentenceEncoder.load(encoder) if selection == "nearest" else None,
    )
    classifier = PromptClassifier(
        model,
        tokenizer,
        verbalizer,
        template=as_template(template),
        reduce=reduce,
        max_words=max_words,
        demo_words=demo_words,
        precision=precision,
    )
    demonstrations = selector.select([trim_words(t, max_words) for t in texts])
    return classifier.classify(
        texts,
        demonstrations,
        calibrate=calibrate,
        method=f"{k}-shot {selection}",
    )


def as_template(template: PromptTemplate | str | None) -> PromptTemplate | None:
    """A template from a template, Jinja2 text, or a library reference (``NAME[@VERSION]``).

    A text that contains ``{{`` is a template; any other text names one in the library.

    Raises:
        NotFoundError: A library reference that does not exist.
        TemplateError: Malformed Jinja2.
    """
    if template is None or isinstance(template, PromptTemplate):
        return template
    if "{{" in template or "{%" in template:
        return PromptTemplate(template)
    from open_interpreter.prompting.library import PromptLibrary

    return PromptLibrary().get(template).template


def _texts(texts: Sequence[str]) -> list[str]:
    items = [texts] if isinstance(texts, str) else list(texts)
    if not items:
        raise DataError("no texts to classify")
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise DataError(f"text {index} is a {type(text).__name__}, not a str")
    return items
