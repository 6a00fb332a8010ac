"""smollm2-135m-instruct from its PyPI package: conversion, generation, LoRA chat SFT.

The GGUF file is converted once into pytest's cache folder (not the user's model store,
which tests never touch) and reused by later runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.data.chat import read_chat_jsonl

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUPPORT_CHAT = Path(__file__).resolve().parents[2] / "examples" / "data" / "support_chat"


def test_the_converted_model_answers_in_its_chat_format(smollm2_dir: Path) -> None:
    assert sorted(p.name for p in smollm2_dir.glob("*.safetensors")) == ["model.safetensors"]
    interpreter = OpenInterpreter(str(smollm2_dir))
    answer = interpreter.generate("What is the capital of France?", max_new_tokens=12)
    assert "Paris" in answer
    assert interpreter.task.name == "causal-lm"


def test_lora_sft_teaches_the_support_style(smollm2_dir: Path, tmp_path: Path) -> None:
    train = read_chat_jsonl(SUPPORT_CHAT / "train.jsonl")
    held_out = read_chat_jsonl(SUPPORT_CHAT / "test.jsonl").subset(list(range(4)))
    question = held_out.conversations[0][0]["content"]
    interpreter = OpenInterpreter(str(smollm2_dir))
    assert not interpreter.generate(question, max_new_tokens=8).startswith("Ahoy")

    result = interpreter.fine_tune(
        train_data=train,
        validation_data=held_out,
        peft={"method": "lora", "r": 8, "alpha": 16},
        learning_rate=3e-3,
        max_steps=16,
        batch_size=4,
        max_length=96,
        eval_every_epoch=False,
        progress=False,
        generation={"eval_examples": 2, "max_new_tokens": 24},
    )
    assert result.training.parameters.percent < 1.0
    assert result.after.loss < result.before.loss * 0.5
    answer = interpreter.generate(question, max_new_tokens=40)
    assert answer.startswith("Ahoy!"), answer

    saved = interpreter.save(tmp_path / "support-bot")
    assert sum(f.stat().st_size for f in saved.iterdir()) < 10_000_000  # the adapter only
