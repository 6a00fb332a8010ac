"""A Python client for ``oi serve``: datasets, fine-tune jobs (with progress and their
event stream), the model registry, predictions and generation (streamed too), and the
financial-news monitors' alerts (followed live).

Answers are the API's JSON bodies as plain dicts (see docs/api.md for their fields);
errors are :mod:`open_interpreter.client.errors` classes chosen by HTTP status.
"""

from __future__ import annotations

import io
import os
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from open_interpreter.client.errors import NotFoundError, raise_for_problem
from open_interpreter.client.sse import Event, read_events
from open_interpreter.errors import OpenInterpreterError

DEFAULT_URL = "http://127.0.0.1:8000"
FINISHED = frozenset({"succeeded", "failed", "cancelled"})

Progress = Callable[[Event], None]


class JobFailedError(OpenInterpreterError):
    """A waited-for job ended without succeeding; ``job`` is its last state."""

    def __init__(self, job: dict[str, Any]):
        reason = f": {job['error']}" if job.get("error") else ""
        super().__init__(f"fine-tune {job['id']} {job['status']}{reason}")
        self.job = job


class Client:
    """Talk to an Open Interpreter server.

    Args:
        base_url: The server (default ``$OI_URL`` or ``http://127.0.0.1:8000``).
        api_key: An API key (default ``$OI_API_KEY``); sent as ``Authorization: Bearer``.
        timeout: Seconds for each request (streams wait for as long as they run).
        http_client: An ``httpx.Client`` to send requests with (tests pass the app's
            ``TestClient``); its ``base_url`` is used as it is.

    Example:
        >>> from open_interpreter.client import Client
        >>> oi = Client("http://127.0.0.1:8000", api_key="oi_...")  # doctest: +SKIP
        >>> data = oi.datasets.upload("train.conll")  # doctest: +SKIP
        >>> job = oi.fine_tunes.create("ner", data["id"])  # doctest: +SKIP
        >>> oi.fine_tunes.wait(job["id"], progress=True)  # doctest: +SKIP
        >>> oi.predict("ner", ["Ada Lovelace lived in London"])  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        http_client: httpx.Client | None = None,
    ):
        key = api_key if api_key is not None else os.environ.get("OI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        # Per-request timeouts only on a client of our own: another may be another
        # httpx major version (the TestClient), with its own timeout type.
        self._stream_timeouts: dict[str, Any] = {}
        if http_client is None:
            url = (base_url or os.environ.get("OI_URL") or DEFAULT_URL).rstrip("/")
            http_client = httpx.Client(base_url=url, timeout=timeout)
            self._stream_timeouts = {"timeout": httpx.Timeout(timeout, read=None)}
        self._http = http_client
        self._headers = headers
        self.datasets = Datasets(self)
        self.fine_tunes = FineTunes(self)
        self.models = Registry(self)
        self.monitors = Monitors(self)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request to ``/v1{path}`` and return its decoded JSON (None for 204).

        Raises:
            APIError: The server answered with a problem (its subclass by status).
        """
        response = self._http.request(method, f"/v1{path}", headers=self._headers, **kwargs)
        raise_for_problem(response)
        return None if response.status_code == 204 or not response.content else response.json()

    def events(self, method: str, path: str, **kwargs: Any) -> Iterator[Event]:
        """Server-sent events from ``/v1{path}``, read as they arrive.

        Raises:
            APIError: The server refused the stream.
        """
        headers = {**self._headers, **kwargs.pop("headers", {})}
        with self._http.stream(
            method,
            f"/v1{path}",
            headers=headers,
            **self._stream_timeouts,
            **kwargs,
        ) as response:
            raise_for_problem(response)
            yield from read_events(response.iter_lines())

    def health(self) -> dict[str, Any]:
        """The server's liveness, version and loaded models (``GET /health``)."""
        response = self._http.get("/health")
        raise_for_problem(response)
        return response.json()

    def predict(
        self, model: str, texts: list[Any] | str, *, version: int | None = None
    ) -> dict[str, Any]:
        """Predictions of a registered model (its production version unless ``version``).

        Args:
            model: The registry name.
            texts: One text, or a list of texts, ``[text, pair]`` pairs or token lists.
            version: A version number.

        Returns:
            ``{"model", "version", "task", "predictions": [...]}``, one prediction per text.
        """
        body: dict[str, Any] = {"texts": [texts] if isinstance(texts, str) else list(texts)}
        if version is not None:
            body["version"] = version
        return self.request("POST", f"/models/{model}/predict", json=body)

    def generate(
        self,
        model: str,
        prompt: str | None = None,
        *,
        messages: list[dict[str, str]] | None = None,
        stream: bool = False,
        **settings: Any,
    ) -> dict[str, Any] | Iterator[str]:
        """Answer a prompt or a conversation with a generative model.

        Args:
            model: A registry name, catalogue alias or model-store name on the server.
            prompt: A text (or give ``messages``).
            messages: A conversation of ``{"role", "content"}`` messages.
            stream: Yield the answer's pieces as they are produced.
            **settings: ``max_new_tokens``, ``temperature``, ``top_p``, ``top_k``,
                ``repetition_penalty``, ``stop``, ``seed``.

        Returns:
            ``{"model", "text", "finish_reason", "usage"}``, or with ``stream=True`` an
            iterator of text pieces.
        """
        body = {"model": model, **settings}
        body.update({"prompt": prompt} if messages is None else {"messages": messages})
        if not stream:
            return self.request("POST", "/generate", json=body)
        return self._pieces(body)

    def _pieces(self, body: dict[str, Any]) -> Iterator[str]:
        for event in self.events("POST", "/generate", json={**body, "stream": True}):
            if event.type == "message":
                yield event.data["text"]

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Datasets:
    """``/v1/datasets``: labelled files stored on the server."""

    def __init__(self, client: Client):
        self._client = client

    def upload(
        self, path: str | Path, *, name: str | None = None, format: str | None = None
    ) -> dict[str, Any]:
        """Upload a CSV, TSV, JSONL or CoNLL file; it is checked in full on the server.

        Raises:
            BadRequestError: The file is malformed (the detail names the line).
        """
        path = Path(path)
        form = {k: v for k, v in {"name": name, "format": format}.items() if v}
        with path.open("rb") as handle:
            return self._client.request(
                "POST", "/datasets", data=form, files={"file": (path.name, handle)}
            )

    def list(self, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """A page of datasets: ``{"count", "data": [...]}``."""
        return self._client.request("GET", "/datasets", params={"limit": limit, "offset": offset})

    def get(self, dataset_id: str) -> dict[str, Any]:
        """One dataset."""
        return self._client.request("GET", f"/datasets/{dataset_id}")

    def delete(self, dataset_id: str) -> None:
        """Delete a dataset."""
        self._client.request("DELETE", f"/datasets/{dataset_id}")


class FineTunes:
    """``/v1/fine-tunes``: training jobs run by the server's workers."""

    def __init__(self, client: Client):
        self._client = client

    def create(
        self,
        model_name: str,
        train_dataset_id: str,
        *,
        config: dict[str, Any] | None = None,
        validation_dataset_id: str | None = None,
        test_dataset_id: str | None = None,
        resources: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """Queue a fine-tune whose result is registered as ``model_name``; ``config``
        takes ``oi train``'s YAML settings (``model``, ``epochs``, ``learning_rate``...),
        ``resources`` what a worker needs to claim it (``{"processes", "gpus",
        "memory_gb"}``); the answer's ``warnings`` says when no running worker fits."""
        body = {
            "model_name": model_name,
            "train_dataset_id": train_dataset_id,
            "validation_dataset_id": validation_dataset_id,
            "test_dataset_id": test_dataset_id,
            "config": config or {},
            **({"resources": resources} if resources is not None else {}),
        }
        return self._client.request("POST", "/fine-tunes", json=body)

    def get(self, job_id: str) -> dict[str, Any]:
        """One job with its status and progress (step, loss, ETA)."""
        return self._client.request("GET", f"/fine-tunes/{job_id}")

    def list(
        self, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """A page of jobs, newest first: ``{"count", "data": [...]}``."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        return self._client.request("GET", "/fine-tunes", params=params)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued job at once, a running one within seconds."""
        return self._client.request("POST", f"/fine-tunes/{job_id}/cancel")

    def events(self, job_id: str, *, after: int = 0) -> Iterator[Event]:
        """The job's events (``status``, ``step``, ``evaluation``, ``log``) as they happen,
        after event id ``after``; the iterator ends with the job."""
        for event in self._client.events(
            "GET", f"/fine-tunes/{job_id}/events", params={"after": after}
        ):
            if event.type == "end":
                return
            yield event

    def wait(
        self,
        job_id: str,
        *,
        progress: bool | Progress = False,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Follow a job until it ends.

        Args:
            job_id: The job.
            progress: True prints a line per step and evaluation to stderr; a callable
                gets every event.
            timeout: Give up after this many seconds (None: wait as long as it runs).

        Returns:
            The job once it succeeded.

        Raises:
            JobFailedError: It failed or was cancelled.
            TimeoutError: It was still running after ``timeout`` seconds.
        """
        report = _print_progress if progress is True else progress or None
        deadline = None if timeout is None else time.monotonic() + timeout
        after = 0
        while True:
            for event in self.events(job_id, after=after):
                after = event.id or after
                if report:
                    report(event)
                if deadline is not None and time.monotonic() > deadline:
                    break
            job = self.get(job_id)
            if job["status"] in FINISHED:
                if job["status"] != "succeeded":
                    raise JobFailedError(job)
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"fine-tune {job_id} still {job['status']} after {timeout} s")


def _print_progress(event: Event) -> None:
    """One line per step, evaluation and status change, on stderr."""
    data = event.data
    if event.type == "step":
        total = f"/{data['total_steps']}" if data.get("total_steps") else ""
        loss = f" loss {data['loss']:.4f}" if isinstance(data.get("loss"), int | float) else ""
        print(f"step {data.get('step')}{total}{loss}", file=sys.stderr)
    elif event.type == "evaluation":
        metrics = ", ".join(
            f"{k} {v:.4f}" for k, v in (data.get("metrics") or {}).items() if isinstance(v, float)
        )
        print(f"epoch {data.get('epoch')}: {metrics}", file=sys.stderr)
    elif event.type == "status":
        print(f"status {data.get('status')}", file=sys.stderr)


class Registry:
    """``/v1/models``: registered models, their versions and stages."""

    def __init__(self, client: Client):
        self._client = client

    def list(self) -> dict[str, Any]:
        """Registered models with their versions: ``{"count", "data": [...]}``."""
        return self._client.request("GET", "/models")

    def get(self, name: str) -> dict[str, Any]:
        """One registered model with its versions."""
        return self._client.request("GET", f"/models/{name}")

    def versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of a model, oldest first."""
        return self._client.request("GET", f"/models/{name}/versions")

    def register(self, name: str, directory: str | Path) -> dict[str, Any]:
        """Upload a saved model directory (``oi train`` / ``interpreter.save`` output) as a
        new version of ``name`` (an admin key)."""
        directory = Path(directory)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(directory, arcname=directory.name)
        files = {"archive": (f"{directory.name}.tar.gz", buffer.getvalue())}
        return self._client.request("POST", "/models", data={"name": name}, files=files)

    def promote(self, name: str, version: int) -> dict[str, Any]:
        """Make ``version`` the production one (an admin key)."""
        return self._client.request("POST", f"/models/{name}/promote", json={"version": version})

    def rollback(self, name: str) -> dict[str, Any]:
        """Put the previous production version back (an admin key)."""
        return self._client.request("POST", f"/models/{name}/rollback")


class AlertStreamLostError(OpenInterpreterError):
    """A monitor's alert stream closed without saying why (the server went away);
    ``cursor`` is the last alert seen, to resume after."""

    def __init__(self, monitor_id: str, cursor: str | None):
        resume = f"; resume after {cursor}" if cursor else ""
        super().__init__(f"the alert stream of monitor {monitor_id} closed{resume}")
        self.cursor = cursor


class Monitors:
    """``/v1/monitors``: the financial-news monitors (docs/monitor.md)."""

    def __init__(self, client: Client):
        self._client = client

    def list(self, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """The key's monitors by name: ``{"count", "data": [...]}``."""
        return self._client.request("GET", "/monitors", params={"limit": limit, "offset": offset})

    def get(self, monitor_id: str) -> dict[str, Any]:
        """One monitor: its settings, documents and series keys."""
        return self._client.request("GET", f"/monitors/{monitor_id}")

    def find(self, name: str) -> dict[str, Any]:
        """The monitor called ``name`` among those the key sees.

        Raises:
            NotFoundError: No monitor of that name is visible to the key.
        """
        offset = 0
        while True:
            page = self.list(limit=500, offset=offset)
            for monitor in page["data"]:
                if monitor["name"] == name:
                    return monitor
            offset += len(page["data"])
            if not page["data"] or offset >= page["count"]:
                detail = f"no monitor named {name!r} on this server (for this key)"
                raise NotFoundError(404, "not_found", detail, {})

    def follow_alerts(
        self, monitor_id: str, *, after: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The monitor's alerts as they are stored (``GET …/alerts/stream``), each as
        ``(cursor, alert)``; runs until the monitor is deleted or the caller stops. When a
        stream reaches its maximum life (an hour) it is opened again after the last alert
        seen (before any was seen: from then on, so an alert stored in that instant
        between the two streams is missed).

        Args:
            monitor_id: The monitor's id.
            after: Start after this cursor (``"0"``: from the first alert); default: the
                alerts stored from now on.

        Raises:
            APIError: The server refused the stream (a bad key: ``AuthenticationError``).
            AlertStreamLostError: The stream closed without an ``end`` event.
        """
        cursor = after
        while True:
            headers = {"Last-Event-ID": cursor} if cursor is not None else {}
            path = f"/monitors/{monitor_id}/alerts/stream"
            for event in self._client.events("GET", path, headers=headers):
                if event.type == "alert" and event.id is not None:
                    cursor = str(event.id)
                    yield cursor, event.data
                elif event.type == "end":
                    if event.data.get("reason") != "lifetime":
                        return  # deleted
                    break  # the stream's maximum life: reconnect after the last alert seen
            else:
                raise AlertStreamLostError(monitor_id, cursor)
