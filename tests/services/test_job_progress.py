"""The figures a running job records: its best validation metric and what its process uses."""

from __future__ import annotations

from open_interpreter.services.job_progress import RunFigures


def test_run_figures_keep_the_best_validation_metric():
    figures = RunFigures()
    for epoch, f1 in enumerate([0.5, 0.8, 0.7, float("nan")], start=1):
        metrics = {"accuracy": 0.9, "entity_f1": f1, "loss": 1 / epoch}
        figures.observe(
            {"type": "evaluation", "epoch": epoch, "step": 10 * epoch, "metrics": metrics}
        )
    progress = figures.progress()
    assert progress["best_metric"] == {"name": "entity_f1", "value": 0.8, "epoch": 2, "step": 20}
    assert progress["last_evaluation"]["epoch"] == 4

    by_loss = RunFigures("loss")
    for loss in (0.9, 0.4, 0.6):
        by_loss.observe({"type": "evaluation", "epoch": 1, "step": 1, "metrics": {"loss": loss}})
    assert by_loss.progress()["best_metric"]["value"] == 0.4
    assert by_loss.measure()["rss_bytes"] > 0
    assert "resources" in by_loss.progress()
