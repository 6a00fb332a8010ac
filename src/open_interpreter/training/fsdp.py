"""FSDP in the training loop: the model's weights sharded across the ranks (torch's FSDP2,
``torch.distributed.fsdp.fully_shard``), gloo on CPU and nccl on CUDA.

A sharded model's forward pass and its state dict are collectives: every rank must join
them. So with ``distributed.strategy: fsdp`` every rank runs the validation batches (rank 0
builds the report from the same outputs), every rank gathers the weights for a checkpoint
and for the final save (``get_model_state_dict(..., full_state_dict=True,
cpu_offload=True)``: rank 0 receives them, on the CPU, and writes), and a resumed run loads
the full checkpoint on every rank into the sharded model (``set_model_state_dict``).

:class:`ShardedModel` holds both models: ``module``, the sharded copy that trains, and
``plain``, the model the caller gave (its bundle's), whose weights are released (meta
tensors) while training and filled again on rank 0 with the gathered full weights for a
checkpoint and at the end, so rank 0 saves, scores test data and returns an ordinary
model, and checkpoints have exactly the format of one process's (they resume with any
process count, DDP, FSDP or one process).

See ``docs/scale-out.md`` ("FSDP").
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import torch

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError
from open_interpreter.training import distributed
from open_interpreter.training.checkpoint import (
    StateDict,
    kept_best,
    read_checkpoint,
    write_checkpoint,
)


def sharded(config: FineTuneConfig) -> bool:
    """Whether this process trains a sharded model (several ranks, ``strategy: fsdp``)."""
    return distributed.active() and config.distributed.strategy == "fsdp"


def check(config: FineTuneConfig, *, penalty: bool = False) -> None:
    """Refuse what FSDP does not do here: PEFT adapters and weight penalties.

    Raises:
        ConfigError: ``strategy: fsdp`` with ``peft`` (or with a penalty, e.g. continual
            learning's EWC, which reads every full weight at every step).
    """
    if config.distributed.strategy != "fsdp":
        return
    if config.peft is not None:
        raise ConfigError(
            "distributed.strategy=fsdp does not train PEFT adapters: use strategy ddp (an "
            "adapter's few trainable weights need no sharding) or train without peft"
        )
    if penalty:
        raise ConfigError(
            "distributed.strategy=fsdp cannot add a weight penalty (e.g. continual learning's "
            "EWC or L2-SP): use strategy ddp"
        )


class ShardedModel:
    """``plain`` sharded across the ranks for training; see the module's docstring.

    Creating it is a collective: rank 0's weights are broadcast first (a freshly built
    head is the same on every rank, as DDP ensures), then each rank keeps its shard.
    """

    def __init__(self, plain: torch.nn.Module, device: torch.device):
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        _broadcast_from_rank0(plain)
        self.plain = plain
        self.aliases = _tied_aliases(plain)
        self.module = _copy_sharing_weights(plain)
        mesh = init_device_mesh(device.type, (distributed.world_size(),))
        for block in _blocks(self.module):  # one all-gather per layer, not one per model
            fully_shard(block, mesh=mesh)
        fully_shard(self.module, mesh=mesh)
        _prepare_gathering(self.module)
        _release(plain)
        # the loop never changes a model's output in place (loss * weight is a new tensor)
        warnings.filterwarnings("ignore", message="FSDP2-wrapped module .* returned a view")

    def gather(self) -> torch.nn.Module | None:
        """Collective: rank 0's ``plain`` filled with the full trained weights (on the
        CPU); None on the other ranks."""
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        full = get_model_state_dict(self.module, options=_full(cpu_offload=True))
        if not distributed.is_main():
            return None
        full = {name: _own_memory(tensor) for name, tensor in full.items()}
        self.plain.load_state_dict(self._with_aliases(full), assign=True)
        if hasattr(self.plain, "tie_weights"):
            self.plain.tie_weights()
        return self.plain

    def full(self, state: StateDict) -> StateDict:
        """Collective: a sharded state dict (e.g. the best weights kept) as full CPU
        tensors on rank 0 ({} on the others)."""
        from torch.distributed.tensor import DTensor

        whole = {}
        for name, value in state.items():  # the same order on every rank
            tensor = value.full_tensor() if isinstance(value, DTensor) else value
            whole[name] = tensor.detach().cpu()
        return whole if distributed.is_main() else {}

    def shard(self, full: StateDict) -> StateDict:
        """This rank's shards of a full state dict that every rank holds (no communication)."""
        from torch.distributed.tensor import DTensor, distribute_tensor

        shards = {}
        for name, value in self.module.state_dict().items():
            tensor = full[name].to(value.device, value.dtype)
            if isinstance(value, DTensor):
                tensor = distribute_tensor(
                    tensor, value.device_mesh, value.placements, src_data_rank=None
                )
            shards[name] = tensor
        return shards

    def save_checkpoint(
        self,
        directory: Path | None,
        *,
        optimizer: torch.optim.Optimizer,
        schedule: torch.optim.lr_scheduler.LRScheduler,
        state: dict[str, Any],
        best_state: StateDict | None,
    ) -> None:
        """Collective: gather the weights, optimizer state and best weights; rank 0 writes
        them to ``directory`` in one process's checkpoint format."""
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        plain = self.gather()
        optimizer_state = get_optimizer_state_dict(
            self.module, optimizer, options=_full(cpu_offload=True)
        )
        best = self.full(best_state) if best_state is not None else None
        if plain is None or directory is None:
            return
        write_checkpoint(
            directory,
            model=plain,
            optimizer_state=_by_index(optimizer_state, self._order(optimizer)),
            schedule_state=schedule.state_dict(),
            state=state,
            best_state=best,
        )
        _release(plain)

    def resume(
        self,
        directory: Path,
        *,
        optimizer: torch.optim.Optimizer,
        schedule: torch.optim.lr_scheduler.LRScheduler,
    ) -> tuple[dict[str, Any], StateDict | None]:
        """Every rank reads a checkpoint (of any process count) and loads it into the
        sharded model and its optimizer; returns the loop state and the best weights kept
        (sharded), if any.

        Raises:
            ConfigError: ``directory`` is not a complete checkpoint.
        """
        from torch.distributed.checkpoint.state_dict import (
            set_model_state_dict,
            set_optimizer_state_dict,
        )

        weights, saved, state = read_checkpoint(directory)
        set_model_state_dict(self.module, self._with_aliases(weights), options=_full())
        by_name = _by_name(saved["optimizer"], self._order(optimizer))
        set_optimizer_state_dict(self.module, optimizer, by_name, options=_full())
        schedule.load_state_dict(saved["schedule"])
        torch.set_rng_state(saved["rng"])
        kept = kept_best(directory, state, weights)
        if kept is None:
            return state, None
        if kept is weights:
            return state, {k: v.detach().clone() for k, v in self.module.state_dict().items()}
        return state, self.shard(self._with_aliases(kept))

    def _order(self, optimizer: torch.optim.Optimizer) -> list[str]:
        """The optimizer's parameters in its state dict's index order, by name."""
        names = {id(p): name for name, p in self.module.named_parameters()}
        return [names[id(p)] for group in optimizer.param_groups for p in group["params"]]

    def _with_aliases(self, weights: StateDict) -> StateDict:
        """``weights`` with tied weights under every name (a saved file holds one)."""
        filled = dict(weights)
        for alias, name in self.aliases.items():
            if alias not in filled and name in filled:
                filled[alias] = filled[name]
        return filled


