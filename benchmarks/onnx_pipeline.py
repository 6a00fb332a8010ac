"""A ``transformers`` pipeline over an ONNX Runtime model: the references' ONNX rows.

Hugging Face users run ONNX models through Optimum (``ORTModelForTokenClassification``
inside a ``pipeline``). Optimum's ONNX package (``optimum-onnx`` 0.1.0) requires
``transformers<4.58``, which conflicts with the platform's ``transformers`` 5, so the
benchmarks build the same thing in a few lines: a model object whose forward runs an
``onnxruntime.InferenceSession`` and answers ``logits``, handed to the standard
``pipeline`` with the model directory's config and tokenizer. Pre- and post-processing
(tokenising, word aggregation) are the pipeline's own, exactly as with Optimum.

    tagger = onnx_pipeline(model_dir, export_dir / "model.onnx")
    tagger(["Paris Hilton flew to New York"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def onnx_pipeline(model_dir: str | Path, onnx_file: str | Path, **pipeline_kwargs: Any) -> Any:
    """A token-classification ``pipeline`` whose forward pass runs ``onnx_file`` in ONNX Runtime.

    Args:
        model_dir: The PyTorch model directory the ONNX file was exported from (config and
            tokenizer).
        onnx_file: The exported graph (``model.onnx`` of an ``oi export`` directory).
        **pipeline_kwargs: Passed to ``pipeline`` (e.g. ``aggregation_strategy``).
    """
    import onnxruntime
    import torch
    from transformers import AutoConfig, AutoTokenizer, PreTrainedModel, pipeline
    from transformers.modeling_outputs import TokenClassifierOutput

    config = AutoConfig.from_pretrained(model_dir)
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    inputs = [node.name for node in session.get_inputs()]

    class OrtForTokenClassification(PreTrainedModel):
        """Just enough of a model for the pipeline: config, device, and logits from ORT."""

        config_class = type(config)
        base_model_prefix = "ort"

        def __init__(self) -> None:
            super().__init__(config)
            self.anchor = torch.nn.Parameter(torch.zeros(1), requires_grad=False)

        def forward(self, **features: torch.Tensor) -> TokenClassifierOutput:
            feed = {name: features[name].numpy() for name in inputs if name in features}
            if "token_type_ids" in inputs and "token_type_ids" not in feed:
                feed["token_type_ids"] = torch.zeros_like(features["input_ids"]).numpy()
            logits = session.run(["logits"], feed)[0]
            return TokenClassifierOutput(logits=torch.from_numpy(logits))

    # Named after the architecture it runs (as Optimum's classes are known to the pipeline),
    # or the pipeline logs that the model is "not supported for token-classification".
    OrtForTokenClassification.__name__ = (config.architectures or ["BertForTokenClassification"])[0]
    return pipeline(
        "token-classification",
        model=OrtForTokenClassification().eval(),
        tokenizer=AutoTokenizer.from_pretrained(model_dir),
        **pipeline_kwargs,
    )
