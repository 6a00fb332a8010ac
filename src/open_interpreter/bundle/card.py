"""The model card (``README.md``) written into every saved model directory.

It opens with the Hugging Face metadata header (YAML between ``---`` lines: library,
pipeline tag, base model, tags, datasets and a ``model-index`` of the scores), built
with ``huggingface_hub``'s own ``ModelCardData``, so the Hub lists and filters a pushed
model like any other (:mod:`open_interpreter.bundle.hub`).
"""

from __future__ import annotations

import re
from typing import Any

PIPELINE_TAGS = {
    "token-classification": "token-classification",
    "sequence-classification": "text-classification",
    "sentence-pair": "text-classification",
    "causal-lm": "text-generation",
    "seq2seq": "text2text-generation",
}
"""Each task's Hugging Face pipeline tag (what the Hub's widget and filters use)."""

# Scores a report holds → (metric type, the name shown) for the model-index.
_SCORES = (
    (("accuracy",), "accuracy", "Accuracy"),
    (("macro_f1",), "f1", "Macro F1"),
    (("entities", "micro avg", "f1"), "f1", "Entity F1 (micro)"),
    (("entities", "micro avg", "precision"), "precision", "Entity precision (micro)"),
    (("entities", "micro avg", "recall"), "recall", "Entity recall (micro)"),
)


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
    """A Markdown model card: the Hub metadata header, what the model does, how it was
    trained, how it scores."""
    lines = [
        "---",
        card_metadata(manifest, metrics).rstrip(),
        "---",
        "",
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
        # File names, never the folders they were in: the card travels with the model.
        lines += ["", "## Data", ""] + [
            f"- {split}: {_without_folders(info)}" for split, info in manifest["data"].items()
        ]
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


def card_metadata(manifest: dict[str, Any], metrics: dict[str, Any] | None) -> str:
    """The Hugging Face metadata header of a saved model's card, as YAML.

    Args:
        manifest: The model's ``oi_model.json``.
        metrics: Its ``metrics.json`` (the ``reports`` per split become the model-index).

    Returns:
        YAML (without the ``---`` lines): ``library_name`` (``peft`` for an adapter,
        else ``transformers``), ``pipeline_tag``, ``base_model`` (the Hub id where the
        base is a catalogue alias), ``tags``, ``datasets`` and ``model-index``.
    """
    from huggingface_hub import EvalResult, ModelCardData

    task = manifest["task"]
    name = _slug(manifest.get("name") or "model")
    data = manifest.get("data") or {}
    results = []
    for split, report in ((metrics or {}).get("reports") or {}).items():
        source = _source_of(data.get(split, "")) or split
        for path, metric_type, metric_name in _SCORES:
            value = _dig(report, path)
            if isinstance(value, int | float) and value == value:  # not NaN
                results.append(
                    EvalResult(
                        task_type=PIPELINE_TAGS.get(task, task),
                        dataset_type=_slug(source),
                        dataset_name=source,
                        dataset_split=split,
                        metric_type=metric_type,
                        metric_name=metric_name,
                        metric_value=round(float(value), 4),
                    )
                )
    sources = sorted({_slug(s) for s in map(_source_of, data.values()) if s})
    card = ModelCardData(
        library_name="peft" if "adapter" in manifest else "transformers",
        pipeline_tag=PIPELINE_TAGS.get(task),
        base_model=_hub_id(manifest["base_model"]),
        tags=["open-interpreter", task, *(["lora"] if "adapter" in manifest else [])],
        datasets=sources or None,
        model_name=name if results else None,
        eval_results=results or None,
    )
    return card.to_yaml()


def _hub_id(base_model: str) -> str:
    from open_interpreter.models.catalogue import catalogue_entry

    entry = catalogue_entry(base_model)
    return entry.hub_id if entry is not None else base_model


def _source_of(info: Any) -> str:
    """``"wnut16"`` from ``"240 examples from package:wnut16"`` (or from a mapping with a
    ``source``); a file's name, never its folder, from a path."""
    _, source = _split(info)
    return _file_name(source.removeprefix("package:")) if source else ""


def _without_folders(info: Any) -> str:
    """``"30 examples from test.conll"`` from ``"30 examples from /home/me/test.conll"``."""
    head, source = _split(info)
    return f"{head} from {_file_name(source)}" if source else str(info)


def _split(info: Any) -> tuple[str, str]:
    """(``"30 examples"``, the source) of what a bundle says of one split's data."""
    if isinstance(info, dict):
        count = info.get("examples")
        return (f"{count} examples" if count is not None else "data"), str(info.get("source") or "")
    head, found, source = str(info).partition(" examples from ")
    return (f"{head} examples", source) if found else ("", "")


def _file_name(source: str) -> str:
    return re.split(r"[\\/]", source)[-1]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:96] or "data"


def _dig(report: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = report
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
