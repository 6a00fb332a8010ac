"""The parity gate: an export is kept only if it computes what the PyTorch model computes.

Three checks, on a sample (the labelled data given, else the texts given, else
:data:`SAMPLE_TEXTS`):

- the exported tokenizer (``tokenizers`` alone) encodes the sample exactly as the
  training tokenizer does;
- fp32 ONNX logits are within :data:`LOGIT_TOLERANCE` of PyTorch's (fp32, same batches);
- with labelled data, the int8 model's headline metric (accuracy, or entity F1 for NER)
  is at most :data:`MAX_INT8_DROP` below PyTorch's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from open_interpreter.bundle import ModelBundle
from open_interpreter.data.encoding import Feature
from open_interpreter.data.examples import Examples
from open_interpreter.errors import ExportError
from open_interpreter.export.runtime import OnnxTokenizer, softmax

LOGIT_TOLERANCE = 1e-4
"""Largest absolute difference allowed between fp32 ONNX and PyTorch logits."""
MAX_INT8_DROP = 0.01
"""Largest drop of the headline metric allowed for an int8 model (1 point)."""
SAMPLE_TEXTS = [
    "Paris Hilton flew to New York with Apple's Tim Cook on Monday.",
    "Watching the Lakers game at Staples Center tonight",
    "The film was great, but the ending felt rushed and the music was far too loud.",
    "Angela Merkel met Emmanuel Macron in Berlin to discuss the European budget.",
    "worst service ever , never going back",
    "Shares of Microsoft rose 3% after the company reported strong cloud revenue.",
    "I loved it",
    "John works at Acme Corp in London and visits his sister Mary in Paris every spring, "
    "when the trains from Gare du Nord are full of students going home for Easter.",
]
"""Texts checked when no data is given: names, places, companies, sentiment, lengths."""


@dataclass
class Sample:
    """What parity is checked on: examples, their encoding, and whether they are labelled."""

    examples: Examples
    features: list[Feature]
    labelled: bool


def parity_sample(bundle: ModelBundle, texts: list[Any] | None, data: Any, labels: Any) -> Sample:
    """The examples to check: labelled ``data`` (forms ``evaluate`` takes), else ``texts``
    (inputs ``predict`` takes), else :data:`SAMPLE_TEXTS` (paired up for sentence-pair).

    Raises:
        DataError: The data or texts have a shape the task does not take.
    """
    from open_interpreter import inference
    from open_interpreter.data.inputs import to_examples

    task = bundle.require_head()
    if data is not None:
        examples = to_examples(data, labels, require_labels=True, source="parity data")
        return Sample(examples, inference.encode(bundle, examples), labelled=True)
    if texts is None:
        texts = list(SAMPLE_TEXTS)
        if task.name == "sentence-pair":
            texts = list(zip(texts, texts[1:] + texts[:1], strict=True))
    examples = task.prepare_inputs(bundle.tokenizer, task.check_inputs(list(texts))).examples
    return Sample(examples, inference.encode(bundle, examples, labelled=False), labelled=False)


def torch_logits(module: Any, features: list[Feature], pad_id: int) -> list[np.ndarray]:
    """The PyTorch model's fp32 logits per feature, batched as the ONNX runtime batches.

    Args:
        module: The model as traced (:func:`~open_interpreter.export.exporter.logits_module`).
        features: Encoded examples.
        pad_id: The tokenizer's padding id.
    """
    import torch

    from open_interpreter.export.runtime import padded

    out: list[np.ndarray | None] = [None] * len(features)
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    with torch.inference_mode():
        for start in range(0, len(order), 16):
            batch = order[start : start + 16]
            arrays = padded([features[i] for i in batch], pad_id)
            inputs = [torch.from_numpy(arrays[name]) for name in module.input_names]
            logits = module(*inputs).float().numpy()
            for row, i in enumerate(batch):
                out[i] = logits[row, : len(features[i])] if logits.ndim == 3 else logits[row]
    return out  # type: ignore[return-value]


def largest_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The largest absolute difference between matching arrays of ``a`` and ``b``."""
    return max((float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True)), default=0.0)


