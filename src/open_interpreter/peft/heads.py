"""Task heads of several adapters on one base: each adapter keeps its own head and labels.

``peft`` keeps a trained head in ``modules_to_save``: every adapter gets its own copy of the
base's head, and the saved weights are loaded into that copy. Adapters trained for other
label sets have heads of other shapes, and the copy would not fit; here the adapter's head
is built in the saved shape first, which ``peft`` then keeps and fills.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any


def seed_adapter_heads(model: Any, path: Path, name: str) -> list[str]:
    """Give adapter ``name`` a head of its saved shape wherever that differs from the base's.

    Call before ``model.load_adapter(path, adapter_name=name)``; heads that fit are left
    for ``peft`` to copy as usual.

    Args:
        model: A ``peft`` model that already carries adapters.
        path: The directory of the adapter about to be loaded.
        name: The name it will be loaded under.

    Returns:
        The names of the wrapped modules that got a head of their own shape.
    """
    from peft.utils import load_peft_weights
    from peft.utils.other import ModulesToSaveWrapper

    wrappers = [
        (prefix, module)
        for prefix, module in model.named_modules()
        if isinstance(module, ModulesToSaveWrapper) and name not in module.modules_to_save
    ]
    if not wrappers:
        return []
    saved = {k: tuple(v.shape) for k, v in load_peft_weights(str(path), device="cpu").items()}
    seeded = []
    for prefix, wrapper in wrappers:
        head = _reshaped(wrapper.original_module, prefix, saved)
        if head is not None:
            wrapper.modules_to_save[name] = head.requires_grad_(False)
            seeded.append(prefix)
    return seeded


def drop_adapter_heads(model: Any, name: str) -> None:
    """Remove heads :func:`seed_adapter_heads` put in place for an adapter that failed to load."""
    from peft.utils.other import ModulesToSaveWrapper

    for module in model.modules():
        if isinstance(module, ModulesToSaveWrapper) and name in module.modules_to_save:
            del module.modules_to_save[name]


def _reshaped(module: Any, prefix: str, saved: dict[str, tuple[int, ...]]) -> Any:
    """A copy of ``module`` whose linear layers have the saved shapes; None if all fit."""
    import torch

    misfits = {}
    for sub, layer in module.named_modules():
        shape = saved.get(".".join(p for p in (prefix, sub, "weight") if p))
        if isinstance(layer, torch.nn.Linear) and shape and shape != tuple(layer.weight.shape):
            misfits[sub] = shape
    if not misfits:
        return None
    if "" in misfits:  # the head is one linear layer
        return _linear_like(module, misfits[""])
    head = copy.deepcopy(module)
    for sub, shape in misfits.items():
        head.set_submodule(sub, _linear_like(head.get_submodule(sub), shape))
    return head


def _linear_like(old: Any, shape: tuple[int, ...]) -> Any:
    """A new linear layer of ``shape`` (out, in), with ``old``'s bias, device and dtype."""
    import torch

    out_features, in_features = shape
    return torch.nn.Linear(
        in_features,
        out_features,
        bias=old.bias is not None,
        device=old.weight.device,
        dtype=old.weight.dtype,
    )


def set_head_labels(model: Any, labels: list[str]) -> None:
    """Make the model's label count and names those of the active adapter's head.

    The loss a model computes with labels reshapes its logits by ``num_labels``, which
    ``transformers`` keeps on the model and its config, shared by every adapter.
    """
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    inner.config.id2label = dict(enumerate(labels))
    inner.config.label2id = {label: i for i, label in enumerate(labels)}
    if hasattr(inner, "num_labels"):
        inner.num_labels = len(labels)
