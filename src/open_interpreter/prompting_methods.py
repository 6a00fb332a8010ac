"""The ``OpenInterpreter`` methods for prompting: zero-shot, few-shot, entity extraction.

Kept apart from :mod:`open_interpreter.interpreter` so that the facade stays small; each
method loads the model if needed and delegates to :mod:`open_interpreter.prompting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.prompting import (
        Extraction,
        PromptPrediction,
        PromptPredictions,
        PromptTemplate,
    )


class PromptingMethods:
    """Classification and extraction with no weight update, mixed into ``OpenInterpreter``."""

    model: Any
    tokenizer: Any
    config: FineTuneConfig

    if TYPE_CHECKING:

        def load_model(self, model_name: str | None = None) -> Any: ...
        def load_tokenizer(self, tokenizer_name: str | None = None) -> Any: ...
        def _ensure_language_model(self) -> None: ...

    def _ensure_loaded(self) -> None:
        if self.model is None:
            self.load_model()
        if self.tokenizer is None:
            self.load_tokenizer()

    def zero_shot(
        self,
        texts: str | Sequence[str],
        labels: Sequence[str] | Mapping[str, str | Sequence[str]],
        template: PromptTemplate | str | None = None,
        *,
        calibrate: bool = False,
        reduce: str = "sum",
        max_words: int | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> PromptPrediction | PromptPredictions:
        """Classify texts into ``labels`` with no training.

        A language model reads the prompt and each label's verbalizer words are scored by
        their log-likelihood as its answer; an encoder (``minilm-l6``) compares the text's
        embedding with each label's description. A language model computes in bf16 where
        the hardware does it natively, as ``config.precision`` (``auto``) says.

        Args:
            texts: A text or a list of texts.
            labels: Label names; or label → words that say it (a language model, e.g.
                ``{"sports": ["sport", "football"]}``) / description(s) of it (an encoder).
            template: A :class:`~open_interpreter.prompting.PromptTemplate`, Jinja2 text
                using ``{{ text }}`` (and ``{{ labels }}``), or a library name
                (``NAME[@VERSION]``). Language models only; default: a built-in one.
            calibrate: Divide out the label bias measured on content-free inputs.
            reduce: ``"sum"`` or ``"mean"`` of a multi-token word's log-probabilities.
            max_words: Cut each text to its first ``max_words`` words.
            variables: Values for the template's other variables.

        Returns:
            A prediction (``label``, ``distribution``) for a text; predictions for a list
            (``predicted_labels``, ``probabilities``, ``bias`` when calibrated).

        Raises:
            TemplateError: The template's variables do not match what it is given.
            ConfigError: Invalid labels or settings.
            ModelStateError: A seq2seq model (not supported).

        Example:
            >>> OpenInterpreter("minilm-l6").zero_shot(  # doctest: +SKIP
            ...     "Arsenal won 2-0", {"sports": "Sport: football...", "tech": "Technology..."}
            ... ).label
            'sports'
        """
        from open_interpreter.prompting.api import zero_shot

        self._ensure_loaded()
        predictions = zero_shot(
            self.model,
            self.tokenizer,
            texts,
            labels,
            template,
            calibrate=calibrate,
            reduce=reduce,  # type: ignore[arg-type]
            max_words=max_words,
            variables=variables,
            precision=self.config.precision,
        )
        return predictions[0] if isinstance(texts, str) else predictions

    def few_shot(
        self,
        texts: str | Sequence[str],
        examples: Any,
        k: int = 4,
        *,
        example_labels: Any = None,
        labels: Sequence[str] | Mapping[str, str | Sequence[str]] | None = None,
        selection: str = "nearest",
        order: str | None = None,
        template: PromptTemplate | str | None = None,
        calibrate: bool = False,
        seed: int = 0,
        max_words: int | None = None,
        demo_words: int | None = None,
    ) -> PromptPrediction | PromptPredictions:
        """In-context learning: show the language model k labelled examples before each text.

        Args:
            texts: A text or a list of texts.
            examples: Labelled examples to draw demonstrations from, in any form
                ``fine_tune`` accepts (a file, a DataFrame, ``TextExamples``, a list of
                texts with ``example_labels``).
            k: Demonstrations per prompt.
            example_labels: The labels of ``examples`` when it is a list of texts.
            labels: Label names or label → verbalizer words (default: the examples' labels).
            selection: ``nearest`` (most similar by ``minilm-l6`` embeddings), ``random``
                or ``balanced`` (the last two: the same k for every text).
            order: ``similar-last``, ``similar-first``, ``shuffled`` or ``as-selected``.
            template: As for :meth:`zero_shot`; demonstrations use it too.
            calibrate: Contextual calibration (``random``/``balanced`` selection only).
            seed: Seed of the random choices.
            max_words: Cut each text to this many words.
            demo_words: Cut each demonstration to this many words.

        Returns:
            As :meth:`zero_shot`.

        Raises:
            ModelStateError: The model is not a language model.
            DataError: Unlabelled examples, or labels the verbalizer does not know.
            ConfigError: Bad selection, order or k; calibration with nearest neighbours.

        Example:
            >>> lm = OpenInterpreter("smollm2-135m-instruct")  # doctest: +SKIP
            >>> lm.few_shot("Great match!", train_texts, k=4, example_labels=train_labels)
            ... # doctest: +SKIP
        """
        from open_interpreter.data.inputs import to_examples
        from open_interpreter.prompting.api import few_shot

        self._ensure_loaded()
        pool = to_examples(examples, example_labels, require_labels=True, source="examples")
        predictions = few_shot(
            self.model,
            self.tokenizer,
            texts,
            pool,  # type: ignore[arg-type]
            k,
            labels=labels,
            selection=selection,  # type: ignore[arg-type]
            order=order,  # type: ignore[arg-type]
            template=template,
            calibrate=calibrate,
            seed=seed,
            max_words=max_words,
            demo_words=demo_words,
            precision=self.config.precision,
        )
        return predictions[0] if isinstance(texts, str) else predictions

    def extract_entities(
        self,
        texts: str | Sequence[str],
        types: Sequence[str],
        *,
        template: PromptTemplate | str | None = None,
        retries: int = 1,
        max_new_tokens: int = 128,
    ) -> Extraction | list[Extraction]:
        """Ask a generative model for the named entities of each text, as JSON, and locate them.

        Args:
            texts: A text or a list of texts.
            types: Entity types to find, e.g. ``["person", "location", "organisation"]``.
            template: The request, using ``{{ text }}`` and ``{{ types }}``.
            retries: How many times an unreadable answer is asked again.
            max_new_tokens: Longest answer.

        Returns:
            An :class:`~open_interpreter.prompting.Extraction` per text: entities with
            character spans, the raw answer, and ``error`` when it could not be read.

        Raises:
            ModelStateError: The model cannot generate text.
            ConfigError: No types.

        Example:
            >>> OpenInterpreter("smollm2-135m-instruct").extract_entities(  # doctest: +SKIP
            ...     "Ada Lovelace was born in London.", ["person", "location"]).entities
        """
        from open_interpreter.prompting.api import as_template
        from open_interpreter.prompting.extraction import extract_entities

        self._ensure_language_model()
        results = extract_entities(
            self.model,
            self.tokenizer,
            [texts] if isinstance(texts, str) else list(texts),
            types,
            template=as_template(template),
            retries=retries,
            max_new_tokens=max_new_tokens,
        )
        return results[0] if isinstance(texts, str) else results
