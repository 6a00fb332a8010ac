"""Dynamic batching: concurrent prediction requests for one model share one forward pass.

Requests queue up while the model is busy; when it is free, everything queued (up to
``max_batch`` texts) goes in the next batch, after waiting at most ``wait_ms`` for
company. Forward passes run on the model's own thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Item = tuple[list[Any], asyncio.Future]


class Batcher:
    """Gathers ``predict`` calls for one interpreter into batched forward passes."""

    def __init__(self, interpreter: Any, *, wait_ms: float, max_batch: int):
        self.interpreter = interpreter
        self.wait = wait_ms / 1000.0
        self.max_batch = max_batch
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oi-model")
        self._queue: asyncio.Queue[Item] | None = None
        self._task: asyncio.Task | None = None
        self.batches = 0
        self.batched_texts = 0

    async def predict(self, inputs: list[Any]) -> list[Any]:
        """Predict for ``inputs``, batched with whatever other requests are waiting."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._serve())
        future: asyncio.Future = loop.create_future()
        await self._queue.put((inputs, future))
        return await future

    async def run(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(interpreter)`` on the model's thread (for evaluation, explanation...)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, self.interpreter)

    async def _serve(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0][0])
            deadline = asyncio.get_running_loop().time() + self.wait
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
                size += len(item[0])
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[Item]) -> None:
        inputs = [x for items, _ in batch for x in items]
        loop = asyncio.get_running_loop()
        try:
            outputs = await loop.run_in_executor(self.executor, self.interpreter.predict, inputs)
        except Exception as exc:  # every waiting request gets the same error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.batched_texts += len(inputs)
        start = 0
        for items, future in batch:
            if not future.done():
                future.set_result(outputs[start : start + len(items)])
            start += len(items)

    def close(self) -> None:
        """Stop serving and release the model thread."""
        if self._task is not None and not self._task.done():
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                self._task.get_loop().call_soon_threadsafe(self._task.cancel)
        self.executor.shutdown(wait=False, cancel_futures=True)
