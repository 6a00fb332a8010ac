"""Load backbones and tokenizers, and put a fresh task head on a loaded backbone.

Weights are read as safetensors only, and ``trust_remote_code`` stays off unless the
user turns it on. The noisy "newly initialised weights" report of ``transformers`` is
replaced by one log line of ours.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from open_interpreter.errors import ModelStateError, OpenInterpreterError
from open_interpreter.models.quiet import quiet_transformers
from open_interpreter.wording import plural

logger = logging.getLogger(__name__)


def load_tokenizer(path: Path, *, trust_remote_code: bool = False) -> Any:
    """Load the fast tokenizer stored in ``path``.

    Raises:
        OpenInterpreterError: Only a slow (Python) tokenizer exists; aligning labels to
            words needs a fast one.
    """
    from transformers import AutoTokenizer

    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    if not tokenizer.is_fast:
        raise OpenInterpreterError(
            f"the tokenizer in {path} has no fast (Rust) version; "
            "it is needed to align labels to words"
        )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def load_backbone(path: Path, *, trust_remote_code: bool = False) -> Any:
    """Load the bare pretrained model in ``path`` (no task head), from safetensors."""
    from transformers import AutoModel

    with quiet_transformers():
        return AutoModel.from_pretrained(
            path, use_safetensors=True, trust_remote_code=trust_remote_code
        )


def load_pretrained(path: Path, *, trust_remote_code: bool = False) -> Any:
    """Load the pretrained model in ``path`` as it was trained, with no task head.

    Language models keep their language-modelling head (``AutoModelForCausalLM`` /
    ``AutoModelForSeq2SeqLM``), so they can generate and be fine-tuned as they are;
    encoders load bare (``AutoModel``). A classification head can go on either with
    :func:`add_head`.
    """
    from open_interpreter.models.inventory import model_kind, read_config

    config = read_config(Path(path))
    kind = model_kind(config)
    heads = [str(a) for a in config.get("architectures") or ()]
    if any(a.endswith(("Classification", "ForQuestionAnswering")) for a in heads):
        kind = "encoder"  # a fine-tuned classifier: its backbone is what is reused
    if kind == "causal-lm":
        return load_with_head(path, "AutoModelForCausalLM", trust_remote_code=trust_remote_code)
    if kind == "seq2seq":
        return load_with_head(path, "AutoModelForSeq2SeqLM", trust_remote_code=trust_remote_code)
    return load_backbone(path, trust_remote_code=trust_remote_code)


def load_with_head(
    path: Path,
    auto_class: str,
    *,
    trust_remote_code: bool = False,
    labels: list[str] | None = None,
) -> Any:
    """Load a model with a head through ``auto_class`` (a fine-tuned model, or a base model
    getting a new head for ``labels``)."""
    import transformers

    with quiet_transformers():
        return getattr(transformers, auto_class).from_pretrained(
            path, use_safetensors=True, trust_remote_code=trust_remote_code, **head_config(labels)
        )


def head_config(labels: list[str] | None) -> dict[str, Any]:
    """The config keys of a fresh head for ``labels`` (none when there are no labels)."""
    if not labels:
        return {}
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }


def add_head(backbone: Any, auto_class: str, labels: list[str]) -> Any:
    """Build ``auto_class`` on ``backbone``'s config and move the backbone's weights into it.

    The backbone's weights are copied, not reloaded from disk; only the head is new.

    Args:
        backbone: A loaded ``AutoModel`` (or a model with a head: its backbone is reused).
        auto_class: e.g. ``"AutoModelForTokenClassification"``.
        labels: The head's labels, in id order.

    Returns:
        The model with a newly initialised head for ``len(labels)`` labels.

    Raises:
        ModelStateError: The backbone's weights do not fit the new model.
    """
    import transformers

    config = backbone.config.__class__.from_dict(backbone.config.to_dict())
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    with quiet_transformers():
        model = getattr(transformers, auto_class).from_config(config)
    prefix = model.base_model_prefix
    source = getattr(backbone, prefix, backbone)
    missing, _unused = getattr(model, prefix).load_state_dict(source.state_dict(), strict=False)
    if missing:
        raise ModelStateError(
            f"cannot put a {auto_class} head on {type(backbone).__name__}: "
            f"missing weights {missing[:5]}"
        )
    logger.info(
        "added an %s head with %s (newly initialised)", auto_class, plural(len(labels), "label")
    )
    return model


def context_length(model: Any, tokenizer: Any) -> int | None:
    """The most sub-words one sequence may hold: the model's positions and the tokenizer's
    own limit, whichever is smaller (None when neither says)."""
    limits = [
        getattr(getattr(model, "config", None), "max_position_embeddings", None),
        getattr(tokenizer, "model_max_length", None),
    ]
    usable = [int(n) for n in limits if isinstance(n, int) and 0 < n < 1_000_000]
    return min(usable) if usable else None
