"""Dynamic batching: concurrent prediction requests for one model share one forward pass.

Requests queue up while the model is busy; when it is free, everything queued (up to
``max_batch`` texts) goes in the next batch, after waiting at most ``wait_ms`` for
company — only while requests come several at a time (the last batch held more than
one), so a lone client never waits. Forward passes run on the model's own thread, off
the event loop.

Other work on the model's thread (a generation, an evaluation, an explanation) runs one
call at a time. A call that would wait longer than ``max_wait_s`` for the thread, going by
the calls ahead of it and the time recent calls held it, is refused at once (429
``model_busy`` with ``Retry-After``): under more load than the model can answer, clients
hear so in milliseconds instead of waiting until they give up.

A base model shared by several adapters has one batcher, and each adapter reaches it
through its own :class:`Lane`. The active adapter is a flag on the shared model, so a
forward pass only ever holds one adapter's requests: a batch is split by lane, and each
part runs after switching to its adapter, on the one thread that runs everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from open_interpreter.serving.problems import Problem

PACE_WEIGHT = 0.3
"""Weight of the latest call in the running mean of the time a call holds the thread."""


@dataclass(frozen=True, eq=False)
class Lane:
    """Who answers a request: an interpreter and, on a shared base, the adapter it needs."""

    interpreter: Any
    adapter: str | None = None

    def call(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(interpreter)`` with this lane's adapter (and its labels) active.

        Call on the model's thread only: switching changes the shared model.
        """
        if self.adapter is not None:
            from open_interpreter.peft import set_head_labels, use_adapter

            model = self.interpreter.model
            if model.active_adapter != self.adapter:
                use_adapter(model, self.adapter)
            if self.interpreter.labels:
                set_head_labels(model, self.interpreter.labels)
        return fn(self.interpreter)


Item = tuple[Lane, list[Any], asyncio.Future]


