"""The training bar keeps stdout for the program: a bar on a terminal's stderr, log lines
otherwise."""

from __future__ import annotations

import logging

from open_interpreter.training.progress import TrainingProgress


def test_without_a_terminal_the_bar_is_log_lines_and_stdout_stays_clean(capsys, caplog):
    with caplog.at_level(logging.INFO), TrainingProgress(10, enabled=True) as progress:
        for step in range(1, 11):
            progress.update(step, loss=1.0 / step, samples_per_second=5.0)
    print("Accuracy: 0.77")
    assert capsys.readouterr().out == "Accuracy: 0.77\n"
    assert any("step 10/10" in message for message in caplog.messages)


def test_on_a_terminal_the_bar_draws_on_stderr(capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # what rich takes for a terminal
    with TrainingProgress(4, enabled=True) as progress:
        for step in range(1, 5):
            progress.update(step, loss=0.5, samples_per_second=5.0)
    captured = capsys.readouterr()
    assert "training" in captured.err and "samples/s" in captured.err
    assert captured.out == ""
