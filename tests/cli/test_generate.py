"""``oi generate``, ``oi chat`` and ``oi train`` on chat data, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from open_interpreter.cli import main

from ..fixtures.data import colour_chats

pytestmark = pytest.mark.usefixtures("one_thread")


def test_generate_streams_or_prints_an_answer(tiny_llama_dir: Path) -> None:
    runner = CliRunner()
    args = ["generate", str(tiny_llama_dir), "what colour is the sky?", "--max-new-tokens", "4"]
    streamed = runner.invoke(main, args)
    assert streamed.exit_code == 0, streamed.output
    whole = runner.invoke(main, [*args, "--no-stream", "--system", "be brief"])
    assert whole.exit_code == 0, whole.output
    sampled = runner.invoke(main, [*args, "--temperature", "0.8", "--seed", "3", "--stop", "x"])
    assert sampled.exit_code == 0, sampled.output


def test_chat_keeps_the_conversation_until_exit(tiny_llama_dir: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["chat", str(tiny_llama_dir), "--max-new-tokens", "3"],
        input="what colour is the sky?\n\n/reset\nand the grass?\n/exit\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("assistant> ") == 2
    assert "(conversation cleared)" in result.output
    ended = CliRunner().invoke(main, ["chat", str(tiny_llama_dir)], input="")  # Ctrl-D
    assert ended.exit_code == 0, ended.output


def test_generate_with_a_model_that_cannot_is_one_clean_error(tiny_bert_dir: Path) -> None:
    result = CliRunner().invoke(main, ["generate", str(tiny_bert_dir), "hi"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    bad = CliRunner().invoke(main, ["generate", str(tiny_bert_dir), "hi", "--temperature", "-1"])
    assert bad.exit_code == 2  # click refuses the value before anything loads


def test_train_a_chat_adapter_from_yaml_then_chat_with_it(
    tiny_llama_dir: Path,
    tmp_path: Path,
) -> None:
    data = tmp_path / "chats.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in colour_chats(32)) + "\n")
    config = tmp_path / "sft.yaml"
    config.write_text(
        f"# oi train sft.yaml\nmodel: {tiny_llama_dir}\ndata:\n  train: chats.jsonl\n"
        "peft:\n  method: lora\n  r: 4\nlearning_rate: 1.0e-2\nbatch_size: 16\n"
        "progress: false\npacking: true\nmax_length: 64\n"
    )
    output = tmp_path / "bot"
    result = CliRunner().invoke(
        main, ["train", str(config), "epochs=1", "peft.alpha=8", f"output_dir={output}"]
    )
    assert result.exit_code == 0, result.output
    assert "parameters trainable" in result.output
    assert json.loads((output / "oi_model.json").read_text())["adapter"]["method"] == "lora"
    answer = CliRunner().invoke(main, ["generate", str(output), "hi", "--max-new-tokens", "3"])
    assert answer.exit_code == 0, answer.output
