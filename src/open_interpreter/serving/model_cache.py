"""Loaded models, kept within a memory budget; each loaded once even under concurrent requests.

A model is keyed by its directory. The first request for it loads it while later ones for
the same key wait on the same lock (single flight); when the budget is exceeded the least
recently used models are dropped. Every model gets its own :class:`Batcher`, which is the
only place its forward passes run.

Adapters (LoRA, QLoRA, IA3) share their base: the first adapter that names a base model
loads it, and every other adapter naming the same base (with the same head class and
method) is put on that model as a named ``peft`` adapter with its own head and labels.
The base's bytes count once and each adapter adds its own. All adapters on a base go
through the base's one batcher, which switches adapters between forward passes. An
evicted adapter is taken off the base; the base goes with its last adapter.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.serving.batcher import AdapterBatcher, Batcher

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from open_interpreter.services.models import ModelSource
    from open_interpreter.serving.settings import Settings

logger = logging.getLogger(__name__)

EXPORT_RECHECK_S = 10.0
"""Most seconds the ONNX backend goes without looking for a version's newer export."""

SHARED_METHODS = frozenset({"lora", "qlora", "ia3"})
"""Adapter methods served on a shared base (virtual-token methods load on their own)."""


@dataclass
class LoadedModel:
    """A loaded interpreter, its size in bytes and its batcher.

    For an adapter on a shared base, ``size_bytes`` is the adapter's own (its layers and
    head), ``base`` the key of the base and ``adapter`` its name there.
    """

    key: str
    interpreter: Any
    size_bytes: int
    batcher: Batcher | AdapterBatcher
    base: str | None = None
    adapter: str | None = None
    backend: str = "torch"
    """What computes its forward passes: ``torch``, ``onnx-fp32`` or ``onnx-int8``."""


@dataclass
class SharedBase:
    """A base model loaded once for the adapters that name it."""

    key: str
    name: str
    model: Any
    size_bytes: int
    batcher: Batcher
    adapters: dict[str, str] = field(default_factory=dict)
    """Adapter name on this base, per model key (including adapters still being attached)."""


def model_bytes(interpreter: Any) -> int:
    """Bytes held by a model's parameters and buffers."""
    return _tensor_bytes(interpreter.model)


def _tensor_bytes(model: Any) -> int:
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


