"""Export a model to ONNX (fp32 or int8) and predict with it without torch.

Example:
    >>> from open_interpreter.export import OnnxModel, export_onnx
    >>> export_onnx(bundle, "exports/ner-int8", quantize="int8")  # doctest: +SKIP
    >>> OnnxModel.load("exports/ner-int8").predict("Paris Hilton flew to Paris")  # doctest: +SKIP
"""

from open_interpreter.export.exporter import ExportReport, export_onnx
from open_interpreter.export.parity import LOGIT_TOLERANCE, MAX_INT8_DROP, SAMPLE_TEXTS
from open_interpreter.export.runtime import EXPORT_CARD, OnnxModel, read_card

__all__ = [
    "EXPORT_CARD",
    "LOGIT_TOLERANCE",
    "MAX_INT8_DROP",
    "SAMPLE_TEXTS",
    "ExportReport",
    "OnnxModel",
    "export_onnx",
    "read_card",
]
