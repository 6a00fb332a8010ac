"""Checkpoints on their own: the best weights are kept apart only when they differ."""

from __future__ import annotations

import torch

from open_interpreter.training.checkpoint import (
    latest_checkpoint,
    load_best_state,
    load_checkpoint,
    save_checkpoint,
)


def _parts():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(), torch.nn.Linear(20, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return model, optimizer, schedule


def _copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _save(directory, model, optimizer, schedule, best_state):
    return save_checkpoint(
        directory,
        model=model,
        optimizer=optimizer,
        schedule=schedule,
        state={"step": 1},
        best_state=best_state,
    )


def _reloaded(directory):
    model, optimizer, schedule = _parts()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    state = load_checkpoint(directory, model=model, optimizer=optimizer, schedule=schedule)
    return state, model, load_best_state(directory, model)


def _assert_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_best_weights_that_differ_are_saved_beside_the_current_ones(tmp_path):
    model, optimizer, schedule = _parts()
    best = _copy(model)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    path = _save(tmp_path / "checkpoints" / "step-1", model, optimizer, schedule, best)
    assert (path / "best_model.safetensors").is_file()
    assert list(path.parent.iterdir()) == [path]  # no temporary folder left behind
    assert latest_checkpoint(tmp_path) == path
    state, reloaded, reloaded_best = _reloaded(path)
    assert state["step"] == 1
    _assert_equal(_copy(reloaded), _copy(model))
    assert reloaded_best is not None
    _assert_equal(reloaded_best, best)


def test_best_weights_equal_to_the_current_ones_are_not_written_twice(tmp_path):
    model, optimizer, schedule = _parts()
    path = _save(tmp_path / "step-1", model, optimizer, schedule, _copy(model))
    assert not (path / "best_model.safetensors").exists()
    _, reloaded, reloaded_best = _reloaded(path)
    assert reloaded_best is not None
    _assert_equal(reloaded_best, _copy(model))
    reloaded[0].weight.data.add_(1.0)  # a copy, not the model's own tensors
    _assert_equal(reloaded_best, _copy(model))


def test_a_checkpoint_without_best_weights_resumes_without_them(tmp_path):
    model, optimizer, schedule = _parts()
    path = _save(tmp_path / "step-1", model, optimizer, schedule, None)
    assert not (path / "best_model.safetensors").exists()
    assert _reloaded(path)[2] is None
