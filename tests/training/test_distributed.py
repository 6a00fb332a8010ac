"""Distributed training (DDP and FSDP on gloo CPU processes, one machine or two) against
one process.

A launch starts Python processes that import torch and transformers (~5 s of CPU each),
so this module launches twice, each run made to show several things:

- DDP, 2 processes, whose rank 0 trains, checkpoints and then fails to save (its
  output_dir holds another file) while rank 1 waits: the loss curve, the checkpointed
  weights, a checkpoint to resume in one process, and a failed rank reported by name with
  the waiting rank stopped, not hung.
- Two "machines" on this one: two launchers (``--nnodes 2 --node-rank 0|1`` at
  127.0.0.1), one FSDP process each (so the model is sharded across the machines);
  machine 1 is ``oi train`` in a subprocess, machine 0 is ``fine_tune`` here, whose rank
  0 checkpoints and then fails to save the same way: the loss curve, the full weights rank
  0 gathered into its checkpoints, a sharded checkpoint resumed in one process.

What rank 0 does with the gathered weights at the end (load them into the plain model and
save it as any model) is checked in this process, as a process group of one.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from open_interpreter import OpenInterpreter
from open_interpreter.errors import TrainingProcessError
from open_interpreter.training import distributed
from tests.fixtures.data import conll_bytes, ner_sentences

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
    result = interpreter.fine_tune(train_data=tokens, train_labels=tags, **{**SETTINGS, **settings})
    return interpreter, [event["loss"] for event in result.training.history]


@pytest.fixture(scope="module")
def one(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """One process: (losses, weights, the interpreter)."""
    output_dir = tmp_path_factory.mktemp("one") / "model"
    interpreter, losses = _fine_tune(tiny_bert_dir, output_dir=str(output_dir))
    weights = {k: v.clone() for k, v in interpreter.bundle.model.state_dict().items()}
    return losses, weights, interpreter


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


DEV = (10, 9)  # ner_sentences(10, seed=9): validation data for the two machines
DATA_YAML = ["  train: train.conll", "  validation: dev.conll"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_machines(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Machine 1: ``oi train ... --node-rank 1`` in a subprocess; machine 0: ``fine_tune``
    here with node_rank 0, whose output_dir holds another file. One FSDP process each.
    Both score validation data after the epoch (a sharded forward pass needs both).
    (losses relayed from rank 0, machine 0's run folder and error, machine 1's exit code
    and output, rank 0's evaluation events)."""
    folder = tmp_path_factory.mktemp("two_machines")
    (folder / "train.conll").write_bytes(conll_bytes(43, 0))  # the sentences of _fine_tune
    (folder / "dev.conll").write_bytes(conll_bytes(*DEV))
    run = folder / "machine0"
    run.mkdir()
    (run / "notes.txt").write_text("not a model", encoding="utf-8")
    settings = {**SETTINGS, "num_threads": 1}  # both machines share this one's 2 cores
    yaml = [f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in settings.items()]
    (folder / "run.yaml").write_text(
        "\n".join([f"model: {tiny_bert_dir}", "data:", *DATA_YAML, *yaml]) + "\n"
    )
    endpoint = f"127.0.0.1:{_free_port()}"
    machine = {"processes": 1, "nnodes": 2, "rdzv_endpoint": endpoint, "strategy": "fsdp"}
    oi = Path(sys.executable).with_name("oi")
    flags = ["--nproc", "1", "--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint", endpoint]
    second = subprocess.Popen(
        [
            str(oi),
            "train",
            "run.yaml",
            f"output_dir={folder / 'machine1'}",
            *flags,
            "--strategy",
            "fsdp",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    events: list[dict] = []
    try:
        with pytest.raises(TrainingProcessError) as error:
            _fine_tune(
                tiny_bert_dir,
                num_threads=1,
                distributed={**machine, "node_rank": 0},
                output_dir=str(run),
                on_event=events.append,
                validation_data=ner_sentences(*DEV)[0],
                validation_labels=ner_sentences(*DEV)[1],
            )
    except BaseException:
        second.kill()  # machine 1 would wait for machine 0 until its timeout
        raise
    output, _ = second.communicate(timeout=120)
    losses = [event["loss"] for event in events if event["type"] == "step"]
    evaluations = [event for event in events if event["type"] == "evaluation"]
    return losses, run, str(error.value), second.returncode, output, evaluations


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
    with pytest.raises(ConfigError, match="node_rank 2 is not below nnodes 2"):
        FineTuneConfig().updated(distributed={"nnodes": 2, "rdzv_endpoint": "h:1", "node_rank": 2})
    if not torch.cuda.is_available():
        nccl = FineTuneConfig().updated(distributed={"processes": 2, "backend": "nccl"})
        with pytest.raises(ConfigError, match="nccl needs CUDA"):
            distributed.check_launchable(nccl)
    config = tmp_path / "run.yaml"
    config.write_text("data:\n  train: train.conll\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["train", str(config), "--nproc", "2", "--nnodes", "2"])
    assert result.exit_code == 1
    assert "distributed.nnodes > 1 needs distributed.rdzv_endpoint" in result.stderr


def test_two_machines_with_fsdp_follow_the_loss_curve_of_one(one, two_machines) -> None:
    # as DDP: the same global batch, dropout off; the shards' gradients are reduce-scattered
    # instead of all-reduced (rounding only). Observed: equal to ~1e-6.
    assert len(two_machines[0]) == 6
    assert two_machines[0] == pytest.approx(one[0], abs=TOLERANCE)


def test_every_rank_joins_validation_and_rank_zero_reports_it(one, two_machines) -> None:
    (evaluation,) = two_machines[5]  # one epoch: one validation pass, after step 6
    assert evaluation["step"] == 6
    expected = one[2].evaluate(*ner_sentences(*DEV)).metrics()  # 1 process's weights
    assert evaluation["metrics"] == pytest.approx(expected, abs=TOLERANCE)


def test_fsdp_rank_zero_gathers_the_full_weights_into_checkpoints(one, two_machines) -> None:
    from safetensors.torch import load_file

    saved = load_file(str(two_machines[1] / "checkpoints" / "step-6" / "model.safetensors"))
    assert saved.keys() == one[1].keys()  # full tensors, the names of one process's model
    for name, weights in one[1].items():
        assert saved[name].shape == weights.shape, name
        assert torch.allclose(saved[name], weights, atol=TOLERANCE), name


def test_a_failed_machine_stops_the_other(two_machines) -> None:
    # machine 0's rank 0 (global rank 0: --node-rank 0) failed at the final save, after
    # every rank had joined the gathering of the weights; machine 1 ends with an error too
    assert two_machines[2].startswith("training process rank 0 failed: ConfigError: refusing")
    assert two_machines[3] != 0
    assert "training process rank 1 failed" in two_machines[4]


def test_a_sharded_checkpoint_resumes_in_one_process(
    one, two_machines, tiny_bert_dir: Path, tmp_path: Path
) -> None:
    checkpoint = two_machines[1] / "checkpoints" / "step-3"
    _, losses = _fine_tune(tiny_bert_dir, resume_from=str(checkpoint), output_dir=str(tmp_path))
    assert losses[3:] == pytest.approx(one[0][3:], abs=TOLERANCE)  # the optimizer state too


def test_rank_zero_saves_the_gathered_model_as_any_model(one, tmp_path: Path) -> None:
    """What rank 0 does at the end of an FSDP run, in a process group of one."""
    from open_interpreter.training import fsdp

    interpreter = one[2]
    sentences, _ = ner_sentences(12, seed=5)
    expected = [p.tags for p in interpreter.predict(sentences)]
    store = torch.distributed.HashStore()
    torch.distributed.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        model = interpreter.bundle.model
        shards = fsdp.ShardedModel(model, torch.device("cpu"))
        assert all(p.is_meta for p in model.parameters())  # released while training
        inputs = interpreter.bundle.tokenizer(["john visited paris ."], return_tensors="pt")
        with torch.inference_mode():  # scoring first, as a run resumed at an epoch's end
            shards.module(**inputs)
        shards.module(**inputs).logits.sum().backward()  # then a training step still works
        assert shards.gather() is model
    finally:
        torch.distributed.destroy_process_group()
    interpreter.bundle.save(tmp_path / "model")
    saved = OpenInterpreter.load(tmp_path / "model")
    for name, value in saved.bundle.model.state_dict().items():
        assert torch.equal(value, one[1][name]), name
    assert [p.tags for p in saved.predict(sentences)] == expected
    assert any(tag != "O" for tags in expected for tag in tags)  # it found entities


def test_fsdp_refuses_peft_before_any_process_starts() -> None:
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.errors import ConfigError

    config = FineTuneConfig().updated(distributed={"processes": 2, "strategy": "fsdp"}, peft="lora")
    with pytest.raises(ConfigError, match="fsdp does not train PEFT adapters"):
        distributed.check_launchable(config)
