"""Which layers an adapter targets by default, per architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.config import PeftSettings
from open_interpreter.errors import ConfigError
from open_interpreter.peft import default_target_modules, peft_config

pytestmark = pytest.mark.usefixtures("one_thread")


def test_default_targets_follow_the_architecture(tiny_bert_dir: Path) -> None:
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(tiny_bert_dir)
    assert default_target_modules(bert) == ["query", "key", "value", "attention.output.dense"]
    config = peft_config(PeftSettings(target_modules=["value"]), "token-classification", bert)
    assert config.target_modules == {"value"}

    class Unknown(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = torch.nn.Linear(2, 2)
            self.mlp = torch.nn.Linear(2, 2)

    assert default_target_modules(Unknown()) == ["q"]
    bare = torch.nn.Sequential(torch.nn.Linear(2, 2))
    with pytest.raises(ConfigError, match=r"set peft\.target_modules"):
        default_target_modules(bare)
