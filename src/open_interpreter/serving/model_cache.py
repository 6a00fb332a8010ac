"""Loaded models, kept within a memory budget; each loaded once even under concurrent requests.

A model is keyed by its directory. The first request for it loads it while later ones for
the same key wait on the same lock (single flight); when the budget is exceeded the least
recently used models are dropped. Every model gets its own :class:`Batcher`, which is the
only place its forward passes run.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from open_interpreter.serving.batcher import Batcher

logger = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A loaded interpreter, its size in bytes and its batcher."""

    key: str
    interpreter: Any
    size_bytes: int
    batcher: Batcher


def model_bytes(interpreter: Any) -> int:
    """Bytes held by a model's parameters and buffers."""
    model = interpreter.model
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


class ModelCache:
    """An LRU of loaded models under a byte budget.

    Args:
        budget_bytes: Most bytes of weights kept loaded (one model over budget still loads).
        batch_wait_ms: Passed to each model's batcher.
        max_batch_size: Passed to each model's batcher.
    """

    def __init__(self, budget_bytes: int, *, batch_wait_ms: float, max_batch_size: int):
        self.budget = budget_bytes
        self.batch_wait_ms = batch_wait_ms
        self.max_batch_size = max_batch_size
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self.loads = 0

    def get(self, path: Path) -> LoadedModel:
        """The loaded model for ``path``, loading it (once) if needed. Call from a thread."""
        key = str(path)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            with self._lock:
                if key in self._models:
                    return self._models[key]
            loaded = self._load(key, path)
            with self._lock:
                self._models[key] = loaded
                self._loading.pop(key, None)
                self._evict()
            return loaded

    def get_pretrained(self, name: str) -> LoadedModel:
        """A pretrained generative model by name (catalogue, model store, Hub), loaded once."""
        return self.get(Path(f"pretrained:{name}"))

    def _load(self, key: str, path: Path) -> LoadedModel:
        from open_interpreter.interpreter import OpenInterpreter

        if key.startswith("pretrained:"):
            interpreter = OpenInterpreter(key.removeprefix("pretrained:"))
            interpreter.load_language_model()
        else:
            interpreter = OpenInterpreter.load(path)
        self.loads += 1
        size = model_bytes(interpreter)
        logger.info("loaded model %s (%.1f MB)", path, size / 1e6)
        batcher = Batcher(interpreter, wait_ms=self.batch_wait_ms, max_batch=self.max_batch_size)
        return LoadedModel(key, interpreter, size, batcher)

    def _evict(self) -> None:
        while len(self._models) > 1 and self.total_bytes() > self.budget:
            key, old = self._models.popitem(last=False)
            old.batcher.close()
            logger.info("evicted model %s to stay within the memory budget", key)

    def total_bytes(self) -> int:
        """Bytes held by the loaded models."""
        return sum(m.size_bytes for m in self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def close(self) -> None:
        """Drop every model."""
        with self._lock:
            for model in self._models.values():
                model.batcher.close()
            self._models.clear()
