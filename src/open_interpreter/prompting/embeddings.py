"""Sentence embeddings from an encoder, and zero-shot classification by cosine similarity.

:class:`SentenceEncoder` mean-pools an encoder's last hidden states over the real tokens
and scales each vector to unit length — how ``minilm-l6`` (all-MiniLM-L6-v2) was trained
to be used. :func:`embedding_zero_shot` embeds a description of every label (several
descriptions are averaged) and turns each text's cosine similarities to them into a label
distribution with a softmax at a low temperature.

Example:
    >>> encoder = SentenceEncoder.load("minilm-l6")  # doctest: +SKIP
    >>> embedding_zero_shot(encoder, ["Arsenal won 2-0"],
    ...                     {"sports": "Sport: football, matches", "tech": "Technology"})
    ... # doctest: +SKIP
    array([[0.98, 0.02]])
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting.calibration import softmax

DEFAULT_ENCODER = "minilm-l6"
DEFAULT_TEMPERATURE = 0.05
"""Cosine similarities differ by hundredths; dividing by this spreads them into a distribution."""


class SentenceEncoder:
    """Unit-length, mean-pooled sentence embeddings from an encoder.

    Args:
        model: A bare encoder (``AutoModel``), e.g. BERT.
        tokenizer: Its tokenizer.
        max_length: Sub-words read per text (the rest is cut).
        batch_size: Texts per forward pass.
    """

    def __init__(self, model: Any, tokenizer: Any, *, max_length: int = 128, batch_size: int = 32):
        if max_length < 2 or batch_size < 1:
            raise ConfigError(
                f"need max_length >= 2 and batch_size >= 1, got {max_length=}, {batch_size=}"
            )
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def load(cls, name: str = DEFAULT_ENCODER, **options: Any) -> SentenceEncoder:
        """Resolve and load an encoder by name (offline-first), once per process and name.

        Args:
            name: A catalogue alias, store name, directory or Hub id.
            **options: ``max_length``, ``batch_size``.

        Raises:
            ModelNotFoundError: The name resolves nowhere.
        """
        model, tokenizer = _load(name)
        return cls(model, tokenizer, **options)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``.

        Returns:
            ``[len(texts), hidden]`` float32 vectors of unit length.

        Raises:
            DataError: ``texts`` is empty.
        """
        import torch

        if not len(texts):
            raise DataError("no texts to embed")
        chunks = []
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), self.batch_size):
                    chunks.append(self._encode_batch(list(texts[start : start + self.batch_size])))
        finally:
            self.model.train(was_training)
        return np.concatenate(chunks)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        device = next(self.model.parameters()).device
        batch = self.tokenizer(
            texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt"
        )
        batch = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)
        return torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy()


@functools.lru_cache(maxsize=2)
def _load(name: str) -> tuple[Any, Any]:
    from open_interpreter.models.loading import load_backbone, load_tokenizer
    from open_interpreter.models.resolve import resolve_model, resolve_tokenizer

    model = load_backbone(resolve_model(name).path)
    return model, load_tokenizer(resolve_tokenizer(name).path)


def label_prototypes(
    encoder: SentenceEncoder, descriptions: Mapping[str, str | Sequence[str]]
) -> np.ndarray:
    """One unit vector per label: the mean embedding of its description(s).

    Args:
        encoder: The sentence encoder.
        descriptions: Label → a description, or several.

    Returns:
        ``[labels, hidden]``, in the mapping's order.

    Raises:
        ConfigError: No labels, or a label without a non-blank description.
    """
    if not descriptions:
        raise ConfigError("embedding zero-shot needs at least one label description")
    texts, owners = [], []
    for index, (label, value) in enumerate(descriptions.items()):
        items = [value] if isinstance(value, str) else list(value)
        if not items or any(not isinstance(t, str) or not t.strip() for t in items):
            raise ConfigError(f"label {label!r} needs a non-blank description, got {value!r}")
        texts += items
        owners += [index] * len(items)
    vectors = encoder.encode(texts)
    prototypes = np.stack(
        [vectors[np.array(owners) == i].mean(axis=0) for i in range(len(descriptions))]
    )
    return prototypes / np.linalg.norm(prototypes, axis=1, keepdims=True)


def embedding_zero_shot(
    encoder: SentenceEncoder,
    texts: Sequence[str],
    descriptions: Mapping[str, str | Sequence[str]],
    *,
    temperature: float = DEFAULT_TEMPERATURE,
) -> np.ndarray:
    """Label distributions from the cosine similarity of each text to each label's description.

    Args:
        encoder: The sentence encoder.
        texts: The texts to classify.
        descriptions: Label → description(s); the labels' order is the columns' order.
        temperature: Softmax temperature over the similarities (lower: more peaked).

    Returns:
        ``[len(texts), labels]`` distributions.

    Raises:
        ConfigError: ``temperature`` is not positive, or a description is blank.
        DataError: ``texts`` is empty.
    """
    if temperature <= 0:
        raise ConfigError(f"temperature must be positive, got {temperature=}")
    prototypes = label_prototypes(encoder, descriptions)
    similarities = encoder.encode(texts) @ prototypes.T
    return softmax(similarities / temperature)
