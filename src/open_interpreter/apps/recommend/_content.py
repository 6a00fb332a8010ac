"""Recommenders that read the items' text: content similarity, and the hybrid two-tower.

Both start from the platform's sentence encoder
(:class:`~open_interpreter.prompting.embeddings.SentenceEncoder`, ``minilm-l6`` by default):
each item's text (title, year, genres) becomes a unit vector.

- :class:`ContentModel` ranks items by cosine similarity to the mean of the user's
  history — no training, so it ranks brand-new items as readily as old ones.
- :class:`TwoTower` (``hybrid``) learns from the interactions while keeping the text:
  its item tower is the encoder's vector plus a learned low-rank update of it (zero at
  the start, LoRA's form) plus a per-item correction learned from clicks (started at
  zero); its user tower is a vector per user started at the mean of their history's text
  vectors. The encoder's own weights stay frozen (its vectors are computed once). It is trained
  with in-batch negatives (a softmax over the batch's items, with the popularity
  ``log Q`` correction) plus uniformly drawn negatives (mixed negative sampling). An
  item with text and no clicks keeps a zero correction, so it is scored by its text
  alone; ``content_dropout`` trains that path by dropping the correction of a share of
  the batch's items.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.apps.recommend._data import Interactions, ItemText
from open_interpreter.apps.recommend._models import RecommenderModel
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting.embeddings import DEFAULT_ENCODER, SentenceEncoder


def embed_items(
    item_text: ItemText,
    encoder: str | SentenceEncoder = DEFAULT_ENCODER,
    *,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """Unit vectors of the items' text from a sentence encoder.

    Args:
        item_text: The items' text, one entry per catalogue item.
        encoder: An encoder, or the name to load one by (offline-first).
        cache_dir: Keep the vectors here, keyed by the encoder's name and the texts, and
            reuse them (only for an encoder given by name).

    Returns:
        ``[items, hidden]`` float32.
    """
    texts = item_text.texts()
    cached = None
    if cache_dir is not None and isinstance(encoder, str):
        key = hashlib.sha256(json.dumps([encoder, texts]).encode()).hexdigest()[:24]
        cached = Path(cache_dir) / f"{key}.npy"
        if cached.is_file():
            return np.load(cached)
    if isinstance(encoder, str):
        encoder = SentenceEncoder.load(encoder)
    vectors = encoder.encode(texts)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, vectors)
    return vectors


class _TextModel(RecommenderModel):
    """Shared by the models that need item vectors from the encoder."""

    def __init__(
        self,
        encoder: str | SentenceEncoder = DEFAULT_ENCODER,
        item_embeddings: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.base_model = encoder if isinstance(encoder, str) else "custom-encoder"
        self.item_embeddings = item_embeddings

    def _embeddings(self, train: Interactions, item_text: ItemText | None) -> np.ndarray:
        if self.item_embeddings is None:
            if item_text is None:
                raise DataError(f"the {self.kind} model needs the items' text to fit")
            self.item_embeddings = embed_items(item_text, self.encoder)
        if len(self.item_embeddings) != train.n_items:
            raise DataError(
                f"got {len(self.item_embeddings)} item vectors for {train.n_items} catalogue items"
            )
        return np.asarray(self.item_embeddings, dtype=np.float32)

    def _config(self) -> dict[str, Any]:
        return {"encoder": self.base_model}


class ContentModel(_TextModel):
    """Items ranked by cosine similarity of their text to the mean of the user's history.

    Args:
        encoder: The sentence encoder, or its name.
        item_embeddings: Precomputed item vectors (skips the encoder).
    """

    kind = "content"

    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None:
        self.item_embeddings = self._embeddings(train, item_text)

    def user_vectors(self, users: np.ndarray) -> np.ndarray:
        """The unit mean of each user's history's item vectors."""
        mean = np.asarray(self._fitted_history()[users] @ self.item_embeddings)
        return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)

    def score(self, users: np.ndarray) -> np.ndarray:
        return (self.user_vectors(users) @ self.item_embeddings.T).astype(np.float32)

    def item_vectors(self) -> np.ndarray:
        return self.item_embeddings

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_embeddings": self.item_embeddings}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.item_embeddings = state["item_embeddings"]


class TwoTower(_TextModel):
    """The hybrid: a two-tower model whose item tower starts from the encoder's vectors.

    Args:
        encoder: The sentence encoder, or its name.
        item_embeddings: Precomputed item vectors (skips the encoder).
        epochs: Passes over the training interactions.
        batch_size: Interactions per step; the batch's items are each other's negatives.
        extra_negatives: Items drawn uniformly (from those seen in training) per step.
        temperature: Divides the cosine scores before the softmax.
        learning_rate: AdamW's step size.
        content_dropout: Share of the batch's items scored by their text alone.
        adapter_rank: Rank of the learned update of the encoder's item vectors.
    """

    kind = "hybrid"

    def __init__(
        self,
        encoder: str | SentenceEncoder = DEFAULT_ENCODER,
        item_embeddings: np.ndarray | None = None,
        *,
        epochs: int = 8,
        batch_size: int = 512,
        extra_negatives: int = 256,
        temperature: float = 0.05,
        learning_rate: float = 1e-3,
        content_dropout: float = 0.2,
        adapter_rank: int = 32,
    ) -> None:
        super().__init__(encoder, item_embeddings)
        if epochs < 1 or batch_size < 2 or extra_negatives < 0 or temperature <= 0:
            raise ConfigError(
                f"need epochs >= 1, batch_size >= 2, extra_negatives >= 0, temperature > 0, "
                f"got {epochs=}, {batch_size=}, {extra_negatives=}, {temperature=}"
            )
        if not 0 <= content_dropout < 1 or learning_rate <= 0:
            raise ConfigError(f"need 0 <= content_dropout < 1, got {content_dropout=}")
        self.epochs, self.batch_size, self.extra_negatives = epochs, batch_size, extra_negatives
        self.temperature, self.learning_rate = temperature, learning_rate
        self.content_dropout = content_dropout
        if adapter_rank < 1:
            raise ConfigError(f"adapter_rank must be at least 1, got {adapter_rank=}")
        self.adapter_rank = adapter_rank

    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None:
        import torch

        towers, _ = self._train_towers(train, item_text, seed)
        with torch.no_grad():
            self.user_tower = towers.users().numpy()
            self.item_tower = towers.items(torch.arange(train.n_items)).numpy()

    def _train_towers(
        self, train: Interactions, item_text: ItemText | None, seed: int
    ) -> tuple[Any, _Steps]:
        """Train the towers over the encoder's fixed vectors for ``epochs``.

        Returns:
            The towers' module and what a further training stage needs to go on.
        """
        import torch

        torch.manual_seed(seed)
        text = torch.from_numpy(self._embeddings(train, item_text))
        history = self._fitted_history()
        towers = _build_towers(text, np.asarray(history @ text.numpy()), self.adapter_rank)
        counts = np.asarray(history.sum(axis=0)).ravel()
        log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / counts.sum())).float()
        warm = torch.from_numpy(np.flatnonzero(counts > 0))
        optimizer = torch.optim.AdamW(towers.parameters(), lr=self.learning_rate, weight_decay=0.0)
        steps = _Steps(
            torch.from_numpy(train.user_index),
            torch.from_numpy(train.item_index),
            warm,
            log_q,
            torch.Generator().manual_seed(seed),
        )
        for _ in range(self.epochs):
            for users, items in steps.epoch(self.batch_size):
                loss = self._batch_loss(towers, users, items, warm, log_q)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return towers, steps

    def _batch_loss(
        self, towers: Any, users: Any, items: Any, warm: Any, log_q: Any, text: Any = None
    ) -> Any:
        """In-batch softmax (log Q corrected) plus uniform extra negatives.

        ``text`` (``[len(items), hidden]``) replaces the batch items' fixed encoder vectors
        (the fine-tuned hybrid passes its live encoder's output, with gradients).
        """
        import torch

        keep = torch.rand(len(items)) >= self.content_dropout
        user_vectors = towers.users(users)
        logits = user_vectors @ towers.items(items, keep, text).T / self.temperature
        # in-batch negatives: sampled in proportion to popularity, so correct by log Q;
        # a batch item equal to the row's own item is not a negative
        logits = logits - log_q[items][None, :] - np.log(len(items))
        logits = logits.masked_fill(
            (items[None, :] == items[:, None]) & ~torch.eye(len(items), dtype=torch.bool),
            float("-inf"),
        )
        if self.extra_negatives:
            drawn = warm[torch.randint(0, len(warm), (self.extra_negatives,))]
            extra = user_vectors @ towers.items(drawn).T / self.temperature
            extra = extra - float(np.log(self.extra_negatives / len(warm)))
            logits = torch.cat([logits, extra], dim=1)
        return torch.nn.functional.cross_entropy(logits, torch.arange(len(items)))

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.user_tower[users] @ self.item_tower.T

    def item_vectors(self) -> np.ndarray:
        return self.item_tower

    def _config(self) -> dict[str, Any]:
        return {
            **super()._config(),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "extra_negatives": self.extra_negatives,
            "temperature": self.temperature,
            "learning_rate": self.learning_rate,
            "content_dropout": self.content_dropout,
            "adapter_rank": self.adapter_rank,
        }

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_tower": self.user_tower, "item_tower": self.item_tower}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.user_tower = state["user_tower"]
        self.item_tower = state["item_tower"]


class _Steps:
    """The training interactions as shuffled batches, one seeded stream across stages."""

    def __init__(self, users: Any, items: Any, warm: Any, log_q: Any, generator: Any) -> None:
        self.users, self.items, self.warm, self.log_q = users, items, warm, log_q
        self.generator = generator

    def epoch(self, batch_size: int) -> Any:
        """``(users, items)`` index tensors of each batch of one shuffled pass."""
        import torch

        for batch in torch.randperm(len(self.users), generator=self.generator).split(batch_size):
            yield self.users[batch], self.items[batch]


def _towers_module() -> type:
    import torch

    class Towers(torch.nn.Module):
        def __init__(
            self, text: torch.Tensor, history_sums: Sequence[Sequence[float]], rank: int
        ) -> None:
            super().__init__()
            self.register_buffer("text", text)
            width = text.shape[1]
            # text + text·down·up: a low-rank update of the encoder's vectors (LoRA's form),
            # the identity at the start since `up` starts at zero
            self.down = torch.nn.Linear(width, rank, bias=False)
            self.up = torch.nn.Linear(rank, width)
            torch.nn.init.zeros_(self.up.weight)
            torch.nn.init.zeros_(self.up.bias)
            self.correction = torch.nn.Embedding(text.shape[0], width)
            torch.nn.init.zeros_(self.correction.weight)
            start = torch.nn.functional.normalize(torch.as_tensor(history_sums).float(), dim=-1)
            self.user = torch.nn.Parameter(start)

        def users(self, index: torch.Tensor | None = None) -> torch.Tensor:
            vectors = self.user if index is None else self.user[index]
            return torch.nn.functional.normalize(vectors, dim=-1)

        def items(
            self,
            index: torch.Tensor,
            keep: torch.Tensor | None = None,
            text: torch.Tensor | None = None,
        ) -> torch.Tensor:
            correction = self.correction(index)
            if keep is not None:
                correction = correction * keep[:, None]
            text = self.text[index] if text is None else text
            return torch.nn.functional.normalize(
                text + self.up(self.down(text)) + correction, dim=-1
            )

    return Towers


def _build_towers(text: Any, history_sums: Any, rank: int) -> Any:
    """The two towers' torch module (torch is imported only when a model trains)."""
    return _towers_module()(text, history_sums, rank)