class ModelCache:
    """An LRU of loaded models under a byte budget.

    Args:
        budget_bytes: Most bytes of weights kept loaded (one model over budget still loads).
        batch_wait_ms: Passed to each model's batcher.
        max_batch_size: Passed to each model's batcher.
        torch_threads: Intra-op threads of each model's thread (None: torch's default);
            ONNX Runtime's threads for an export.
        max_wait_s: Passed to each model's batcher (None: no limit).
        backend: What :meth:`get_predictor` serves predictions with: ``torch``, or
            ``onnx`` (a version's stored ONNX export where it has one, else torch).
        onnx_precision: The export the ONNX backend takes: ``int8``, ``fp32``, or None for
            int8 where kept, else fp32.

    Attributes:
        loads: Whole models read from disk (a shared base counts once).
        adapter_loads: Adapters put on a shared base.
    """

    def __init__(
        self,
        budget_bytes: int,
        *,
        batch_wait_ms: float,
        max_batch_size: int,
        torch_threads: int | None = None,
        max_wait_s: float | None = None,
        backend: str = "torch",
        onnx_precision: str | None = None,
    ):
        self.budget = budget_bytes
        self.batch_wait_ms = batch_wait_ms
        self.max_batch_size = max_batch_size
        self.torch_threads = torch_threads
        self.max_wait_s = max_wait_s
        self.backend = backend
        self.onnx_precision = onnx_precision
        self._predictor_keys: dict[str, tuple[str, float]] = {}
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._bases: dict[str, SharedBase] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._adapter_ids = itertools.count(1)
        self.loads = 0
        self.adapter_loads = 0

    def loaded(self, path: Path) -> LoadedModel | None:
        """The model for ``path`` if it is loaded now (marked as just used), else None.

        Never loads, so it may be called on the event loop.
        """
        key = str(path)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        return None

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

    def loaded_predictor(self, path: Path) -> LoadedModel | None:
        """What :meth:`get_predictor` would answer for ``path``, if loaded now; never loads.

        With the ONNX backend, which export a version has is looked up again at most every
        :data:`EXPORT_RECHECK_S` seconds (here None sends the caller to the slow path), so
        an export stored by any process is served within that time.
        """
        key = str(path)
        if self.backend == "onnx":
            known = self._predictor_keys.get(key)
            if known is None or time.monotonic() - known[1] > EXPORT_RECHECK_S:
                return None
            key = known[0]
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        return None

    def get_predictor(self, path: Path) -> LoadedModel:
        """The model that predicts for the version in ``path``: with the ONNX backend its
        stored export (int8 first, or ``onnx_precision``) where it has one, else the
        PyTorch model. Explanations, evaluations and generation always use :meth:`get`.
        Call from a thread."""
        key = str(path)
        if self.backend == "onnx":
            from open_interpreter.services.exports import preferred_export

            export = preferred_export(path, self.onnx_precision)
            if export is not None:
                key = f"onnx:{export.path}"
            self._predictor_keys[str(path)] = (key, time.monotonic())
        return self.get(Path(key))

    def get_pretrained(self, path: Path) -> LoadedModel:
        """The pretrained generative model in directory ``path`` (as a name resolved to it),
        loaded once."""
        return self.get(Path(f"pretrained:{path}"))

    def _load(self, key: str, path: Path) -> LoadedModel:
        from open_interpreter.bundle import ModelBundle, read_manifest
        from open_interpreter.interpreter import OpenInterpreter

        if key.startswith("onnx:"):
            return self._load_export(key, Path(key.removeprefix("onnx:")))
        if key.startswith("pretrained:"):
            bundle = ModelBundle(model_name=key.removeprefix("pretrained:"))
            bundle.ensure_language_model()
        elif (manifest := read_manifest(path)).get("adapter", {}).get("method") in SHARED_METHODS:
            return self._load_adapter(key, path, manifest)
        else:
            bundle = ModelBundle.load(path)
        interpreter = OpenInterpreter.from_bundle(bundle)
        self.loads += 1
        size = model_bytes(interpreter)
        logger.info("loaded model %s (%.1f MB)", path, size / 1e6)
        batcher = self._batcher(interpreter)
        return LoadedModel(key, interpreter, size, batcher)

    def _load_export(self, key: str, path: Path) -> LoadedModel:
        from open_interpreter.export import OnnxModel

        model = OnnxModel.load(path, threads=self.torch_threads)
        self.loads += 1
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        logger.info("loaded ONNX %s export %s (%.1f MB)", model.precision, path, size / 1e6)
        batcher = self._batcher(model)
        return LoadedModel(key, model, size, batcher, backend=f"onnx-{model.precision}")

    def backends(self) -> dict[str, int]:
        """How many loaded models each backend computes (``torch``, ``onnx-int8``...)."""
        with self._lock:
            counts: dict[str, int] = {}
            for loaded in self._models.values():
                counts[loaded.backend] = counts.get(loaded.backend, 0) + 1
            return counts

    def _load_adapter(self, key: str, path: Path, manifest: dict[str, Any]) -> LoadedModel:
        """Put the adapter saved in ``path`` on its shared base (loading the base once)."""
        from open_interpreter.bundle import ModelBundle
        from open_interpreter.interpreter import OpenInterpreter

        bundle = ModelBundle.sharing(path, None)  # the model comes below
        interpreter = OpenInterpreter.from_bundle(bundle)
        remote = interpreter.config.trust_remote_code
        base, name = self._reserve(key, manifest, trust_remote_code=remote)
        try:
            size = base.batcher.executor.submit(_attach, base, path, name).result()
        except BaseException:
            with self._lock:
                base.adapters.pop(key, None)
                if not base.adapters:
                    self._drop_base(base)
            raise
        interpreter.model = base.model
        self.adapter_loads += 1
        logger.info("put adapter %s on %s as %r (%.2f MB)", path, base.name, name, size / 1e6)
        batcher = base.batcher.for_adapter(interpreter, name)
        return LoadedModel(key, interpreter, size, batcher, base=base.key, adapter=name)

    def _reserve(
        self, key: str, manifest: dict[str, Any], *, trust_remote_code: bool
    ) -> tuple[SharedBase, str]:
        """The shared base for the adapter ``manifest`` describes, loaded once, with a name
        kept for the adapter.

        The name is kept under the cache lock, so the base cannot be dropped before the
        adapter is on it.
        """
        from open_interpreter.bundle import load_base
        from open_interpreter.models.resolve import resolve_model

        adapter = manifest["adapter"]
        weights = Path(resolve_model(adapter["base_model"]).path).resolve()
        base_key = f"{adapter['method']}:{manifest['auto_class']}:{trust_remote_code}:{weights}"
        loading_key = f"base:{base_key}"
        with self._lock:
            if base_key in self._bases:
                return self._bases[base_key], self._name_adapter(self._bases[base_key], key)
            loading = self._loading.setdefault(loading_key, threading.Lock())
        with loading:
            with self._lock:
                if base_key in self._bases:
                    return self._bases[base_key], self._name_adapter(self._bases[base_key], key)
            model = load_base(manifest, trust_remote_code=trust_remote_code)
            self.loads += 1
            size = _tensor_bytes(model)
            logger.info("loaded base %s for adapters (%.1f MB)", weights, size / 1e6)
            batcher = self._batcher(None)
            base = SharedBase(base_key, adapter["base_model"], model, size, batcher)
            with self._lock:
                self._bases[base_key] = base
                self._loading.pop(loading_key, None)
                return base, self._name_adapter(base, key)

    def _batcher(self, interpreter: Any) -> Batcher:
        return Batcher(
            interpreter,
            wait_ms=self.batch_wait_ms,
            max_batch=self.max_batch_size,
            threads=self.torch_threads,
            max_wait_s=self.max_wait_s,
        )

    def _name_adapter(self, base: SharedBase, key: str) -> str:
        name = f"adapter-{next(self._adapter_ids)}"
        base.adapters[key] = name
        return name

    def _evict(self) -> None:
        while len(self._models) > 1 and self.total_bytes() > self.budget:
            key, old = self._models.popitem(last=False)
            logger.info("evicted model %s to stay within the memory budget", key)
            if old.base is None:
                old.batcher.close()
                continue
            base = self._bases[old.base]
            base.adapters.pop(key, None)
            if not base.adapters:
                self._drop_base(base)
            else:  # after the forward passes already queued on the base
                base.batcher.executor.submit(_detach, base, old.adapter)

    def _drop_base(self, base: SharedBase) -> None:
        """Drop a shared base that no adapter uses any more. Hold the cache lock."""
        self._bases.pop(base.key, None)
        base.batcher.close()
        logger.info("dropped base %s", base.name)

    def total_bytes(self) -> int:
        """Bytes held by the loaded models (a shared base once, plus each adapter)."""
        models = sum(m.size_bytes for m in self._models.values())
        return models + sum(b.size_bytes for b in self._bases.values())

    def shared_bases(self) -> dict[str, int]:
        """Adapters loaded per shared base, by the base model's name."""
        with self._lock:
            counts: dict[str, int] = {}
            for base in self._bases.values():
                counts[base.name] = counts.get(base.name, 0) + len(base.adapters)
            return counts

    def __len__(self) -> int:
        return len(self._models)

    def close(self) -> None:
        """Drop every model."""
        with self._lock:
            for model in self._models.values():
                model.batcher.close()
            for base in self._bases.values():
                base.batcher.close()
            self._models.clear()
            self._bases.clear()