def _full(*, cpu_offload: bool = False) -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, cpu_offload=cpu_offload)


def _by_index(state: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """A full optimizer state dict keyed by parameter name → keyed by index, as
    ``optimizer.state_dict()`` of one process is (what checkpoints hold)."""
    index = {name: i for i, name in enumerate(order)}
    return {
        "state": {index[name]: value for name, value in state["state"].items()},
        "param_groups": [
            {**group, "params": [index[name] for name in group["params"]]}
            for group in state["param_groups"]
        ],
    }


def _by_name(state: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """The inverse of :func:`_by_index`, for ``set_optimizer_state_dict``."""
    return {
        "state": {order[int(i)]: value for i, value in state["state"].items()},
        "param_groups": [
            {**group, "params": [order[int(i)] for i in group["params"]]}
            for group in state["param_groups"]
        ],
    }


def _prepare_gathering(module: torch.nn.Module) -> None:
    """Gather and free every unit's weights once, outside inference mode.

    FSDP2 makes each unit's buffer for gathered weights at its first gathering; made inside
    ``torch.inference_mode()`` (scoring validation data, the first thing a run resumed at
    an epoch's end does) it could never be written by a training step again.
    """
    from torch.distributed.fsdp import FSDPModule

    units = [m for m in module.modules() if isinstance(m, FSDPModule)]
    for unit in units:  # the same order on every rank
        unit.unshard()
    for unit in units:
        unit.reshard()


def _own_memory(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in memory of its own (gathered tensors can be views of one buffer, which
    safetensors refuses to save)."""
    if tensor.untyped_storage().nbytes() == tensor.nbytes and tensor.is_contiguous():
        return tensor
    return tensor.clone()


def _blocks(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The repeated layers (the children of every ``ModuleList``), each its own FSDP unit."""
    return [
        block
        for module in model.modules()
        if isinstance(module, torch.nn.ModuleList)
        for block in module
    ]


def _broadcast_from_rank0(model: torch.nn.Module) -> None:
    """Give every rank rank 0's weights and buffers (in place)."""
    device = distributed._collective_device()
    for tensor in model.state_dict().values():
        carrier = tensor.detach().to(device)
        torch.distributed.broadcast(carrier, src=0)
        if carrier is not tensor:
            tensor.detach().copy_(carrier)


def _copy_sharing_weights(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose parameters use the same memory (no second copy of the
    weights); tied parameters stay tied."""
    memo: dict[int, Any] = {}
    for param in model.parameters():
        memo[id(param)] = torch.nn.Parameter(param.detach(), requires_grad=param.requires_grad)
    return copy.deepcopy(model, memo)


def _release(model: torch.nn.Module) -> None:
    """Replace ``model``'s parameters with meta tensors (no memory); buffers stay."""
    meta: dict[int, torch.nn.Parameter] = {}
    for module in model.modules():
        for name, param in list(module._parameters.items()):
            if param is not None:
                if id(param) not in meta:
                    meta[id(param)] = torch.nn.Parameter(
                        param.detach().to("meta"), requires_grad=param.requires_grad
                    )
                module._parameters[name] = meta[id(param)]


def _tied_aliases(model: torch.nn.Module) -> dict[str, str]:
    """Each tied parameter's other names → the first name it has."""
    first: dict[int, str] = {}
    aliases = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        if id(param) in first:
            aliases[name] = first[id(param)]
        else:
            first[id(param)] = name
    return aliases
