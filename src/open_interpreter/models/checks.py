"""Whether a directory holds weights that load safely: safetensors only, every shard there."""

from __future__ import annotations

from pathlib import Path

_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def model_dir_problem(path: Path) -> str | None:
    """Say why ``path`` is not a loadable model directory, or return ``None`` when it is.

    A loadable directory has ``config.json`` and safetensors weights (every shard an
    index names). A directory with only pickle weights is refused.
    """
    if not path.is_dir():
        return f"{path} is not a directory" if path.exists() else f"{path} does not exist"
    if (path / "adapter_config.json").is_file() and (path / "adapter_model.safetensors").is_file():
        return None  # a PEFT adapter: its oi_model.json names the base model it goes on
    if not (path / "config.json").is_file():
        return f"{path} has no config.json"
    if not any(path.glob("*.safetensors")):
        pickles = sorted(p.name for p in path.iterdir() if p.suffix in _PICKLE_SUFFIXES)
        if pickles:
            return (
                f"{path} has only pickle weights ({', '.join(pickles)}); "
                "only safetensors weights are loaded, as pickles can run code"
            )
        if any(path.glob("*.gguf")):
            return f"{path} has only GGUF weights; convert them to safetensors first"
        return f"{path} has no *.safetensors weights"
    index = path / "model.safetensors.index.json"
    if index.is_file():
        import json

        shards = set(json.loads(index.read_text()).get("weight_map", {}).values())
        if missing := sorted(s for s in shards if not (path / s).is_file()):
            return f"{path} is missing weight shards: {', '.join(missing)}"
    return None