def check_tokenizer(tokenizer: OnnxTokenizer, sample: Sample, max_length: int) -> None:
    """Raise unless the exported tokenizer encodes the sample as training did.

    Raises:
        ExportError: A feature's ids, word ids or segment ids differ; names the first.
    """
    mine = tokenizer.encode(sample.examples, max_length)
    theirs = sample.features
    if len(mine) != len(theirs):
        raise ExportError(
            f"the exported tokenizer splits the sample into {len(mine)} windows, the model's "
            f"tokenizer into {len(theirs)}; the export was not written"
        )
    for a, b in zip(mine, theirs, strict=True):
        same_types = a.token_type_ids is None or b.token_type_ids in (None, a.token_type_ids)
        if a.input_ids != b.input_ids or a.word_ids != b.word_ids or not same_types:
            raise ExportError(
                f"the exported tokenizer encodes sample example {b.example} differently from "
                f"the model's tokenizer ({a.input_ids[:8]}... against {b.input_ids[:8]}...); "
                "the export was not written"
            )


def check_logits(reference: list[np.ndarray], exported: list[np.ndarray], n: int) -> float:
    """The largest logit difference; raises when it is over :data:`LOGIT_TOLERANCE`.

    Raises:
        ExportError: fp32 ONNX logits differ from PyTorch's by more than the tolerance.
    """
    difference = largest_difference(reference, exported)
    if not difference <= LOGIT_TOLERANCE:
        raise ExportError(
            f"fp32 ONNX logits differ from PyTorch's by {difference:.2e} on {n} sample "
            f"examples (allowed: {LOGIT_TOLERANCE:.0e}); the export was not written"
        )
    return difference


def agreement(
    bundle: ModelBundle, sample: Sample, a: list[np.ndarray], b: list[np.ndarray]
) -> float:
    """Share of the sample's predicted labels (word tags for NER) two sets of logits agree on."""

    def labels(predictions: list[Any]) -> list[str]:
        return [tag for p in predictions for tag in (p.tags if hasattr(p, "tags") else [p.label])]

    first, second = labels(decode(bundle, sample, a)), labels(decode(bundle, sample, b))
    same = sum(x == y for x, y in zip(first, second, strict=True))
    return same / len(first) if first else 1.0


def decode(bundle: ModelBundle, sample: Sample, logits: list[np.ndarray]) -> list[Any]:
    """The task's predictions from logits of the sample's features."""
    from open_interpreter.tasks.forward import ForwardResult

    task = bundle.require_head()
    result = ForwardResult(probabilities=softmax(logits), loss=None)
    return task.decode(sample.examples, sample.features, result, dict(enumerate(bundle.labels)))


def headline(bundle: ModelBundle, sample: Sample, logits: list[np.ndarray]) -> float:
    """The headline metric (accuracy, or entity F1 for NER) of logits on labelled data."""
    task = bundle.require_head()
    predictions = decode(bundle, sample, logits)
    report = task.score(sample.examples, predictions, bundle.labels or [], None, "parity")
    return float(report.headline)


def check_int8_metric(metric: str, reference: float, int8: float) -> None:
    """Raise when the int8 model's metric is more than :data:`MAX_INT8_DROP` below PyTorch's.

    Raises:
        ExportError: The int8 model loses more than a point.
    """
    if reference - int8 > MAX_INT8_DROP + 1e-12:
        raise ExportError(
            f"the int8 model's {metric} is {int8:.4f} against PyTorch's {reference:.4f}: "
            f"{100 * (reference - int8):.2f} points lower (allowed: "
            f"{100 * MAX_INT8_DROP:.0f}); export fp32 instead (no quantize); the export was "
            "not written"
        )
