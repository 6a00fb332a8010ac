"""The export's card: ``export.json`` (what the runtime reads, with the parity figures)
and a ``README.md`` that says the same for people."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from open_interpreter.export.runtime import MODEL_FILE

_VERSIONED = ("open-interpreter-nlp", "torch", "transformers", "tokenizers", "onnx", "onnxruntime")


def export_card(
    bundle: Any, task: Any, figures: dict[str, Any], *, name: str, precision: str, opset: int
) -> dict[str, Any]:
    """What ``export.json`` holds: the model's task, labels and settings for the runtime,
    where it came from, the library versions and the parity figures.

    Args:
        bundle: The exported bundle.
        task: Its task.
        figures: The parity figures (with the graph's ``inputs`` and ``max_length``).
        name: The export's name (its directory's).
        precision: ``fp32`` or ``int8``.
        opset: The ONNX opset of the graph.
    """
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    source = str(bundle.path) if bundle.path is not None else None
    return {
        "name": name,
        "format": "onnx",
        "precision": precision,
        "model_file": MODEL_FILE,
        "task": task.name,
        "labels": list(bundle.labels or []),
        "inputs": figures["inputs"],
        "max_length": figures["max_length"],
        "pad_token_id": bundle.tokenizer.pad_token_id,
        "opset": opset,
        "source": {"path": source, "base_model": bundle.model_name},
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "parity": {k: v for k, v in figures.items() if k not in ("inputs", "max_length")},
    }


def write_card(file: Path, card: dict[str, Any]) -> None:
    """Write ``export.json``."""
    file.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def export_readme(card: dict[str, Any]) -> str:
    """A Markdown card: what the export is, how to use it, how closely it matches PyTorch."""
    parity = card["parity"]
    labels = ", ".join(f"`{x}`" for x in card["labels"])
    lines = [
        f"# {card['name']}",
        "",
        f"A `{card['task']}` model fine-tuned from `{card['source']['base_model']}`, exported "
        f"to {card['precision']} ONNX by Open Interpreter ({card['exporter']}, opset "
        f"{card['opset']}"
        + (", ONNX Runtime dynamic int8 quantisation" if card["precision"] == "int8" else "")
        + "). It predicts with ONNX Runtime and `tokenizers` only, without torch:",
        "",
        "```python",
        "from open_interpreter.export import OnnxModel",
        "model = OnnxModel.load(path)",
        'model.predict(["Paris Hilton flew to Paris"])',
        "```",
        "",
        f"Labels ({len(card['labels'])}): {labels}",
        "",
        "## Parity with the PyTorch model",
        "",
        f"Checked on {parity['sample']}:",
        "",
        "- the exported tokenizer encodes every example as the model's tokenizer does;",
        f"- fp32 ONNX logits differ from PyTorch's by at most "
        f"{parity['fp32_max_logit_difference']:.2e} (allowed {parity['logit_tolerance']:.0e});",
    ]
    if "int8_max_logit_difference" in parity:
        lines.append(
            f"- int8 logits differ by at most {parity['int8_max_logit_difference']:.3f}; "
            f"int8 predicts the same label for {100 * parity['int8_agreement']:.1f}% of "
            "labels (words for NER);"
        )
    metrics = parity.get("metrics")
    if metrics:
        lines += ["", f"| model | {metrics['metric']} |", "|---|---|"]
        for name in ("pytorch", "onnx_fp32", "onnx_int8"):
            if name in metrics:
                lines.append(f"| {name.replace('_', ' ')} | {metrics[name]:.4f} |")
        if "onnx_int8" in metrics:
            lines += ["", f"int8 may lose at most {100 * metrics['max_drop']:.0f} point."]
    elif card["precision"] == "int8":
        lines += ["", "No labelled data was given, so the int8 metric was not checked."]
    lines += [
        "",
        f"Exported in {card['seconds']:.1f} s on {card['exported_at']}. Library versions: "
        + ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
    ]
    return "\n".join(lines) + "\n"
