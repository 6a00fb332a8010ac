"""The one number every analysis watches: the probability the model gives its target.

For a text classifier the target is a label; for a tagger it is the tags of an entity's
words (or of every word of a sentence, for the attack). Removing a word means replacing
its sub-words with a *blank* token (``[MASK]`` where the tokenizer has one): positions
stay put, so NER targets stay aligned and every method and curve removes words the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from open_interpreter.analysis.encoding import WordEncoding


@dataclass
class Target:
    """What is explained or attacked: one label, or one tag at each of some positions.

    Attributes:
        label: The label (classification) or entity type (NER), as the user sees it.
        class_ids: The label id (one item) or the tag id at each position.
        positions: Sub-word positions of the tags (NER); None for a whole-text label.
    """

    label: str
    class_ids: list[int]
    positions: list[int] | None = None

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        """Return, per batch row, the target's probability (mean over positions for tags)."""
        probs = torch.softmax(logits.float(), dim=-1)
        if self.positions is None:
            return probs[:, self.class_ids[0]]
        positions = torch.tensor(self.positions, device=probs.device)
        classes = torch.tensor(self.class_ids, device=probs.device)
        return probs[:, positions, classes].mean(dim=-1)

    def log_probability(self, logits: torch.Tensor) -> torch.Tensor:
        """Return, per batch row, the mean log-probability of the target (the attack's loss)."""
        logs = torch.log_softmax(logits.float(), dim=-1)
        if self.positions is None:
            return logs[:, self.class_ids[0]]
        positions = torch.tensor(self.positions, device=logs.device)
        classes = torch.tensor(self.class_ids, device=logs.device)
        return logs[:, positions, classes].mean(dim=-1)


def blank_token_id(tokenizer: Any) -> int:
    """The id that stands in for a removed sub-word: mask, else unknown, else padding."""
    for name in ("mask_token_id", "unk_token_id", "pad_token_id"):
        value = getattr(tokenizer, name, None)
        if value is not None:
            return int(value)
    return 0


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's weights."""
    return next(model.parameters()).device


def model_logits(
    model: torch.nn.Module,
    encoding: WordEncoding,
    input_ids: torch.Tensor | None = None,
    inputs_embeds: torch.Tensor | None = None,
    **extra: Any,
) -> Any:
    """Run ``model`` on rows of one input's ids (or embeddings), all of the same length.

    Args:
        model: A classification or token-classification model.
        encoding: The input the rows are variants of (for token types).
        input_ids: ``[batch, length]`` ids; or give ``inputs_embeds`` ``[batch, length, hidden]``.
        inputs_embeds: Word embeddings in place of ids (integrated gradients, the attack).
        **extra: Passed to the model (e.g. ``output_attentions=True``).

    Returns:
        The model's output (``.logits``, ``.attentions``...).
    """
    rows = input_ids if input_ids is not None else inputs_embeds
    batch, length = rows.shape[0], rows.shape[1]
    device = rows.device
    inputs: dict[str, Any] = {
        "attention_mask": torch.ones((batch, length), dtype=torch.long, device=device)
    }
    if encoding.token_type_ids is not None:
        types = torch.tensor(encoding.token_type_ids, device=device)
        inputs["token_type_ids"] = types.unsqueeze(0).expand(batch, -1)
    if input_ids is not None:
        inputs["input_ids"] = input_ids
    else:
        inputs["inputs_embeds"] = inputs_embeds
    return model(**inputs, **extra)


def target_probabilities(
    model: torch.nn.Module,
    encoding: WordEncoding,
    rows: list[list[int]],
    target: Target,
    batch_size: int = 32,
) -> np.ndarray:
    """Return the target's probability for each row of ids (variants of ``encoding``)."""
    device = model_device(model)
    out = []
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            ids = torch.tensor(rows[start : start + batch_size], device=device)
            out.append(target.probability(model_logits(model, encoding, ids).logits).cpu())
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def class_probabilities(model: torch.nn.Module, encoding: WordEncoding) -> np.ndarray:
    """Return the model's label probabilities: ``[labels]`` or ``[sub-words, labels]``."""
    ids = torch.tensor([encoding.input_ids], device=model_device(model))
    with torch.inference_mode():
        logits = model_logits(model, encoding, ids).logits.float()
    return torch.softmax(logits, dim=-1)[0].cpu().numpy()


def blanked(encoding: WordEncoding, words: Iterable[int], blank_id: int) -> list[int]:
    """Return ``encoding``'s ids with the sub-words of ``words`` replaced by ``blank_id``."""
    remove = set(words)
    return [
        blank_id if word is not None and word in remove else token
        for token, word in zip(encoding.input_ids, encoding.word_ids, strict=True)
    ]
