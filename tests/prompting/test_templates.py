"""Prompt templates: variables, sandboxed rendering, messages, files."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError
from open_interpreter.prompting import PromptTemplate, TemplateError
from open_interpreter.prompting.templates import conversation_text

from ..fixtures.tokenizers import build_word_tokenizer


def test_variables_are_read_from_the_template_loop_variables_excluded():
    template = PromptTemplate(
        "{% for d in examples %}{{ d.text }}{% endfor %}{{ text }}", system="You sort {{ topic }}."
    )
    assert template.variables == {"examples", "text", "topic"}


def test_missing_and_unknown_variables_are_named_before_rendering():
    template = PromptTemplate("Review: {{ text }}\nAbout {{ product }}?", name="review")
    with pytest.raises(TemplateError) as error:
        template.render({"text": "fine", "prodcut": "phone"})
    assert error.value.missing == ["product"]
    assert error.value.unknown == ["prodcut"]
    message = str(error.value)
    assert "'review'" in message and "{{ product }}" in message and "{{ prodcut }}" in message
    assert isinstance(error.value, ConfigError)


def test_optional_values_may_go_unused():
    template = PromptTemplate("Text: {{ text }}")
    assert template.render({"text": "hi", "labels": ["a"]}, optional=["labels"]) == "Text: hi"


def test_syntax_errors_and_empty_templates_fail_on_creation():
    with pytest.raises(TemplateError, match="line 1"):
        PromptTemplate("{{ text ")
    with pytest.raises(TemplateError, match="empty"):
        PromptTemplate("   ")


def test_templates_render_in_a_sandbox():
    template = PromptTemplate("{{ text.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match="could not be rendered"):
        template.render({"text": "x"})


def test_whatever_a_template_raises_is_a_template_error():
    with pytest.raises(TemplateError, match="division by zero"):
        PromptTemplate("{{ 1 / 0 }}").render({})
    with pytest.raises(TemplateError, match="nested too deeply"):
        PromptTemplate("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")


def test_messages_put_the_system_message_first():
    template = PromptTemplate("Classify: {{ text }}", system="You are a {{ role }}.")
    assert template.messages({"text": "a", "role": "judge"}) == [
        {"role": "system", "content": "You are a judge."},
        {"role": "user", "content": "Classify: a"},
    ]


def test_conversation_text_uses_the_chat_template_or_plain_text():
    tokenizer = build_word_tokenizer()
    turns = [("this film is good", "positive"), ("it was bad", None)]
    chat = conversation_text(tokenizer, turns, system="you are a classifier")
    assert chat == (
        "<|im_start|> system you are a classifier <|im_end|> <|im_start|> user this film is good "
        "<|im_end|> <|im_start|> assistant positive <|im_end|> <|im_start|> user it was bad "
        "<|im_end|> <|im_start|> assistant "
    )
    turns = [("Review: good\nSentiment:", "positive"), ("x", None)]
    plain = conversation_text(tokenizer, turns, chat=False)
    assert plain == "Review: good\nSentiment: positive\n\nx"


def test_from_file_reads_yaml_and_plain_text(tmp_path):
    (tmp_path / "topic.yaml").write_text("text: 'Topic: {{ text }}'\nsystem: You file news.\n")
    (tmp_path / "plain.j2").write_text("Say {{ text }}")
    assert PromptTemplate.from_file(tmp_path / "topic.yaml").system == "You file news."
    assert PromptTemplate.from_file(tmp_path / "plain.j2").name == "plain"
    with pytest.raises(TemplateError, match="cannot read"):
        PromptTemplate.from_file(tmp_path / "missing.txt")