async def find_named(settings: Settings, session: Session, name: str) -> ModelSource:
    """Where the model ``name`` from an API client leads (a registered model's production
    version, or a saved or pretrained model where the server lets a client's name reach:
    :func:`open_interpreter.services.models.find_model` with ``server_reach``), looked up
    off the event loop, without loading it. ``session`` is closed in the same thread (it
    may be used again): a connection held while the request waits for another thread
    could leave every thread waiting for a connection (``tests/serving/test_event_loop.py``).

    Raises:
        NotFoundError: ``name`` is registered but has no version to serve, or is neither
            registered nor a name this server serves (never a directory; the Hugging Face
            cache and Hub only with ``settings.allow_hub``).
    """
    from fastapi.concurrency import run_in_threadpool

    from open_interpreter.services.models import find_model, server_reach

    reach = server_reach(
        allow_hub=settings.allow_hub, max_hub_bytes=settings.max_hub_download_bytes
    )

    def find() -> ModelSource:
        try:
            return find_model(name, session=session, reach=reach)
        finally:
            session.close()

    return await run_in_threadpool(find)


async def load_named(
    cache: ModelCache, settings: Settings, session: Session, name: str
) -> LoadedModel:
    """The model ``name`` from an API client means (see :func:`find_named`), loaded off the
    event loop. ``session`` is closed before loading: the request needs no database
    connection while a model loads and runs.

    Raises:
        NotFoundError: As :func:`find_named`.
        ModelNotFoundError: A registered adapter's base model cannot be found.
    """
    from fastapi.concurrency import run_in_threadpool

    source = await find_named(settings, session, name)
    if source.saved:
        return await run_in_threadpool(cache.get, source.path)
    # By the directory found, so loading cannot resolve the name again somewhere else.
    return await run_in_threadpool(cache.get_pretrained, source.path)


def _attach(base: SharedBase, path: Path, name: str) -> int:
    """Put the adapter in ``path`` on ``base`` as ``name``; its bytes. On the base's thread."""
    from open_interpreter.peft import load_adapter

    before = _tensor_bytes(base.model)
    base.model = load_adapter(base.model, path, name)
    return _tensor_bytes(base.model) - before


def _detach(base: SharedBase, name: str | None) -> None:
    """Take adapter ``name`` off ``base``. On the base's thread."""
    from open_interpreter.peft import delete_adapter

    if name is not None:
        delete_adapter(base.model, name)
