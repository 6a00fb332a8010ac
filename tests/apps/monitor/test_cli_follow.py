"""``oi monitor alerts NAME --follow``: a running server's alert stream, over a real
socket (the app under uvicorn in a thread): each alert printed once as it arrives, across
the stream's reconnections after its maximum life; Ctrl-C (a real SIGINT) ends it
cleanly; a bad key, an unknown monitor and a server that is down give one line, exit 1."""

from __future__ import annotations

import importlib
import signal
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.serving.app import create_app
from open_interpreter.serving.routes import monitor_stream
from open_interpreter.serving.routes.monitor_stream import StreamLimits
from open_interpreter.serving.settings import Settings

from .test_api import BAD, GOOD, RULE, batch, create, headers

monitor_cli = importlib.import_module("open_interpreter.cli.monitor")  # not the group
# streams end after 0.4 s, so the command has to reconnect after the last alert it saw
SHORT = StreamLimits(keepalive_seconds=5, max_streams_per_key=4, max_seconds=0.4, poll_seconds=0.05)


@pytest.fixture
def server(db, monkeypatch) -> Iterator[str]:
    """The API on ``db`` under uvicorn on a free port; its base URL."""
    monkeypatch.setattr(monitor_stream, "LIMITS", SHORT)
    served = create_app(Settings(database_url=db.url), db)
    app = uvicorn.Server(uvicorn.Config(served, log_level="warning"))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=app.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    while not app.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        app.should_exit = True
        thread.join(10)


def _ctrl_c_after(seconds: float) -> threading.Timer:
    """A real SIGINT to the main thread (where the command runs) after ``seconds``."""
    main_thread = threading.main_thread().ident
    timer = threading.Timer(seconds, signal.pthread_kill, (main_thread, signal.SIGINT))
    timer.daemon = True
    timer.start()
    return timer


def test_follow_prints_each_alert_once_across_reconnections_and_ctrl_c_stops(
    server, db, monkeypatch
):
    alice = headers(db, "train")
    with httpx.Client(base_url=server, headers=alice, timeout=30) as http:
        mid = create(http, alice, rules=[RULE])
        first = http.post(f"/v1/monitors/{mid}/documents", json=batch(0, [BAD] * 8)).json()
    assert len(first["alerts"]) == 1

    printed: list[str] = []
    real_print = monitor_cli._print_alert

    def print_alert(alert, cursor, as_json):
        real_print(alert, cursor, as_json)
        printed.append(alert["id"])
        if len(printed) == 1:  # the stored alert came; raise a second one, live
            body = batch(40, [GOOD] * 2 + [BAD] * 10)
            url = f"{server}/v1/monitors/{mid}/documents"
            sent = {"headers": alice, "json": body, "timeout": 30}
            threading.Timer(0.5, httpx.post, (url,), sent).start()
        if len(printed) == 2:
            _ctrl_c_after(0.6)  # while the command waits on the stream (reconnecting too)

    monkeypatch.setattr(monitor_cli, "_print_alert", print_alert)
    monkeypatch.setenv("OI_API_KEY", alice["Authorization"].removeprefix("Bearer "))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # xdist may ignore it
    backstop = _ctrl_c_after(60)  # a hang fails below instead of blocking the suite
    try:
        result = CliRunner().invoke(
            main, ["monitor", "alerts", "acme", "--follow", "--server", server, "--after", "0"]
        )
    finally:
        backstop.cancel()
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"following the alerts of acme on {server} (Ctrl-C stops)"
    assert lines[-1] == "stopped"
    alert_lines = [line for line in lines if "negative" in line and "entity:Acme" in line]
    assert len(alert_lines) == 2 and len(set(printed)) == 2, result.output
    assert printed[0] == first["alerts"][0]["id"]
    assert alert_lines[0].startswith(first["alerts"][0]["time"])


def test_a_bad_key_an_unknown_monitor_and_a_server_that_is_down_are_one_line(server, db):
    alice = headers(db, "train")
    with httpx.Client(base_url=server, headers=alice, timeout=30) as http:
        create(http, alice)
    key = alice["Authorization"].removeprefix("Bearer ")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    cases = [
        (["acme", "--server", server, "--api-key", "oi_wrong"], "401"),
        (["nope", "--server", server, "--api-key", key], "no monitor named 'nope'"),
        (["acme", "--server", down, "--api-key", key], f"cannot reach the server at {down}"),
        (["acme", "--server", server, "--api-key", key, "--after", "yesterday"], "400"),
    ]
    for args, said in cases:
        result = CliRunner().invoke(main, ["monitor", "alerts", *args, "--follow"])
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error")]
        assert len(errors) == 1 and said in errors[0], result.output
    refused = CliRunner().invoke(main, ["monitor", "alerts", "acme", "--server", server])
    assert refused.exit_code == 2 and "--follow" in refused.output
