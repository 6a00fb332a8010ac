"""A model bundle's directory: plain ``transformers`` files plus what we know of the run.

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
import platform
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from open_interpreter.atomic import no_space_left, replace_dir, temporary_sibling
from open_interpreter.bundle.card import model_card
from open_interpreter.errors import ConfigError, ModelNotFoundError, OutOfSpaceError
from open_interpreter.paths import MANIFEST
from open_interpreter.peft import is_peft_model, save_adapter

TRAINING_CONFIG = "training_config.json"
METRICS = "metrics.json"


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
    """Write a saved model directory atomically: into a temporary folder beside ``path``,
    then put in its place in one step (see :func:`open_interpreter.atomic.replace_dir`),
    so ``path`` holds either what it held before or the whole new model, never part of it.

    Returns:
        The directory written.

    Raises:
        OutOfSpaceError: The disk, a quota or the file-size limit had no room for it
            (nothing of the new model is left behind).
        ConfigError: ``path`` holds files that are neither a saved model nor checkpoints.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    tmp.mkdir()
    try:
        _write_files(tmp, model, tokenizer, manifest, training_config, metrics)
        _replace_dir(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, Exception) and no_space_left(exc):
            first_line = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
            raise OutOfSpaceError(
                f"no space left to save the model to {path}: {first_line}"
            ) from exc
        raise
    return path


def _write_files(
    into: Path,
    model: Any,
    tokenizer: Any,
    manifest: dict[str, Any],
    training_config: dict[str, Any] | None,
    metrics: dict[str, Any] | None,
) -> None:
    from open_interpreter.models.loading import quiet_transformers

    with quiet_transformers():
        if is_peft_model(model):
            save_adapter(model, into)
        else:
            model.save_pretrained(into)
        tokenizer.save_pretrained(into)
    manifest = {
        **manifest,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    _write_json(into / MANIFEST, manifest)
    if training_config is not None:
        _write_json(into / TRAINING_CONFIG, training_config)
    if metrics is not None:
        _write_json(into / METRICS, metrics)
    (into / "README.md").write_text(
        model_card(manifest, training_config, metrics), encoding="utf-8"
    )


def _replace_dir(new: Path, path: Path) -> None:
    """Put ``new`` in place of ``path``: only an empty folder, a folder holding nothing but
    run checkpoints, or an earlier saved model is ever replaced."""
    if path.exists():
        entries = {p.name for p in path.iterdir()}
        if entries and MANIFEST not in entries and entries != {"checkpoints"}:
            raise ConfigError(
                f"refusing to save into {path}: it holds other files ({sorted(entries)[:5]}); "
                "choose an empty or new directory"
            )
    replace_dir(new, path)


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
