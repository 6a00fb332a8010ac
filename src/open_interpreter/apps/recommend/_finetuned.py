"""The hybrid whose item tower fine-tunes the encoder itself (``hybrid-ft``).

:class:`FineTunedTwoTower` trains in two stages on the same seeded stream of batches:

1. the hybrid's own training (:class:`~._content.TwoTower`): the encoder's vectors stay
   fixed while the user vectors, the low-rank update and the per-item corrections learn
   from the interactions with in-batch negatives;
2. the encoder's top ``unfrozen_layers`` transformer layers are unfrozen and trained with
   the towers for ``encoder_steps`` more steps: each batch's items are read again by the
   encoder (titles, years and genres, at most ``max_length`` sub-words), so the loss
   reaches the encoder's weights. The layers below stay frozen, and their output for
   every item is computed once, so a step runs only the unfrozen layers. The in-batch
   negatives are live; the uniform extra negatives use a table of every item's tuned
   vector, refreshed every ``refresh_every`` steps and at the end (the final item tower).

The encoder's optimiser and learning-rate schedule are the platform's
(:func:`~open_interpreter.training.optim.build_optimizer` and ``build_schedule`` with a
:class:`~open_interpreter.config.FineTuneConfig`: AdamW with no decay on norms and biases,
linear warm-up over 10% of the steps then linear decay, gradients clipped to norm 1); the
towers keep their own AdamW. The encoder is copied before it is changed: the one the
process shares stays as it was. Saved like the hybrid (user and item vectors), so serving
costs the same.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from open_interpreter.apps.recommend._content import TwoTower
from open_interpreter.apps.recommend._data import Interactions, ItemText
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting.embeddings import DEFAULT_ENCODER, SentenceEncoder


class FineTunedTwoTower(TwoTower):
    """The hybrid, then its item tower's encoder fine-tuned on the interactions.

    Args:
        encoder: The sentence encoder, or its name.
        item_embeddings: Precomputed item vectors for the first stage (skips encoding).
        encoder_steps: Steps of the second stage (the encoder's top layers unfrozen).
        encoder_batch_size: Interactions per second-stage step (each of its items is read
            by the encoder, so this sets a step's cost).
        unfrozen_layers: How many of the encoder's top layers train; 0 runs the second
            stage with the encoder frozen (the same steps and batches, the towers alone: the
            control that tells the encoder's share of a gain from more training).
        encoder_learning_rate: Peak learning rate of the encoder's layers.
        max_length: Sub-words of an item's text the encoder reads.
        refresh_every: Steps between recomputing every item's tuned vector (the extra
            negatives' table).
        **options: The hybrid's settings (``epochs``, ``batch_size``, ...).

    After fitting, ``encoder_seconds`` is the second stage's time and ``encoder_shift``
    how far it moved the encoder's item vectors (mean 1 - cosine, before against after).
    """

    kind = "hybrid-ft"

    def __init__(
        self,
        encoder: str | SentenceEncoder = DEFAULT_ENCODER,
        item_embeddings: np.ndarray | None = None,
        *,
        encoder_steps: int = 100,
        encoder_batch_size: int = 128,
        unfrozen_layers: int = 1,
        encoder_learning_rate: float = 5e-5,
        max_length: int = 48,
        refresh_every: int = 100,
        **options: Any,
    ) -> None:
        super().__init__(encoder, item_embeddings, **options)
        if (
            encoder_steps < 1
            or encoder_batch_size < 2
            or unfrozen_layers < 0
            or max_length < 4
            or refresh_every < 1
        ):
            raise ConfigError(
                "need encoder_steps >= 1, encoder_batch_size >= 2, unfrozen_layers >= 0, "
                f"max_length >= 4 and refresh_every >= 1, got {encoder_steps=}, "
                f"{encoder_batch_size=}, {unfrozen_layers=}, {max_length=}, {refresh_every=}"
            )
        if encoder_learning_rate <= 0:
            raise ConfigError(f"encoder_learning_rate must be > 0, got {encoder_learning_rate}")
        self.encoder_steps, self.unfrozen_layers = encoder_steps, unfrozen_layers
        self.encoder_batch_size = encoder_batch_size
        self.encoder_learning_rate, self.max_length = encoder_learning_rate, max_length
        self.refresh_every = refresh_every
        self.encoder_seconds = 0.0
        self.encoder_shift = 0.0

    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None:
        import time

        import torch

        from open_interpreter.config import FineTuneConfig
        from open_interpreter.training.optim import build_optimizer, build_schedule

        if item_text is None:
            raise DataError("the hybrid-ft model needs the items' text to fine-tune its encoder")
        towers, steps = self._train_towers(train, item_text, seed)
        started = time.perf_counter()
        if not self.unfrozen_layers:
            self._train_frozen(towers, steps)
            self.encoder_seconds = time.perf_counter() - started
            with torch.no_grad():
                self.user_tower = towers.users().numpy()
                self.item_tower = towers.items(torch.arange(train.n_items)).numpy()
            return
        reader = _ItemReader(
            self._encoder(), item_text.texts(), self.unfrozen_layers, self.max_length
        )
        config = FineTuneConfig(
            learning_rate=self.encoder_learning_rate,
            max_steps=self.encoder_steps,
            freeze="top-n",
            trainable_top_layers=self.unfrozen_layers,
        )
        encoder_optimizer = build_optimizer(reader.top, config)
        schedule = build_schedule(encoder_optimizer, config, self.encoder_steps)
        tower_optimizer = torch.optim.AdamW(
            towers.parameters(), lr=self.learning_rate, weight_decay=0.0
        )
        before = reader.all_vectors()
        done = 0
        while done < self.encoder_steps:
            for users, items in steps.epoch(self.encoder_batch_size):
                if done % self.refresh_every == 0:
                    towers.text.copy_(before if done == 0 else reader.all_vectors())
                unique, inverse = torch.unique(items, return_inverse=True)
                text = reader.vectors(unique)[inverse]
                loss = self._batch_loss(towers, users, items, steps.warm, steps.log_q, text)
                encoder_optimizer.zero_grad()
                tower_optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(reader.top.parameters(), config.max_grad_norm)
                encoder_optimizer.step()
                tower_optimizer.step()
                schedule.step()
                done += 1
                if done == self.encoder_steps:
                    break
        with torch.no_grad():
            towers.text.copy_(reader.all_vectors())
            # how far fine-tuning moved the encoder's item vectors: mean 1 - cosine
            self.encoder_shift = float(1 - (towers.text * before).sum(1).mean())
            self.user_tower = towers.users().numpy()
            self.item_tower = towers.items(torch.arange(train.n_items)).numpy()
        self.encoder_seconds = time.perf_counter() - started

    def _train_frozen(self, towers: Any, steps: Any) -> None:
        """The second stage's steps with the encoder frozen (``unfrozen_layers=0``)."""
        import torch

        optimizer = torch.optim.AdamW(towers.parameters(), lr=self.learning_rate, weight_decay=0.0)
        done = 0
        while done < self.encoder_steps:
            for users, items in steps.epoch(self.encoder_batch_size):
                loss = self._batch_loss(towers, users, items, steps.warm, steps.log_q)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                done += 1
                if done == self.encoder_steps:
                    break

    def _encoder(self) -> SentenceEncoder:
        if isinstance(self.encoder, str):
            return SentenceEncoder.load(self.encoder)
        return self.encoder

    def _config(self) -> dict[str, Any]:
        return {
            **super()._config(),
            "encoder_steps": self.encoder_steps,
            "encoder_batch_size": self.encoder_batch_size,
            "unfrozen_layers": self.unfrozen_layers,
            "encoder_learning_rate": self.encoder_learning_rate,
            "max_length": self.max_length,
            "refresh_every": self.refresh_every,
        }


class _ItemReader:
    """Every item's text through the frozen lower layers once; the top layers live.

    Args:
        encoder: A BERT-style sentence encoder (``embeddings`` and ``encoder.layer``).
        texts: One text per catalogue item.
        unfrozen_layers: How many top layers to copy and train.
        max_length: Sub-words read per text.
    """

    def __init__(
        self, encoder: SentenceEncoder, texts: list[str], unfrozen_layers: int, max_length: int
    ) -> None:
        import torch

        model = encoder.model
        layers = getattr(getattr(model, "encoder", None), "layer", None)
        if getattr(model, "embeddings", None) is None or not isinstance(
            layers, torch.nn.ModuleList
        ):
            raise ConfigError(
                f"hybrid-ft fine-tunes BERT-style encoders; {type(model).__name__} has no "
                "embeddings and encoder.layer"
            )
        if unfrozen_layers > len(layers):
            raise ConfigError(
                f"unfrozen_layers={unfrozen_layers} but the encoder has {len(layers)} layers"
            )
        key = (id(model), hash(tuple(texts)), unfrozen_layers, max_length)
        if _FROZEN.get("key") != key:
            _FROZEN.clear()
            _FROZEN.update(
                key=key, value=_frozen_output(encoder, texts, unfrozen_layers, max_length)
            )
        self.hidden, self.mask = _FROZEN["value"]
        self.lengths = self.mask.sum(1)
        self.top = torch.nn.ModuleList(
            copy.deepcopy(layer) for layer in layers[len(layers) - unfrozen_layers :]
        )
        self.top.train()

    def vectors(self, items: Any) -> Any:
        """Unit mean-pooled vectors of ``items`` from the live top layers (with gradients)."""
        import torch

        width = int(self.lengths[items].max())
        mask = self.mask[items, :width]
        hidden = self.hidden[items, :width]
        for layer in self.top:
            hidden = _run(layer, hidden, mask)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp_min(1.0)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def all_vectors(self) -> Any:
        """Every item's tuned vector (no gradients, dropout off)."""
        import torch

        self.top.eval()
        try:
            with torch.no_grad():
                index = torch.arange(len(self.hidden))
                return torch.cat([self.vectors(part) for part in index.split(256)])
        finally:
            self.top.train()


_FROZEN: dict[str, Any] = {}
"""The last catalogue's frozen-layer output, kept in the process: a benchmark or job fits
twice (the evaluation fit, then the final one) on the same texts."""


def _frozen_output(
    encoder: SentenceEncoder, texts: list[str], unfrozen_layers: int, max_length: int
) -> tuple[Any, Any]:
    """``(hidden, mask)``: every text through the layers below the unfrozen ones."""
    import torch

    model = encoder.model
    layers = model.encoder.layer
    tokens = encoder.tokenizer(
        texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    mask = tokens["attention_mask"]
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for start in range(0, len(texts), 256):
                part = slice(start, start + 256)
                hidden = model.embeddings(input_ids=tokens["input_ids"][part])
                for layer in layers[: len(layers) - unfrozen_layers]:
                    hidden = _run(layer, hidden, mask[part])
                chunks.append(hidden)
    finally:
        model.train(was_training)
    return torch.cat(chunks), mask


def _run(layer: Any, hidden: Any, mask: Any) -> Any:
    """One transformer layer over ``hidden`` with padding masked out (additive mask)."""
    import torch

    additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
    out = layer(hidden, attention_mask=additive)
    return out[0] if isinstance(out, tuple) else out
