"""Dynamic batching without a model: requests that wait while the model is busy share its
next forward pass, each gets its own answers back, and a failure reaches every one."""

from __future__ import annotations

import asyncio
import threading

import pytest

from open_interpreter.serving.batcher import Batcher


class FakeModel:
    """Answers each input upper-cased, recording every batch it is given.

    The first call blocks until :attr:`release` is set, so that the next requests queue up
    behind a busy model, as they do under load; batches listed in ``fail_on`` raise.
    """

    def __init__(self, fail_on: tuple[int, ...] = ()):
        self.calls: list[list[str]] = []
        self.busy = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def predict(self, inputs: list[str]) -> list[str]:
        self.calls.append(list(inputs))
        if len(self.calls) == 1:
            self.busy.set()
            assert self.release.wait(10), "the test never released the model"
        if len(self.calls) - 1 in self.fail_on:
            raise ValueError(f"batch {len(self.calls) - 1} failed")
        return [text.upper() for text in inputs]


async def _queued_behind_a_busy_model(
    batcher: Batcher, model: FakeModel, requests: list[list[str]]
) -> tuple[list[str], list]:
    """Send one request, and while the model works on it, ``requests`` at once; then let the
    model go. Returns the first answer and the others' answers (or exceptions), in order."""
    first = asyncio.create_task(batcher.predict(["warm up"]))
    assert await asyncio.to_thread(model.busy.wait, 10)
    waiting = [asyncio.create_task(batcher.predict(texts)) for texts in requests]
    await asyncio.sleep(0.05)  # every request is in the queue now
    model.release.set()
    try:
        return await first, await asyncio.gather(*waiting, return_exceptions=True)
    finally:
        batcher.close()


def test_requests_waiting_for_the_model_share_one_batch_and_keep_their_order():
    model = FakeModel()
    batcher = Batcher(model, wait_ms=0, max_batch=32)
    requests = [["mary visited paris", "john"], ["acme"], ["a", "b", "c"]]

    first, answers = asyncio.run(_queued_behind_a_busy_model(batcher, model, requests))

    assert first == ["WARM UP"]
    assert answers == [["MARY VISITED PARIS", "JOHN"], ["ACME"], ["A", "B", "C"]]
    assert model.calls == [["warm up"], ["mary visited paris", "john", "acme", "a", "b", "c"]]
    assert (batcher.batches, batcher.batched_texts) == (2, 7)


def test_a_batch_holds_at_most_max_batch_inputs():
    model = FakeModel()
    batcher = Batcher(model, wait_ms=0, max_batch=2)

    _, answers = asyncio.run(_queued_behind_a_busy_model(batcher, model, [["a"], ["b"], ["c"]]))

    assert answers == [["A"], ["B"], ["C"]]
    assert model.calls == [["warm up"], ["a", "b"], ["c"]]


def test_a_failed_batch_fails_every_request_in_it():
    model = FakeModel(fail_on=(1,))
    batcher = Batcher(model, wait_ms=0, max_batch=32)

    _, answers = asyncio.run(
        _queued_behind_a_busy_model(batcher, model, [["a"], ["b", "c"], ["d"]])
    )

    assert [type(a) for a in answers] == [ValueError] * 3
    assert {str(a) for a in answers} == {"batch 1 failed"}
    assert model.calls[1] == ["a", "b", "c", "d"]  # one batch, one failure for all three
    assert batcher.batches == 1  # only the warm-up batch counts as done


def test_the_batcher_serves_again_after_a_failure():
    model = FakeModel(fail_on=(1,))
    model.release.set()
    batcher = Batcher(model, wait_ms=0, max_batch=32)

    async def scenario() -> tuple[list[str], BaseException, list[str]]:
        try:
            warm = await batcher.predict(["warm up"])
            with pytest.raises(ValueError, match="batch 1 failed") as failed:
                await batcher.predict(["fails"])
            return warm, failed.value, await batcher.predict(["after"])
        finally:
            batcher.close()

    warm, error, after = asyncio.run(scenario())

    assert (warm, after) == (["WARM UP"], ["AFTER"])
    assert isinstance(error, ValueError)
    assert model.calls == [["warm up"], ["fails"], ["after"]]


def test_work_and_streams_run_on_the_models_own_thread():
    model = FakeModel()
    model.release.set()
    batcher = Batcher(model, wait_ms=0, max_batch=32)

    def pieces():
        yield threading.current_thread().name
        yield "two"
        raise RuntimeError("generation stopped")

    async def scenario() -> tuple[str, list[str], BaseException]:
        try:
            thread = await batcher.run(lambda interpreter: threading.current_thread().name)
            streamed: list[str] = []
            with pytest.raises(RuntimeError, match="generation stopped") as stopped:
                async for piece in batcher.stream(pieces()):
                    streamed.append(piece)
            return thread, streamed, stopped.value
        finally:
            batcher.close()

    thread, streamed, error = asyncio.run(scenario())

    assert thread.startswith("oi-model") and thread != threading.current_thread().name
    assert streamed == [thread, "two"]
    assert isinstance(error, RuntimeError)


def test_the_model_thread_computes_with_the_intra_op_threads_it_was_given():
    import torch

    before = torch.get_num_threads()
    batcher = Batcher(FakeModel(), wait_ms=0, max_batch=8, threads=1)
    try:
        assert asyncio.run(batcher.run(lambda _model: torch.get_num_threads())) == 1
    finally:
        batcher.close()
        torch.set_num_threads(before)  # the setting is the process's: leave it as it was


def test_a_call_that_would_wait_too_long_for_the_model_is_refused_at_once():
    import time

    from open_interpreter.serving.problems import Problem

    batcher = Batcher(FakeModel(), wait_ms=0, max_batch=8, max_wait_s=0.5)
    release = threading.Event()

    async def scenario() -> tuple[Problem, list]:
        await batcher.run(lambda _model: time.sleep(0.2))  # the model's pace: 0.2 s a call
        held = asyncio.create_task(batcher.run(lambda _model: release.wait(10)))
        queued = [asyncio.create_task(batcher.run(lambda _model: "done")) for _ in range(2)]
        await asyncio.sleep(0.05)  # three calls ahead now: about 0.6 s of work
        with pytest.raises(Problem) as refused:
            await batcher.run(lambda _model: "too late")
        release.set()
        answers = [await held, *await asyncio.gather(*queued)]
        answers.append(await batcher.run(lambda _model: "admitted again"))
        return refused.value, answers

    try:
        refused, answers = asyncio.run(scenario())
    finally:
        batcher.close()
    assert (refused.status, refused.code) == (429, "model_busy")
    assert refused.extra["retry_after"] >= 1 and "3 requests ahead" in refused.detail
    assert answers == [True, "done", "done", "admitted again"]