class Batcher:
    """Gathers ``predict`` calls for one model into batched forward passes.

    Args:
        interpreter: The model's interpreter; None for a base shared by adapters, which
            is reached only through :meth:`for_adapter`.
        wait_ms: Longest wait for more requests to join a batch.
        max_batch: Most inputs in one batch.
        threads: Intra-op threads of the model's thread (None: torch's default, every core).
        max_wait_s: Longest expected wait for the thread a :meth:`run` call is admitted
            with (None: no limit).
    """

    def __init__(
        self,
        interpreter: Any,
        *,
        wait_ms: float,
        max_batch: int,
        threads: int | None = None,
        max_wait_s: float | None = None,
    ):
        self.interpreter = interpreter
        self.lane = Lane(interpreter)
        self.wait = wait_ms / 1000.0
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.waiting = 0
        """Calls of :meth:`run` and :meth:`stream` queued for the thread or running on it."""
        self.seconds_per_call = 0.0
        """A running mean of how long such a call held the thread."""
        self.executor = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="oi-model",
            initializer=_use_threads,
            initargs=(threads,),
        )
        self._queue: asyncio.Queue[Item] | None = None
        self._task: asyncio.Task | None = None
        self.batches = 0
        self.batched_texts = 0
        self._last_requests = 1

    def for_adapter(self, interpreter: Any, adapter: str) -> AdapterBatcher:
        """The way in for ``interpreter``, which answers with adapter ``adapter`` of this base."""
        return AdapterBatcher(self, Lane(interpreter, adapter))

    async def predict(self, inputs: list[Any], lane: Lane | None = None) -> list[Any]:
        """Predict for ``inputs``, batched with whatever other requests are waiting."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._serve())
        future: asyncio.Future = loop.create_future()
        await self._queue.put((lane or self.lane, inputs, future))
        return await future

    async def run(self, fn: Callable[[Any], Any], lane: Lane | None = None) -> Any:
        """Run ``fn(interpreter)`` on the model's thread (for evaluation, explanation...).

        Raises:
            Problem: 429 ``model_busy`` (with ``retry_after``): the calls ahead would keep
                this one waiting longer than ``max_wait_s``.
        """
        self._admit()
        loop = asyncio.get_running_loop()
        self.waiting += 1
        try:
            return await loop.run_in_executor(self.executor, self._timed, lane or self.lane, fn)
        finally:
            self.waiting -= 1

    def _admit(self) -> None:
        wait = self.waiting * self.seconds_per_call
        if self.max_wait_s is None or wait <= self.max_wait_s:
            return
        raise Problem(
            429,
            "model_busy",
            f"this model has {self.waiting} requests ahead of this one, about {wait:.0f} s "
            f"of work (at most {self.max_wait_s:g} s are queued); retry later",
            retry_after=max(1, math.ceil(wait - self.max_wait_s)),
        )

    def _timed(self, lane: Lane, fn: Callable[[Any], Any]) -> Any:
        """``lane.call(fn)``, noting how long it held the thread. On the model's thread."""
        started = time.perf_counter()
        try:
            return lane.call(fn)
        finally:
            seconds = time.perf_counter() - started
            pace = self.seconds_per_call
            self.seconds_per_call = seconds if not pace else pace + PACE_WEIGHT * (seconds - pace)

    async def stream(self, pieces: Iterator[Any], lane: Lane | None = None) -> AsyncIterator[Any]:
        """Drain ``pieces`` (a lazy generation) on the model's thread, yielding each as it comes.

        The model thread stays busy until the generation ends, so no other adapter is
        switched in while it runs.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()

        def put(last: bool, value: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is reading
                loop.call_soon_threadsafe(queue.put_nowait, (last, value))

        def drain(_: Any) -> None:
            try:
                for piece in pieces:
                    put(False, piece)
            except Exception as exc:  # handed to the reader below
                put(True, exc)
                return
            put(True, None)

        self.waiting += 1
        try:
            done = loop.run_in_executor(self.executor, self._timed, lane or self.lane, drain)
            while True:
                last, value = await queue.get()
                if last:
                    await done
                    if value is not None:
                        raise value
                    return
                yield value
        finally:
            self.waiting -= 1

    async def _serve(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0][1])
            # Wait for company only when requests have been coming together: a lone
            # client would pay the wait on every request and gain nothing from it.
            wait = self.wait if self._last_requests > 1 else 0.0
            deadline = asyncio.get_running_loop().time() + wait
            while size < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - asyncio.get_running_loop().time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                batch.append(item)
                size += len(item[1])
            self._last_requests = len(batch)
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[Item]) -> None:
        """One forward pass per lane in the batch, in the order the lanes first asked."""
        by_lane: dict[Lane, list[Item]] = {}
        for item in batch:
            by_lane.setdefault(item[0], []).append(item)
        for lane, items in by_lane.items():
            await self._forward(lane, items)

    async def _forward(self, lane: Lane, items: list[Item]) -> None:
        inputs = [x for _, texts, _ in items for x in texts]
        loop = asyncio.get_running_loop()
        try:
            outputs = await loop.run_in_executor(
                self.executor, lane.call, lambda it: it.predict(inputs)
            )
        except Exception as exc:  # every waiting request gets the same error
            for _, _, future in items:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.batched_texts += len(inputs)
        start = 0
        for _, texts, future in items:
            if not future.done():
                future.set_result(outputs[start : start + len(texts)])
            start += len(texts)

    def close(self) -> None:
        """Stop serving and release the model thread."""
        if self._task is not None and not self._task.done():
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                self._task.get_loop().call_soon_threadsafe(self._task.cancel)
        self.executor.shutdown(wait=False, cancel_futures=True)


def _use_threads(threads: int | None) -> None:
    """Set the intra-op threads of the model thread this runs on (first thing it does).

    Without torch installed (a server with the ONNX backend only) there is nothing to set:
    an ONNX model's threads are its session's (``OnnxModel.load(threads=...)``).
    """
    if threads is not None:
        try:
            import torch
        except ImportError:
            return
        torch.set_num_threads(threads)


class AdapterBatcher:
    """A shared base's batcher as one adapter sees it: its requests carry its lane.

    Closing it leaves the base's batcher running for the other adapters.
    """

    def __init__(self, shared: Batcher, lane: Lane):
        self.shared = shared
        self.lane = lane

    @property
    def batches(self) -> int:
        """Forward passes on the shared base (every adapter's)."""
        return self.shared.batches

    @property
    def batched_texts(self) -> int:
        """Inputs predicted on the shared base (every adapter's)."""
        return self.shared.batched_texts

    async def predict(self, inputs: list[Any]) -> list[Any]:
        """Predict with this adapter, batched with other requests for it."""
        return await self.shared.predict(inputs, self.lane)

    async def run(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(interpreter)`` on the base's thread with this adapter active."""
        return await self.shared.run(fn, self.lane)

    def stream(self, pieces: Iterator[Any]) -> AsyncIterator[Any]:
        """Drain ``pieces`` on the base's thread with this adapter active."""
        return self.shared.stream(pieces, self.lane)

    def close(self) -> None:
        """Nothing to release: the base's batcher outlives each adapter."""
