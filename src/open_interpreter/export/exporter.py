"""Export a bundle's model to ONNX (fp32, or int8 by dynamic quantisation), gated on parity.

The graph is traced by ``torch.onnx.export`` with the TorchScript exporter
(``dynamo=False``): it needs nothing beyond torch and ``onnx``, works offline, and gives
graphs ONNX Runtime optimises well for BERT-style encoders. Batch and sequence axes are
dynamic. int8 is ONNX Runtime's own dynamic quantisation (weights int8, activations
quantised on the fly). Everything is written into a temporary folder beside the target
and put in place only once the parity gate (:mod:`open_interpreter.export.parity`) passes.
"""

from __future__ import annotations

import copy
import inspect
import logging
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from open_interpreter.atomic import no_space_left, replace_dir, temporary_sibling
from open_interpreter.bundle import ModelBundle
from open_interpreter.errors import ConfigError, ExportError, OutOfSpaceError
from open_interpreter.export import parity
from open_interpreter.export.card import export_card, export_readme, write_card
from open_interpreter.export.runtime import (
    EXPORT_CARD,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxTokenizer,
    session_logits,
)

logger = logging.getLogger("open_interpreter")

FORMATS = ("onnx",)
QUANTIZATIONS = (None, "int8")
OPSET = 17
EXPORTER = "torch.onnx.export (TorchScript, dynamo=False)"


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote and how closely it matches the PyTorch model.

    Attributes:
        path: The exported directory.
        precision: ``fp32`` or ``int8``.
        seconds: Time the export took, parity checks included.
        size_bytes: Size of the directory.
        parity: The parity figures also written into ``export.json``.
    """

    path: Path
    precision: str
    seconds: float
    size_bytes: int
    parity: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        checks = parity_summary(self.parity)
        return (
            f"Exported {self.precision} ONNX to {self.path} ({self.size_bytes / 1e6:.1f} MB) "
            f"in {self.seconds:.1f} s; {checks}"
        )


def export_onnx(
    bundle: ModelBundle,
    path: str | Path,
    *,
    quantize: str | None = None,
    parity_texts: list[Any] | None = None,
    parity_data: Any = None,
    parity_labels: Any = None,
) -> ExportReport:
    """Export ``bundle``'s classification or NER model to an ONNX directory.

    The directory holds ``model.onnx``, ``tokenizer.json`` (and ``tokenizer_config.json``),
    ``export.json`` (task, labels, settings, parity figures) and ``README.md``, and
    predicts with :class:`~open_interpreter.export.OnnxModel` without torch. A LoRA or
    IA3 adapter is merged (into a copy) first.

    Args:
        bundle: A bundle whose model has its task head.
        path: The directory to write: new, empty, or an earlier export (replaced).
        quantize: None for fp32, ``"int8"`` for dynamic int8 quantisation.
        parity_texts: Inputs (as ``predict`` takes them) to check parity on.
        parity_data: Labelled data (as ``evaluate`` takes it) to check parity on; needed
            for the int8 metric check.
        parity_labels: Labels of ``parity_data`` when it is a list.

    Returns:
        Where it was written, its size, and the parity figures.

    Raises:
        ExportError: The task or adapter cannot be exported yet, or a parity check failed
            (nothing is written).
        ConfigError: ``quantize`` is unknown, or ``path`` holds other files.
        OutOfSpaceError: The disk had no room (nothing is left behind).

    Example:
        >>> export_onnx(bundle, "exports/ner-int8", quantize="int8")  # doctest: +SKIP
    """
    started = time.perf_counter()
    if quantize not in QUANTIZATIONS:
        raise ConfigError(f"quantize must be None or 'int8', got {quantize=}")
    task = exportable(bundle)
    path = Path(path)
    check_target(path)
    sample = parity.parity_sample(bundle, parity_texts, parity_data, parity_labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    tmp.mkdir()
    was_training = bundle.model.training
    try:
        figures = _write_export(bundle, tmp, sample, quantize)
        card = export_card(
            bundle, task, figures, name=path.name, precision=quantize or "fp32", opset=OPSET
        )
        card["exporter"] = EXPORTER
        card["seconds"] = round(time.perf_counter() - started, 2)
        write_card(tmp / EXPORT_CARD, card)
        (tmp / "README.md").write_text(export_readme(card), encoding="utf-8")
        replace_dir(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, Exception) and no_space_left(exc):
            raise OutOfSpaceError(f"no space left to export the model to {path}") from exc
        raise
    finally:
        bundle.model.train(was_training)  # tracing ran it in eval mode
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    report = ExportReport(path, quantize or "fp32", time.perf_counter() - started, size, figures)
    logger.info("%s", report)
    return report


def exportable(bundle: ModelBundle) -> Any:
    """The bundle's task, when its model can be exported.

    Raises:
        ExportError: A generative model, a virtual-token adapter or a 4-bit model.
        ModelStateError: The model has no head yet.
    """
    from open_interpreter.peft import PROMPT_LEARNING, adapter_method, is_peft_model

    task = bundle.require_head()
    if task.generative:
        raise ExportError(
            f"{task.name} models do not export to ONNX yet: export covers classification, "
            "sentence-pair and token classification (NER) models. Generation needs the "
            "key/value cache as graph inputs and outputs, which Optimum's exporter builds "
            "but which needs transformers<4.58 (this release runs on transformers 5); serve "
            "generative models with PyTorch (oi serve, /v1/generate)"
        )
    if is_peft_model(bundle.model):
        qlora = bundle.config.peft is not None and bundle.config.peft.method == "qlora"
        method = "qlora" if qlora else adapter_method(bundle.model)
        if method in PROMPT_LEARNING or qlora:
            raise ExportError(
                f"a {method} adapter does not export to ONNX yet: only LoRA and IA3 adapters, "
                "which are merged into the weights first"
            )
    if bundle.tokenizer is None:
        bundle.load_tokenizer()
    if getattr(bundle.tokenizer, "backend_tokenizer", None) is None:
        raise ExportError("the model's tokenizer has no tokenizer.json (a fast tokenizer)")
    return task


def check_target(path: Path) -> None:
    """Raise unless ``path`` is new, empty or an earlier export.

    Raises:
        ConfigError: It holds other files.
    """
    if path.exists():
        entries = {p.name for p in path.iterdir()} if path.is_dir() else {path.name}
        if entries and EXPORT_CARD not in entries:
            raise ConfigError(
                f"refusing to export into {path}: it holds other files "
                f"({sorted(entries)[:5]}); choose an empty or new directory"
            )


def plain_model(model: Any) -> Any:
    """An fp32 CPU model without adapters to trace: ``model`` itself, or a merged copy."""
    import torch

    from open_interpreter.peft import is_peft_model, merge_adapter

    params = list(model.parameters())
    adapted = is_peft_model(model)
    fp32 = all(p.dtype == torch.float32 for p in params if p.is_floating_point())
    on_cpu = all(p.device.type == "cpu" for p in params)
    if adapted or not fp32 or not on_cpu:
        model = copy.deepcopy(model)
        if adapted:
            model = merge_adapter(model)
        model = model.float().cpu()
    return model.eval()


def logits_module(model: Any, tokenizer: Any) -> Any:
    """``model`` wrapped to take plain id tensors and answer its logits only.

    The wrapper's ``input_names`` say which inputs the graph takes: ``input_ids``,
    ``attention_mask`` and, when the model and tokenizer use segments, ``token_type_ids``.
    """
    import torch

    accepts = inspect.signature(model.forward).parameters
    segments = "token_type_ids" in accepts and "token_type_ids" in tokenizer.model_input_names

    class LogitsOnly(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model
            self.input_names = ["input_ids", "attention_mask"]
            if segments:
                self.input_names.append("token_type_ids")

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(self.input_names, inputs, strict=True))).logits

    return LogitsOnly().eval()


def write_graph(module: Any, features: list[Any], pad_id: int, into: Path) -> None:
    """Trace ``module`` on a padded batch of ``features`` into ONNX file ``into``."""
    import torch

    from open_interpreter.export.runtime import padded

    arrays = padded(features[:2], pad_id)
    inputs = tuple(torch.from_numpy(arrays[name]) for name in module.input_names)
    token_level = module(*inputs).dim() == 3
    axes = {name: {0: "batch", 1: "sequence"} for name in module.input_names}
    axes["logits"] = {0: "batch", 1: "sequence"} if token_level else {0: "batch"}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            inputs,
            str(into),
            input_names=module.input_names,
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def quantize_int8(source: Path, into: Path) -> None:
    """Dynamic int8 quantisation of ``source`` by ONNX Runtime: weights int8 per output
    channel, in ONNX Runtime's reduced (7-bit) range.

    Per-tensor weights cost a minilm-l6 CoNLL-2003 tagger 1.8 entity-F1 points; per-channel
    0.6, and per-channel in the reduced range 0.4, at the same speed (ONNX Runtime advises
    the reduced range on CPUs without VNNI, where 8-bit products can saturate).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its advice to pre-process is for static quantisation
    try:
        quantize_dynamic(
            source, into, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True
        )
    finally:
        logging.disable(logging.NOTSET)


