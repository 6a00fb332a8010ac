"""Distributed training (DDP on 2 gloo CPU processes) against one process.

A launch starts two Python processes that import torch and transformers (several seconds
of CPU each), so this module launches once: a 2-process run that trains, checkpoints and
then fails to save on rank 0 (its output_dir holds another file) while rank 1 waits for it.
That one run gives the loss curve, the checkpointed weights, a checkpoint to resume in one
process, and a failed rank reported by name with the waiting rank stopped, not hung.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from open_interpreter import OpenInterpreter
from open_interpreter.errors import TrainingProcessError
from open_interpreter.training import distributed
from tests.fixtures.data import ner_sentences

# Same global batch (8), seed, data and order; dropout off so both runs compute the same
# function. Two processes differ from one only in float rounding: each rank pads its own
# share of the batch and the gloo all-reduce sums the ranks' gradients in another order,
# ~1e-7 relative per step, which 6 AdamW steps at lr 5e-3 can grow to ~1e-5. A mistake in
# the global batch (e.g. each rank taking a full batch, or gradients not averaged, or the
# loss not weighed by each rank's share) moves the loss after step 1 by ~1e-2 or more.
TOLERANCE = 1e-3
SETTINGS = dict(
    batch_size=8,
    max_steps=6,
    learning_rate=5e-3,
    warmup_ratio=0.0,
    dropout=0.0,
    seed=3,
    progress=False,
    restore_best=False,
    checkpoint_every=3,
)


def _fine_tune(model_dir: Path, **settings) -> tuple[OpenInterpreter, list[float]]:
    tokens, tags = ner_sentences(43)  # 43 = 5 batches of 8 + one of 3: 2 + 1 in the last
    interpreter = OpenInterpreter(str(model_dir))
    result = interpreter.fine_tune(train_data=tokens, train_labels=tags, **SETTINGS, **settings)
    return interpreter, [event["loss"] for event in result.training.history]


@pytest.fixture(scope="module")
def one(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """One process: (losses, weights)."""
    output_dir = tmp_path_factory.mktemp("one") / "model"
    interpreter, losses = _fine_tune(tiny_bert_dir, output_dir=str(output_dir))
    return losses, interpreter.bundle.model.state_dict()


@pytest.fixture(scope="module")
def two(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Two processes, whose rank 0 trains, checkpoints, then fails to save: output_dir
    holds another file, while rank 1 waits for it at the last barrier. (losses relayed
    from rank 0, the run folder, the error)."""
    output_dir = tmp_path_factory.mktemp("two")
    (output_dir / "notes.txt").write_text("not a model", encoding="utf-8")
    events: list[dict] = []
    with pytest.raises(TrainingProcessError) as error:
        _fine_tune(tiny_bert_dir, distributed=2, output_dir=str(output_dir), on_event=events.append)
    losses = [event["loss"] for event in events if event["type"] == "step"]
    return losses, output_dir, str(error.value)


def test_two_processes_follow_the_loss_curve_of_one(one, two) -> None:
    assert len(one[0]) == len(two[0]) == 6
    assert one[0][0] != one[0][-1]  # it trained
    assert two[0] == pytest.approx(one[0], abs=TOLERANCE)


def test_rank_zero_checkpoints_the_same_weights(one, two) -> None:
    from safetensors.torch import load_file

    saved = load_file(str(two[1] / "checkpoints" / "step-6" / "model.safetensors"))
    for name, weights in one[1].items():
        assert torch.allclose(saved[name], weights, atol=TOLERANCE), name


def test_a_failed_rank_is_a_clear_error_and_the_waiting_rank_is_stopped(two) -> None:
    # rank 1 was waiting for rank 0 in a collective: the launcher stopped it (no hang,
    # no timeout: that would read "rank 1 failed: ... timed out"); rank 0 is the cause
    assert two[2].startswith("training process rank 0 failed: ConfigError: refusing to save")
    assert two[2].endswith("; the launcher stopped rank 1")
    assert "Traceback" not in two[2] and "rank 1 failed" not in two[2]


def test_a_checkpoint_of_two_processes_resumes_in_one(
    one, two, tiny_bert_dir: Path, tmp_path: Path
) -> None:
    checkpoint = two[1] / "checkpoints" / "step-3"
    _, losses = _fine_tune(tiny_bert_dir, resume_from=str(checkpoint), output_dir=str(tmp_path))
    assert losses[3:] == pytest.approx(one[0][3:], abs=TOLERANCE)  # 1-3: the checkpoint's


def test_one_process_is_not_distributed() -> None:
    assert not distributed.active()
    assert distributed.rank() == 0 and distributed.world_size() == 1
    assert distributed.shard([1, 2, 3]) == [1, 2, 3]
    assert distributed.agree(True) and not distributed.agree(False)


def test_settings_that_cannot_run_are_refused_before_any_process_starts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from open_interpreter.cli import main
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.errors import ConfigError

    with pytest.raises(ConfigError, match=r"needs distributed\.rdzv_endpoint"):
        FineTuneConfig().updated(distributed={"processes": 2, "nnodes": 2})
    fsdp = FineTuneConfig().updated(distributed={"processes": 2, "strategy": "fsdp"})
    with pytest.raises(ConfigError, match="strategy=fsdp is not supported yet"):
        distributed.check_launchable(fsdp)
    if not torch.cuda.is_available():
        nccl = FineTuneConfig().updated(distributed={"processes": 2, "backend": "nccl"})
        with pytest.raises(ConfigError, match="nccl needs CUDA"):
            distributed.check_launchable(nccl)
    config = tmp_path / "run.yaml"
    config.write_text("data:\n  train: train.conll\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["train", str(config), "--nproc", "2", "--nnodes", "2"])
    assert result.exit_code == 1
    assert "distributed.nnodes > 1 needs distributed.rdzv_endpoint" in result.stderr
