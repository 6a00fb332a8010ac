"""Causal-LM and seq2seq fine-tuning and text generation on tiny models built from config."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, DataError, ModelStateError
from open_interpreter.evaluation.generation import GenerationReport
from open_interpreter.generation.generate import _until_stop

from ..fixtures.data import colour_chats, sentiment_texts

pytestmark = pytest.mark.usefixtures("one_thread")

SFT = {
    "learning_rate": 1e-2,
    "batch_size": 16,
    "progress": False,
    "warmup_ratio": 0.0,
    "generation": {"eval_examples": 4, "max_new_tokens": 8},
}


@pytest.fixture(scope="module")
def colour_model(tiny_llama_dir: Path) -> OpenInterpreter:
    """The tiny Llama fully fine-tuned to answer ``what colour is the X?`` (one thread)."""
    interpreter = OpenInterpreter(str(tiny_llama_dir))
    interpreter.fine_tune(
        train_data=colour_chats(96),
        validation_data=colour_chats(10, seed=1),
        epochs=12,
        eval_every_epoch=False,
        num_threads=1,
        **SFT,
    )
    return interpreter


def _taught_form(answer: str) -> bool:
    """``the <thing> is <colour>.``: what the tiny model learns first."""
    words = answer.split()
    return len(words) == 4 and words[0] == "the" and words[2] == "is" and answer.endswith(".")


def test_chat_sft_learns_the_answers(colour_model: OpenInterpreter) -> None:
    result = colour_model.result
    assert result.task == "causal-lm" and result.labels == []
    assert result.after.loss < result.before.loss / 3
    assert isinstance(result.after, GenerationReport)
    assert result.after.token_f1 > 0.49 > result.before.token_f1
    assert "perplexity" in str(result.comparison)
    assert _taught_form(colour_model.generate("what colour is the grass?"))
    assert _taught_form(colour_model.predict("what colour is the sky?"))
    report = colour_model.evaluate(colour_chats(6, seed=3))
    assert report.num_examples == 6 and report.token_f1 > 0.49
    assert f"{report:.2f}" == f"{report.token_f1:.2f}"


def test_generation_batches_streams_stops_and_samples(colour_model: OpenInterpreter) -> None:
    conversation = [{"role": "user", "content": "what colour is the snow?"}]
    answers = colour_model.generate(["what colour is the sky?", conversation])
    assert answers == [
        colour_model.generate("what colour is the sky?"),
        colour_model.generate(conversation),
    ]
    whole = colour_model.generate("what colour is the coal?")
    pieces = list(colour_model.generate("what colour is the coal?", stream=True))
    assert len(pieces) > 1 and "".join(pieces).strip() == whole
    cut = whole.split(" is")[0]
    assert colour_model.generate("what colour is the coal?", stop=[" is"]) == cut
    streamed = colour_model.generate("what colour is the coal?", stop=[" is"], stream=True)
    assert "".join(streamed) == cut
    sampled = [
        colour_model.generate("what colour is the sun?", temperature=1.5, seed=7, top_k=20)
        for _ in range(2)
    ]
    assert sampled[0] == sampled[1]


def test_an_answer_says_whether_it_ended_or_was_cut(colour_model: OpenInterpreter) -> None:
    ended = colour_model.generate("what colour is the sky?", max_new_tokens=20, details=True)
    assert ended.finish_reason == "stop" and _taught_form(ended.text)
    assert 4 <= ended.completion_tokens < 20 and ended.prompt_tokens > 5
    cut = colour_model.generate("what colour is the sky?", max_new_tokens=2, details=True)
    assert cut.finish_reason == "length" and cut.completion_tokens == 2
    assert cut.prompt_tokens == ended.prompt_tokens
    stopped = colour_model.generate("what colour is the sky?", stop=[" is"], details=True)
    assert stopped.finish_reason == "stop" and stopped.text == ended.text.split(" is")[0]
    batch = colour_model.generate(
        ["what colour is the sky?", "what colour is the grass?"], max_new_tokens=3, details=True
    )
    assert [answer.finish_reason for answer in batch] == ["length", "length"]
    stream = colour_model.generate("what colour is the sky?", max_new_tokens=2, stream=True)
    assert stream.completion is None
    assert "".join(stream).strip() == cut.text
    assert stream.completion == cut


def test_generation_rejects_bad_requests(
    colour_model: OpenInterpreter, tiny_bert_dir: Path
) -> None:
    with pytest.raises(ConfigError, match="temperature"):
        colour_model.generate("hi", temperature=-1)
    with pytest.raises(ConfigError, match="one prompt at a time"):
        colour_model.generate(["a", "b"], stream=True)
    with pytest.raises(DataError, match="empty"):
        colour_model.generate("  ")
    with pytest.raises(DataError, match="role 'robot'"):
        colour_model.generate([{"role": "robot", "content": "hi"}])
    texts, labels = sentiment_texts(16)
    classifier = OpenInterpreter(str(tiny_bert_dir))
    classifier.fine_tune(train_data=texts, train_labels=labels, epochs=1, progress=False)
    with pytest.raises(ModelStateError, match="does not generate text"):
        classifier.generate("hi")
    with pytest.raises(ModelStateError, match="needs a decoder model"):
        OpenInterpreter(str(tiny_bert_dir)).fine_tune(train_data=colour_chats(8), progress=False)


def test_stop_strings_split_across_pieces_are_held_back() -> None:
    pieces = iter(["the sk", "y is", " bl", "ue"])
    assert "".join(_until_stop(pieces, ["y i"])) == "the sk"
    assert list(_until_stop(iter(["ab", "c"]), [])) == ["ab", "c"]


def test_lora_sft_saves_an_adapter_that_merges_to_the_same_answers(
    tiny_llama_dir: Path,
    tmp_path: Path,
) -> None:
    import torch

    interpreter = OpenInterpreter(str(tiny_llama_dir))
    result = interpreter.fine_tune(
        train_data=colour_chats(64), peft={"method": "lora", "r": 4}, epochs=2, **SFT
    )
    assert result.training.parameters.trainable < result.training.parameters.total / 2
    saved = interpreter.save(tmp_path / "chat-adapter")
    assert (saved / "adapter_model.safetensors").is_file()
    assert (saved / "chat_template.jinja").is_file() or "chat_template" in (
        saved / "tokenizer_config.json"
    ).read_text()

    loaded = OpenInterpreter.load(saved)
    prompt = loaded.tokenizer("what colour is the sky?", return_tensors="pt")
    with torch.inference_mode():
        before = loaded.model(**prompt).logits
    answer = loaded.generate("what colour is the sky?", max_new_tokens=6)
    loaded.merge()
    with torch.inference_mode():
        after = loaded.model(**prompt).logits
    assert torch.allclose(before, after, atol=1e-5)
    assert loaded.generate("what colour is the sky?", max_new_tokens=6) == answer


@pytest.mark.parametrize("method", ["prompt-tuning", "prefix-tuning", "ia3"])
def test_other_methods_train_a_causal_lm(tiny_llama_dir: Path, method: str) -> None:
    interpreter = OpenInterpreter(str(tiny_llama_dir))
    peft = {"method": method, "num_virtual_tokens": 4}
    result = interpreter.fine_tune(train_data=colour_chats(32), peft=peft, epochs=1, **SFT)
    assert result.training.steps == 2
    assert isinstance(interpreter.generate("what colour is the sky?", max_new_tokens=4), str)


def test_seq2seq_fine_tuning_on_a_tiny_t5(tiny_t5_dir: Path, tmp_path: Path) -> None:
    interpreter = OpenInterpreter(str(tiny_t5_dir))
    pairs = [(r["prompt"], r["response"]) for r in colour_chats(96)]
    result = interpreter.fine_tune(
        train_data=pairs, validation_data=pairs[:8], task="seq2seq", epochs=8, **SFT
    )
    assert result.task == "seq2seq"
    assert result.after.loss < result.before.loss / 2
    assert isinstance(interpreter.generate("what colour is the sky?"), str)
    with pytest.raises(DataError, match="plain text"):
        interpreter.generate([{"role": "user", "content": "hi"}])
    adapter = OpenInterpreter(str(tiny_t5_dir))
    adapter.fine_tune(train_data=colour_chats(32), peft="lora", epochs=1, **SFT)
    assert adapter.task.name == "seq2seq"  # chat data on an encoder-decoder
    loaded = OpenInterpreter.load(adapter.save(tmp_path / "t5-lora"))
    answer = loaded.generate("what colour is the sky?", max_new_tokens=5)
    assert answer == adapter.generate("what colour is the sky?", max_new_tokens=5)