def _write_export(
    bundle: ModelBundle, into: Path, sample: parity.Sample, quantize: str | None
) -> dict[str, Any]:
    """Write the graph and tokenizer into ``into``, run the parity gate; its figures."""
    import onnxruntime

    from open_interpreter.models.loading import quiet_transformers

    tokenizer, pad_id = bundle.tokenizer, bundle.tokenizer.pad_token_id
    module = logits_module(plain_model(bundle.model), tokenizer)
    max_length = bundle.max_length()
    fp32 = into / ("fp32.onnx" if quantize else MODEL_FILE)
    write_graph(module, sample.features, pad_id, fp32)
    with quiet_transformers():
        tokenizer.save_pretrained(into)
    for extra in ("special_tokens_map.json", "vocab.txt", "chat_template.jinja"):
        (into / extra).unlink(missing_ok=True)  # tokenizer.json holds them all
    exported = OnnxTokenizer.from_file(
        into / TOKENIZER_FILE, pad_id, type_ids="token_type_ids" in module.input_names
    )
    parity.check_tokenizer(exported, sample, max_length)

    def run(file: Path) -> list[Any]:
        session = onnxruntime.InferenceSession(str(file), providers=["CPUExecutionProvider"])
        return session_logits(session, sample.features, pad_id)

    reference = parity.torch_logits(module, sample.features, pad_id)
    onnx_fp32 = run(fp32)
    n = len(sample.examples)
    figures: dict[str, Any] = {
        "sample": f"{n} {'labelled ' if sample.labelled else ''}examples "
        f"({sample.examples.source})",
        "tokenizer_matches": True,
        "logit_tolerance": parity.LOGIT_TOLERANCE,
        "fp32_max_logit_difference": parity.check_logits(reference, onnx_fp32, n),
        "max_length": max_length,
        "inputs": list(module.input_names),
    }
    int8 = None
    if quantize == "int8":
        quantize_int8(fp32, into / MODEL_FILE)
        fp32.unlink()
        int8 = run(into / MODEL_FILE)
        figures["int8_max_logit_difference"] = parity.largest_difference(reference, int8)
        figures["int8_agreement"] = parity.agreement(bundle, sample, reference, int8)
    if sample.labelled:
        task = bundle.require_head()
        metrics = {
            "metric": task.headline_metric,
            "pytorch": parity.headline(bundle, sample, reference),
            "onnx_fp32": parity.headline(bundle, sample, onnx_fp32),
        }
        if int8 is not None:
            metrics["onnx_int8"] = parity.headline(bundle, sample, int8)
            metrics["max_drop"] = parity.MAX_INT8_DROP
        figures["metrics"] = metrics
        if int8 is not None:
            parity.check_int8_metric(task.headline_metric, metrics["pytorch"], metrics["onnx_int8"])
    return figures


def parity_summary(figures: dict[str, Any]) -> str:
    """One line of the parity figures, for the CLI and logs."""
    parts = [f"fp32 logits within {figures['fp32_max_logit_difference']:.1e} of PyTorch"]
    if "int8_agreement" in figures:
        parts.append(f"int8 agrees on {100 * figures['int8_agreement']:.1f}% of labels")
    metrics = figures.get("metrics")
    if metrics:
        scores = ", ".join(
            f"{name} {metrics[name]:.4f}"
            for name in ("pytorch", "onnx_fp32", "onnx_int8")
            if name in metrics
        )
        parts.append(f"{metrics['metric']}: {scores}")
    return "; ".join(parts) + f" (on {figures['sample']})"
