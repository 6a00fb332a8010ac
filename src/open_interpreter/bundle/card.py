"""The model card (``README.md``) written into every saved model directory."""

from __future__ import annotations

from typing import Any


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
