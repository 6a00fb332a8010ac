"""What a continued model carries beside its weights, in its directory's ``continual/``:

    continual/history.json        # tasks, steps, and the score matrix R[i][j]
    continual/eval/task-<j>.json  # the evaluation set of every task so far
    continual/replay.json         # the rehearsal buffer (see replay.py)
    continual/fisher.safetensors  # the diagonal Fisher of this version (EWC)
    continual/adapters/<name>/    # every earlier version's LoRA adapter (lora-per-version)

It travels with the model: ``oi models register`` and the registry copy the directory.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.atomic import replace_dir, temporary_sibling
from open_interpreter.continual.examples import examples_from_items, examples_to_items
from open_interpreter.continual.replay import ReplayBuffer
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import ModelNotFoundError

if TYPE_CHECKING:
    from open_interpreter.continual.penalties import Weights  # torch tensors

FOLDER = "continual"
HISTORY = "history.json"
REPLAY = "replay.json"
FISHER = "fisher.safetensors"
ADAPTERS = "adapters"


@dataclass
class ContinualState:
    """The continual record of one model version.

    Attributes:
        metric: The score in the matrix (the task's headline metric).
        tasks: Per task, in order: name, labels it added, examples trained / evaluated on.
        steps: Per step (one per task): strategy, settings, seconds, examples trained on.
        matrix: ``matrix[i][j]``: the score on task ``j``'s evaluation set after step
            ``i`` (``j <= i``: a task's data is not known before its step).
        eval_sets: The evaluation set of every task, in order.
        buffer: The rehearsal buffer, None before the first step.
        fisher: The diagonal Fisher of this version, None when never estimated.
        adapters: Per LoRA adapter version (``lora-per-version``), in order: its name, the
            task it was trained for, and its path in the model directory (``.`` for the
            newest, the model's own adapter).
        adapter_files: The files of every earlier version's adapter, by name.
    """

    metric: str
    tasks: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    matrix: list[list[float]] = field(default_factory=list)
    eval_sets: list[Examples] = field(default_factory=list)
    buffer: ReplayBuffer | None = None
    fisher: Weights | None = None
    adapters: list[dict[str, Any]] = field(default_factory=list)
    adapter_files: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def history(self) -> dict[str, Any]:
        """``history.json``'s contents."""
        history: dict[str, Any] = {
            "metric": self.metric,
            "tasks": self.tasks,
            "steps": self.steps,
            "matrix": self.matrix,
        }
        if self.adapters:
            history["adapters"] = self.adapters
        return history

    def save(self, model_dir: Path) -> Path:
        """Write the state into ``model_dir/continual`` (replacing it in one step)."""
        from safetensors.torch import save_file

        final = Path(model_dir) / FOLDER
        tmp = temporary_sibling(final)
        (tmp / "eval").mkdir(parents=True)
        try:
            _write_json(tmp / HISTORY, self.history())
            for j, examples in enumerate(self.eval_sets):
                _write_json(tmp / "eval" / f"task-{j}.json", _eval_file(examples))
            if self.buffer is not None:
                _write_json(tmp / REPLAY, self.buffer.to_dict())
            if self.fisher is not None:
                save_file({k: v.contiguous() for k, v in self.fisher.items()}, tmp / FISHER)
            for name, files in self.adapter_files.items():
                (tmp / ADAPTERS / name).mkdir(parents=True)
                for file_name, data in files.items():
                    (tmp / ADAPTERS / name / file_name).write_bytes(data)
            replace_dir(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    @classmethod
    def load(cls, model_dir: Path, *, replay_size: int | None = None) -> ContinualState | None:
        """The state saved with the model in ``model_dir`` (None when it has none).

        Raises:
            ModelNotFoundError: The state is there but a file it names is missing.
        """
        folder = Path(model_dir) / FOLDER
        if not (folder / HISTORY).is_file():
            return None
        history = json.loads((folder / HISTORY).read_text(encoding="utf-8"))
        state = cls(
            metric=history["metric"],
            tasks=history["tasks"],
            steps=history["steps"],
            matrix=history["matrix"],
            adapters=history.get("adapters", []),
        )
        for entry in state.adapters:
            if entry["path"] == ".":
                continue
            kept = folder / ADAPTERS / entry["name"]
            if not kept.is_dir():
                raise ModelNotFoundError(str(model_dir), [f"{kept}: missing"], "save it again")
            state.adapter_files[entry["name"]] = {
                file.name: file.read_bytes() for file in kept.iterdir() if file.is_file()
            }
        for j in range(len(state.tasks)):
            file = folder / "eval" / f"task-{j}.json"
            if not file.is_file():
                raise ModelNotFoundError(str(model_dir), [f"{file}: missing"], "save it again")
            state.eval_sets.append(_read_eval_file(file))
        if (folder / REPLAY).is_file():
            data = json.loads((folder / REPLAY).read_text(encoding="utf-8"))
            state.buffer = ReplayBuffer.from_dict(data, replay_size)
        if (folder / FISHER).is_file():
            from safetensors.torch import load_file

            state.fisher = load_file(folder / FISHER)
        return state


def _eval_file(examples: Examples) -> dict[str, Any]:
    kind = "tokens" if isinstance(examples, TokenExamples) else "texts"
    return {"kind": kind, "source": examples.source, "items": examples_to_items(examples)}


def _read_eval_file(file: Path) -> Examples:
    data = json.loads(file.read_text(encoding="utf-8"))
    like: Examples = TokenExamples([]) if data["kind"] == "tokens" else TextExamples([])
    return examples_from_items(data["items"], like, source=data.get("source", file.name))


def _write_json(file: Path, data: Any) -> None:
    file.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
