"""The saved-model directory: plain ``transformers`` files plus what we know of the run.

Layout::

    config.json, model.safetensors, tokenizer files   # AutoModelFor...from_pretrained(dir)
    (or, for a PEFT model: adapter_config.json, adapter_model.safetensors — the adapter
    and task head only; oi_model.json names the base model it goes on)
    oi_model.json         # task, labels, base model, library versions
    training_config.json  # the FineTuneConfig of the run
    metrics.json          # before/after and test reports
    README.md             # model card: data, settings, results
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.errors import ConfigError, ModelNotFoundError, ModelStateError
from open_interpreter.peft import adapter_method, count_parameters, is_peft_model, save_adapter

if TYPE_CHECKING:
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.interpreter import OpenInterpreter

MANIFEST = "oi_model.json"


def save(interpreter: OpenInterpreter, path: Path) -> Path:
    """Save ``interpreter``'s model, tokenizer, labels, settings and reports to ``path``."""
    result = interpreter.result
    manifest = {
        "name": Path(path).name,
        "task": interpreter.task.name,
        "auto_class": interpreter.task.auto_class,
        "labels": interpreter.labels,
        "base_model": interpreter.model_name,
        "data": interpreter._data_info,
    }
    if is_peft_model(interpreter.model):
        manifest["adapter"] = {
            "method": _method_of(interpreter),
            "name": interpreter.model.active_adapter,
            "base_model": interpreter.model_name,
            "parameters": count_parameters(interpreter.model).to_dict(),
        }
    return write_saved_model(
        path,
        model=interpreter.model,
        tokenizer=interpreter.tokenizer,
        manifest=manifest,
        training_config=interpreter.config.model_dump(mode="json"),
        metrics=result.to_dict() if result is not None else None,
    )


def load(cls: type[OpenInterpreter], path: Path) -> OpenInterpreter:
    """Load a saved model directory into a ready-to-use interpreter."""
    from open_interpreter.models.loading import load_with_head

    manifest = read_manifest(path)
    interpreter = _interpreter(cls, Path(path), manifest)
    if "adapter" in manifest:
        interpreter.model = _load_adapted(Path(path), manifest, interpreter.config)
    else:
        interpreter.model = load_with_head(
            Path(path),
            manifest["auto_class"],
            trust_remote_code=interpreter.config.trust_remote_code,
        )
    interpreter.model.eval()
    return interpreter


def load_sharing(cls: type[OpenInterpreter], path: Path, model: Any) -> OpenInterpreter:
    """An interpreter for the adapter saved in ``path`` that answers with ``model``.

    ``model`` is a base shared by several adapters and already carrying this one; the
    interpreter brings the adapter's own task, labels, tokenizer and settings. The caller
    switches the shared model to the adapter before each use.

    Raises:
        ModelNotFoundError: ``path`` is not a saved model.
        ModelStateError: It holds a whole model, not an adapter.
    """
    manifest = read_manifest(path)
    if "adapter" not in manifest:
        raise ModelStateError(f"{path} holds a whole model, not an adapter")
    interpreter = _interpreter(cls, Path(path), manifest)
    interpreter.model = model
    return interpreter


def _interpreter(
    cls: type[OpenInterpreter], path: Path, manifest: dict[str, Any]
) -> OpenInterpreter:
    """An interpreter with everything of a saved model but its weights."""
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.models.loading import load_tokenizer
    from open_interpreter.tasks import get_task

    interpreter = cls(str(path))
    config_file = path / "training_config.json"
    if config_file.is_file():
        interpreter.config = FineTuneConfig.build(
            json.loads(config_file.read_text(encoding="utf-8"))
        )
    interpreter.task = get_task(manifest["task"])
    interpreter.labels = list(manifest["labels"])
    if "adapter" in manifest:
        interpreter.model_name = manifest["adapter"]["base_model"]
    interpreter.tokenizer = load_tokenizer(
        path, trust_remote_code=interpreter.config.trust_remote_code
    )
    interpreter._has_head = True
    interpreter._data_info = manifest.get("data", {})
    return interpreter


def _method_of(interpreter: OpenInterpreter) -> str:
    peft = interpreter.config.peft
    # A QLoRA adapter is a LoRA adapter; the base it goes on is loaded in 4-bit again.
    return (
        "qlora"
        if peft is not None and peft.method == "qlora"
        else adapter_method(interpreter.model)
    )


def _load_adapted(path: Path, manifest: dict[str, Any], config: FineTuneConfig) -> Any:
    """Load the base model an adapter was trained on (offline first), then the adapter."""
    from open_interpreter.peft import PROMPT_LEARNING, load_adapter

    adapter = manifest["adapter"]
    model = load_base(manifest, trust_remote_code=config.trust_remote_code)
    # peft loads virtual-token adapters for inference only; weight adapters stay trainable.
    trainable = adapter["method"] not in PROMPT_LEARNING
    return load_adapter(model, path, adapter.get("name", "default"), trainable=trainable)


