from open_interpreter.apps.assistant import Entry
from open_interpreter.apps.assistant.grounded import (
    SYSTEM,
    GroundedWriter,
    chat_examples,
    messages,
    says_unknown,
    support,
    train_chat_adapter,
)
from open_interpreter.apps.assistant.retrieval import HybridRetriever

from .conftest import FAQ

ENTRIES = [Entry(i, q, a, s) for i, q, a, s in FAQ]
ANSWERS = [e.answer for e in ENTRIES]


def test_messages_number_the_passages_in_the_system_message():
    chat = messages("How long?", ["Ten weeks.", "A fee."])
    assert chat[0]["content"] == SYSTEM.format(passages="[1] Ten weeks.\n[2] A fee.")
    assert chat[1] == {"role": "user", "content": "How long?"}


def test_chat_examples_always_hold_the_questions_own_answer(word_encoder):
    retriever = HybridRetriever(ANSWERS, word_encoder)
    chats = chat_examples(ENTRIES, [0, 3], retriever, passages=2)
    assert len(chats) == 2
    for chat, index in zip(chats, [0, 3], strict=True):
        system, user, reply = chat["messages"]
        assert user["content"] == FAQ[index][1] and reply["content"] == FAQ[index][2]
        assert FAQ[index][2] in system["content"] and system["content"].count("\n[") == 2


def test_support_and_declining_answers():
    assert support("Ten weeks for a permit.", "A permit takes ten weeks.") == 1.0
    assert support("Ten weeks, maybe twelve.", "A permit takes ten weeks.") == 0.5
    assert says_unknown("I do not know from these passages.")
    assert says_unknown("That is not mentioned in the passages.")
    assert not says_unknown("The fee is 25,000 SEK.")


def test_train_chat_adapter_is_lora_chat_sft_and_loads_back(word_encoder, tmp_path):
    from tests.fixtures.models import build_tiny_llama
    from tests.fixtures.tokenizers import build_chat_tokenizer

    model_dir = tmp_path / "llama"  # the shared tiny Llama's 256 positions are too few here
    tokenizer = build_chat_tokenizer()
    tokenizer.save_pretrained(model_dir)
    build_tiny_llama(tokenizer, max_position_embeddings=512).save_pretrained(model_dir)
    retriever = HybridRetriever(ANSWERS, word_encoder)
    writer, result = train_chat_adapter(
        ENTRIES, [0, 2], retriever, model=str(model_dir), output_dir=tmp_path / "chat",
        max_length=512, batch_size=2,
    )  # fmt: skip
    assert result.task == "causal-lm" and result.training.steps == 1
    assert result.config.peft.method == "lora"
    assert result.training.parameters.trainable < result.training.parameters.total / 5
    loaded = GroundedWriter.load(tmp_path / "chat", max_new_tokens=4)
    writer.settings = loaded.settings
    question, passages = FAQ[3][1], ANSWERS[:2]
    assert loaded.write(question, passages) == writer.write(question, passages)
