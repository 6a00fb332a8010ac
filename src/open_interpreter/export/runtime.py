"""Predict with an exported model through ONNX Runtime and ``tokenizers`` alone: no torch.

An exported directory (see :func:`~open_interpreter.export.export_onnx`) holds
``model.onnx``, ``tokenizer.json``, ``export.json`` (task, labels, settings, parity
figures) and a ``README.md`` card. :class:`OnnxModel` loads it and answers ``predict`` with
the same objects as the PyTorch path (:class:`~open_interpreter.tasks.LabelPrediction`,
:class:`~open_interpreter.tasks.TokenPrediction` with entities at character offsets): the
texts are split and encoded as the training tokenizer does, the graph gives logits, and
the tasks' own decoding turns them into predictions.

Example:
    >>> model = OnnxModel.load("exports/wnut16-ner-int8")  # doctest: +SKIP
    >>> model.predict("Paris Hilton flew to Paris").entities[0].text  # doctest: +SKIP
    'Paris Hilton'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.data.encoding import Feature
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import DataError, ModelNotFoundError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks import Task, get_task
from open_interpreter.tasks.forward import CPU_BATCH_SIZE, ForwardResult

EXPORT_CARD = "export.json"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
WINDOW_STRIDE = 32
"""Sub-words shared by consecutive windows of a long sentence, as in training
(:func:`~open_interpreter.data.encoding.encode_tokens`)."""


class OnnxTokenizer:
    """The exported ``tokenizer.json``, encoding examples into features as training did.

    Args:
        backend: The ``tokenizers.Tokenizer``.
        pad_token_id: The id padded batches are filled with.
        type_ids: Whether text features carry segment ids (the model takes them).
    """

    def __init__(self, backend: Any, pad_token_id: int, *, type_ids: bool = True):
        self.backend_tokenizer = backend  # split_words reads its pre-tokenizer
        self.pad_token_id = pad_token_id
        self.type_ids = type_ids

    @classmethod
    def from_file(cls, path: Path, pad_token_id: int, *, type_ids: bool = True) -> OnnxTokenizer:
        """Load ``tokenizer.json`` from ``path``."""
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(path)), pad_token_id, type_ids=type_ids)

    def encode(self, examples: Examples, max_length: int) -> list[Feature]:
        """Encode texts (truncated to ``max_length``) or word lists (long ones windowed)."""
        backend = self.backend_tokenizer
        backend.no_padding()
        if isinstance(examples, TokenExamples):
            backend.enable_truncation(max_length, stride=min(WINDOW_STRIDE, max_length // 4))
            encodings = backend.encode_batch(examples.tokens, is_pretokenized=True)
            return [
                Feature(input_ids=window.ids, example=i, word_ids=window.word_ids)
                for i, encoding in enumerate(encodings)
                for window in [encoding, *encoding.overflowing]
            ]
        if not isinstance(examples, TextExamples):
            raise DataError(f"an exported model predicts labels; {examples.source} holds chats")
        backend.enable_truncation(max_length)
        pairs = examples.text_pairs
        inputs = examples.texts if pairs is None else list(zip(examples.texts, pairs, strict=True))
        return [
            Feature(
                input_ids=encoding.ids,
                token_type_ids=encoding.type_ids if self.type_ids else None,
                example=i,
            )
            for i, encoding in enumerate(backend.encode_batch(inputs))
        ]


def session_logits(
    session: Any, features: list[Feature], pad_id: int, batch_size: int = CPU_BATCH_SIZE
) -> list[np.ndarray]:
    """Run an ONNX Runtime session over ``features`` in length-sorted, padded batches.

    Returns:
        Per feature, its float32 logits: ``[num_labels]``, or ``[length, num_labels]`` for
        token tasks (padding cut off).
    """
    names = {i.name for i in session.get_inputs()}
    logits: list[np.ndarray | None] = [None] * len(features)
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        inputs = padded([features[i] for i in batch], pad_id)
        (out,) = session.run(["logits"], {k: v for k, v in inputs.items() if k in names})
        for row, i in enumerate(batch):
            logits[i] = out[row, : len(features[i])] if out.ndim == 3 else out[row]
    return logits  # type: ignore[return-value]


def padded(batch: list[Feature], pad_id: int) -> dict[str, np.ndarray]:
    """``input_ids``, ``attention_mask`` and ``token_type_ids`` (zeros when the features
    carry none) as int64 arrays, padded to the longest feature."""
    width = max(len(f) for f in batch)
    ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    types = np.zeros((len(batch), width), dtype=np.int64)
    for row, f in enumerate(batch):
        ids[row, : len(f)] = f.input_ids
        mask[row, : len(f)] = 1
        if f.token_type_ids is not None:
            types[row, : len(f)] = f.token_type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def softmax(logits: list[np.ndarray]) -> list[np.ndarray]:
    """Class probabilities of each logits array, over its last axis (float32)."""
    out = []
    for row in logits:
        shifted = np.exp(row - row.max(axis=-1, keepdims=True))
        out.append((shifted / shifted.sum(axis=-1, keepdims=True)).astype(np.float32))
    return out


@dataclass(eq=False)
class OnnxModel:
    """An exported model loaded for prediction, with ONNX Runtime and ``tokenizers`` only.

    Attributes:
        path: The exported directory.
        task: What the model does (its decoding and scoring).
        labels: The labels in id order.
        card: ``export.json``: settings, library versions and parity figures.
        session: The ``onnxruntime.InferenceSession``.
        tokenizer: The exported tokenizer.
    """

    path: Path
    task: Task
    labels: list[str]
    card: dict[str, Any]
    session: Any
    tokenizer: OnnxTokenizer

    @classmethod
    def load(cls, path: str | Path, *, threads: int | None = None) -> OnnxModel:
        """Load a directory written by :func:`~open_interpreter.export.export_onnx`.

        Args:
            path: The exported directory.
            threads: Threads ONNX Runtime computes with (default: one per core).

        Raises:
            ModelNotFoundError: ``path`` holds no export.
        """
        import onnxruntime

        path = Path(path)
        card = read_card(path)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        session = onnxruntime.InferenceSession(
            str(path / card["model_file"]), options, providers=["CPUExecutionProvider"]
        )
        inputs = {i.name for i in session.get_inputs()}
        tokenizer = OnnxTokenizer.from_file(
            path / TOKENIZER_FILE, card["pad_token_id"], type_ids="token_type_ids" in inputs
        )
        return cls(path, get_task(card["task"]), list(card["labels"]), card, session, tokenizer)

    @property
    def precision(self) -> str:
        """``fp32`` or ``int8``."""
        return str(self.card["precision"])

    def predict(self, texts: Any) -> Any:
        """Predict labels (classification) or entities with character offsets (NER).

        Args:
            texts: A text, a list of texts, (text, pair) tuples, or pre-split token lists.

        Returns:
            One prediction for one input, a list for a list: the objects
            ``OpenInterpreter.predict`` returns.

        Raises:
            DataError: An input of a shape the task does not take.
        """
        single = isinstance(texts, str) or (
            isinstance(texts, tuple) and len(texts) == 2 and all(isinstance(t, str) for t in texts)
        )
        items = [texts] if single else list(texts)
        if not items:
            return []
        prepared = self.task.prepare_inputs(self.tokenizer, items)
        predictions = self._decode(prepared.examples)
        predictions = self.task.finish_predictions(predictions, items, prepared)
        return predictions[0] if single else predictions

    def evaluate(self, data: Any, labels: Any = None, *, split: str = "test") -> EvaluationReport:
        """Score the exported model on labelled data, as ``OpenInterpreter.evaluate`` does
        (without a loss: the graph gives logits only).

        Raises:
            DataError: The data carries no labels.
        """
        from open_interpreter.data.inputs import to_examples

        examples = to_examples(data, labels, require_labels=True, source=f"{split} data")
        predictions = self._decode(examples)
        return self.task.score(examples, predictions, self.labels, None, split)

    def logits(self, examples: Examples) -> tuple[list[Feature], list[np.ndarray]]:
        """Encode ``examples`` and run the graph: the features and each one's logits."""
        features = self.tokenizer.encode(examples, int(self.card["max_length"]))
        return features, session_logits(self.session, features, self.tokenizer.pad_token_id)

    def _decode(self, examples: Examples) -> list[Any]:
        features, logits = self.logits(examples)
        result = ForwardResult(probabilities=softmax(logits), loss=None)
        return self.task.decode(examples, features, result, dict(enumerate(self.labels)))

    def __repr__(self) -> str:
        return f"OnnxModel({str(self.path)!r}, task={self.task.name!r}, {self.precision})"


def read_card(path: Path) -> dict[str, Any]:
    """Read ``export.json`` of an exported directory.

    Raises:
        ModelNotFoundError: ``path`` holds no export.
    """
    file = Path(path) / EXPORT_CARD
    if not file.is_file():
        raise ModelNotFoundError(
            str(path),
            [f"{file}: missing" if Path(path).is_dir() else f"{path}: no such directory"],
            "OnnxModel.load() reads directories written by interpreter.export(path) or `oi export`",
        )
    return json.loads(file.read_text(encoding="utf-8"))