def load_base(manifest: dict[str, Any], *, trust_remote_code: bool = False) -> Any:
    """The base model a saved adapter names (offline first), with a new head for its labels.

    Args:
        manifest: The adapter directory's ``oi_model.json`` (see :func:`read_manifest`).
        trust_remote_code: Run the model's own code from its files.

    Returns:
        The ``transformers`` model, without the adapter (4-bit for a QLoRA adapter).
    """
    from open_interpreter.models.loading import load_with_head
    from open_interpreter.models.resolve import resolve_model
    from open_interpreter.peft import load_four_bit

    adapter = manifest["adapter"]
    base = resolve_model(adapter["base_model"]).path
    labels = list(manifest["labels"]) or None
    if adapter["method"] == "qlora":
        return load_four_bit(base, manifest["auto_class"], labels)
    return load_with_head(
        base, manifest["auto_class"], labels=labels, trust_remote_code=trust_remote_code
    )


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a trained model's behaviour."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("open-interpreter-nlp", "torch", "transformers", "tokenizers", "peft"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def write_saved_model(
    path: Path,
    *,
    model: Any,
    tokenizer: Any,
    manifest: dict[str, Any],
    training_config: dict[str, Any] | None,
    metrics: dict[str, Any] | None,
) -> Path:
    """Write a saved model directory atomically (temporary folder, then rename).

    Returns:
        The directory written.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    from open_interpreter.models.loading import quiet_transformers

    with quiet_transformers():
        if is_peft_model(model):
            save_adapter(model, tmp)
        else:
            model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    manifest = {
        **manifest,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    _write_json(tmp / MANIFEST, manifest)
    if training_config is not None:
        _write_json(tmp / "training_config.json", training_config)
    if metrics is not None:
        _write_json(tmp / "metrics.json", metrics)
    (tmp / "README.md").write_text(model_card(manifest, training_config, metrics), encoding="utf-8")
    _replace_dir(tmp, path)
    return path


def _replace_dir(new: Path, path: Path) -> None:
    """Put ``new`` in place of ``path``: only an empty folder, a folder holding nothing but
    run checkpoints, or an earlier saved model is ever replaced."""
    if path.exists():
        entries = {p.name for p in path.iterdir()}
        if entries and MANIFEST not in entries and entries != {"checkpoints"}:
            shutil.rmtree(new, ignore_errors=True)
            raise ConfigError(
                f"refusing to save into {path}: it holds other files ({sorted(entries)[:5]}); "
                "choose an empty or new directory"
            )
        shutil.rmtree(path)
    os.replace(new, path)


def read_manifest(path: Path) -> dict[str, Any]:
    """Read ``oi_model.json`` of a saved model.

    Raises:
        ModelNotFoundError: ``path`` is not a model saved by Open Interpreter.
    """
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise ModelNotFoundError(
            str(path),
            [f"{file}: missing" if Path(path).is_dir() else f"{path}: no such directory"],
            "OpenInterpreter.load() reads directories written by interpreter.save(path) or "
            "`oi train`; use OpenInterpreter(name) for a pretrained model",
        )
    return json.loads(file.read_text(encoding="utf-8"))


def _write_json(file: Path, data: Any) -> None:
    file.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def _loading_snippet(manifest: dict[str, Any]) -> list[str]:
    load = f"transformers.{manifest['auto_class']}.from_pretrained"
    if "adapter" not in manifest:
        return [
            "It loads with plain `transformers`:",
            "",
            "```python",
            "import transformers",
            f"model = {load}(path)",
            "```",
        ]
    adapter = manifest["adapter"]
    share = adapter["parameters"]["percent"]
    head = f", num_labels={len(manifest['labels'])}" if manifest["labels"] else ""
    return [
        f"This folder holds a `{adapter['method']}` adapter (and the task head): "
        f"{share:.2f}% of the parameters. It goes on the base model `{adapter['base_model']}`:",
        "",
        "```python",
        "import transformers",
        "from peft import PeftModel",
        f"model = PeftModel.from_pretrained({load}(BASE_MODEL_DIR{head}), path)",
        "```",
        "",
        "or `OpenInterpreter.load(path)`, which finds the base model itself.",
    ]


def model_card(
    manifest: dict[str, Any], config: dict[str, Any] | None, metrics: dict[str, Any] | None
) -> str:
    """A Markdown model card: what the model does, how it was trained, how it scores."""
    lines = [
        f"# {manifest.get('name') or 'Fine-tuned model'}",
        "",
        f"A `{manifest['task']}` model fine-tuned from `{manifest['base_model']}` with "
        "Open Interpreter.",
        "",
        *_loading_snippet(manifest),
    ]
    if manifest["labels"]:
        labels = ", ".join(f"`{x}`" for x in manifest["labels"])
        lines += ["", f"Labels ({len(manifest['labels'])}): {labels}"]
    if manifest.get("data"):
        lines += ["", "## Data", ""] + [f"- {k}: {v}" for k, v in manifest["data"].items()]
    if config:
        keys = (
            "learning_rate",
            "batch_size",
            "epochs",
            "max_steps",
            "optimizer",
            "schedule",
            "warmup_ratio",
            "weight_decay",
            "max_length",
            "freeze",
            "precision",
            "seed",
        )
        lines += ["", "## Training settings", ""]
        lines += [f"- {k}: {config[k]}" for k in keys if config.get(k) is not None]
    for split, report in (metrics or {}).get("reports", {}).items():
        lines += ["", f"## Results: {split}", "", "```", report.get("text", "").rstrip(), "```"]
    lines += [
        "",
        "Library versions: " + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()),
    ]
    return "\n".join(lines) + "\n"
