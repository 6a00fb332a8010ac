"""The ``OpenInterpreter`` methods for language models and adapters.

Kept apart from :mod:`open_interpreter.interpreter` so that the facade stays small; each
method is thin and delegates to :mod:`open_interpreter.generation` and
:mod:`open_interpreter.peft`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.errors import ConfigError, LabelError, ModelStateError

if TYPE_CHECKING:
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.generation import Prompt
    from open_interpreter.tasks import Task


@contextlib.contextmanager
def _then(undo: Callable[[], None]) -> Iterator[None]:
    try:
        yield
    finally:
        undo()


class GenerativeMethods:
    """Generation, merging and adapter switching, mixed into ``OpenInterpreter``."""

    model: Any
    tokenizer: Any
    model_name: str
    task: Task | None
    labels: list[str] | None
    config: FineTuneConfig
    _has_head: bool

    if TYPE_CHECKING:

        def load_model(self, model_name: str | None = None) -> Any: ...
        def load_tokenizer(self, tokenizer_name: str | None = None) -> Any: ...

    def _ensure_language_model(self) -> None:
        """Load the model and tokenizer if needed; settle a generative task for a bare LM.

        Raises:
            ModelStateError: The model cannot generate text (an encoder or a classifier).
        """
        from open_interpreter.tasks import get_task

        if self.model is None:
            self.load_model()
        if self.tokenizer is None:
            self.load_tokenizer()
        if self.task is None:
            encoder_decoder = bool(getattr(self.model.config, "is_encoder_decoder", False))
            task = get_task("seq2seq" if encoder_decoder else "causal-lm")
            task.check_model(self.model)
            self.task, self.labels, self._has_head = task, [], True
        elif not self.task.generative:
            raise ModelStateError(
                f"this is a {self.task.name} model: it predicts labels (predict()), it does "
                "not generate text"
            )

    def load_language_model(self) -> Any:
        """Load the model as a text generator now (``generate`` otherwise does it lazily).

        Returns:
            The loaded causal-LM or seq2seq model.

        Raises:
            ModelStateError: The model cannot generate text.
        """
        self._ensure_language_model()
        return self.model

    def generate(
        self,
        prompt: Prompt | list[Prompt],
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        repetition_penalty: float | None = None,
        stop: list[str] | None = None,
        seed: int | None = None,
        *,
        stream: bool = False,
        chat: bool | None = None,
        adapter: str | None = None,
    ) -> str | list[str] | Iterator[str]:
        """Generate an answer to a prompt, a conversation, or a list of them.

        Settings left as None come from ``config.generation`` (greedy, 128 new tokens).

        Args:
            prompt: A text; a conversation (list of ``{"role", "content"}`` messages); or
                a list of either, answered as one batch.
            max_new_tokens: Most tokens to generate.
            temperature: 0 for the likeliest tokens (greedy); above 0 samples.
            top_p: Nucleus sampling mass.
            top_k: Sample among the k likeliest tokens.
            repetition_penalty: Above 1 discourages repeats.
            stop: Strings that end the answer (they are not included).
            seed: Seed for reproducible sampling.
            stream: Return an iterator of text pieces, yielded as they are produced.
            chat: Whether a text prompt goes through the chat template (None: when the
                tokenizer has one).
            adapter: Answer with this loaded adapter (see :meth:`load_adapter`).

        Returns:
            The answer (a text), a list of answers for a list, or an iterator of pieces.

        Raises:
            ModelStateError: The model cannot generate text.
            ConfigError: A setting is out of range, or ``stream=True`` with several prompts.
            DataError: A prompt is empty or malformed.

        Example:
            >>> OpenInterpreter("smollm2-135m-instruct").generate("Hi!")  # doctest: +SKIP
            'Hello! How can I help you today?'
        """
        from open_interpreter.config import GenerationSettings
        from open_interpreter.generation import generate

        self._ensure_language_model()
        given = {
            "max_new_tokens": max_new_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
            "repetition_penalty": repetition_penalty,
            "stop": stop,
        }
        values = {**self.config.generation.model_dump(), **_given(given)}
        try:
            settings = GenerationSettings.model_validate(values)
        except ValueError as exc:
            raise ConfigError(f"generate(): {exc}") from None

        def run() -> Any:
            return generate(
                self.model, self.tokenizer, prompt, settings, chat=chat, stream=stream, seed=seed
            )

        if adapter is None:
            return run()
        if stream:
            return self._stream_with(adapter, run)
        with self.use_adapter(adapter):
            return run()

    def _stream_with(self, adapter: str, run: Callable[[], Any]) -> Iterator[str]:
        with self.use_adapter(adapter):
            yield from run()

    # -- adapters ----------------------------------------------------------------------

    @property
    def adapters(self) -> list[str]:
        """Names of the adapters on the model (empty without PEFT)."""
        from open_interpreter.peft import is_peft_model

        return sorted(self.model.peft_config) if is_peft_model(self.model) else []

    @property
    def active_adapter(self) -> str | None:
        """The adapter answering now, or None without PEFT."""
        from open_interpreter.peft import is_peft_model

        return self.model.active_adapter if is_peft_model(self.model) else None

    def load_adapter(self, path: str | Path, name: str) -> None:
        """Put another saved adapter on the loaded base model, under ``name``.

        The adapter must have been trained on the same base model (and, for
        classification, the same labels). Switch to it with :meth:`use_adapter`.

        Args:
            path: A directory written by :meth:`save` for a PEFT model.
            name: The name to switch to it by.

        Raises:
            ModelStateError: No model is loaded, or the adapter was trained on another base.
            LabelError: Its labels differ from the loaded model's.
            ConfigError: ``name`` is already taken.
        """
        from open_interpreter.peft import load_adapter
        from open_interpreter.saved_model import read_manifest

        if self.model is None:
            raise ModelStateError("load a model first, e.g. OpenInterpreter.load(adapter_dir)")
        manifest = read_manifest(Path(path))
        base = manifest.get("adapter", {}).get("base_model")
        if base is None:
            raise ModelStateError(f"{path} holds a whole model, not an adapter")
        if base != self.model_name:
            raise ModelStateError(
                f"the adapter in {path} was trained on {base!r}, but the loaded base is "
                f"{self.model_name!r}"
            )
        if list(manifest["labels"]) != list(self.labels or []):
            raise LabelError(
                f"the adapter in {path} predicts {manifest['labels']}, "
                f"the loaded model {self.labels}"
            )
        self.model = load_adapter(self.model, Path(path), name)

    def use_adapter(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Switch to the loaded adapter ``name``; as a context manager, switch back after.

        Example:
            >>> interpreter.use_adapter("legal")  # doctest: +SKIP
            >>> with interpreter.use_adapter("support"):  # doctest: +SKIP
            ...     interpreter.generate("Where is my parcel?")

        Raises:
            ModelStateError: The model has no adapters.
            ConfigError: No adapter of that name is loaded.
        """
        from open_interpreter.peft import use_adapter

        previous = self.active_adapter
        use_adapter(self.model, name)
        return _then(lambda: use_adapter(self.model, previous) if previous else None)

    def merge(self) -> Any:
        """Fold the active LoRA (or IA3) adapter into the base weights.

        Afterwards :meth:`save` writes a plain ``transformers`` model, and predictions are
        the same as before the merge.

        Returns:
            The merged model.

        Raises:
            ModelStateError: The model has no adapter, or it learns virtual tokens
                (prefix, prompt, p-tuning), which cannot be merged.
        """
        from open_interpreter.peft import merge_adapter

        self.model = merge_adapter(self.model)
        self.config = self.config.updated(peft=None)
        return self.model


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
