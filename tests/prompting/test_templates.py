"""Prompt templates: variables, sandboxed rendering, limits, messages, files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from open_interpreter.errors import ConfigError
from open_interpreter.prompting import DEFAULT_TEMPLATE, PromptTemplate, TemplateError
from open_interpreter.prompting.extraction import DEFAULT_EXTRACTION_TEMPLATE
from open_interpreter.prompting.templates import conversation_text

from ..fixtures.tokenizers import build_word_tokenizer

EXAMPLES = Path(__file__).parents[2] / "examples" / "prompts"


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


def _refused(source: str, match: str, **values) -> float:
    """Seconds it took ``source`` to raise a TemplateError matching ``match``."""
    start = time.perf_counter()
    with pytest.raises(TemplateError, match=match):
        PromptTemplate(source).render(values, optional=values)
    return time.perf_counter() - start


def test_repetition_past_the_limit_is_refused_before_it_is_built():
    seconds = _refused("{{ text * 20000000 }}", "more than 100,000 characters", text="xy")
    assert seconds < 1
    _refused("{{ ([text] * 999999999) | length }}", "100,000 characters", text="xy")
    _refused("{{ 2 ** 100000000 }}", "4,300 digits")


def test_ranges_are_capped():
    _refused("{% for i in range(10**9) %}x{% endfor %}", r"range\(\) is limited to 10,000")
    assert PromptTemplate("{{ range(10000) | length }}").render({}) == "10000"


def test_nested_loops_stop_when_the_output_passes_the_limit():
    source = (
        "{% for i in range(10000) %}{% for j in range(10000) %}{{ text }}{% endfor %}{% endfor %}"
    )
    assert _refused(source, "output passed 100,000 characters", text="xy") < 1
    with pytest.raises(TemplateError, match="output passed 10 characters"):
        PromptTemplate("{{ text }}").render({"text": "x" * 11}, max_chars=10)


@pytest.mark.parametrize(
    "source",
    [
        "{% set a = text ~ text %}" + "{% set a = a ~ a %}" * 30,  # doubling by ~
        "{% set a = [text] %}" + "{% set a = [a, a] %}" * 30 + "{{ a }}",  # shared sublists
        "{% set b %}{% for i in range(10000) %}{{ text * 20 }}{% endfor %}{% endset %}",
        "{{ text | center(1000000000) }}",
        "{{ text.ljust(10**9) }}",
        "{% set b = text * 40000 %}{{ b | replace('x', b) }}",
        "{{ range(10000) | join(text * 40000) }}",
        "{{ '%999999999s' % text }}",
        "{{ '{:>{}}'.format(text, 10**9) }}",
        "{{ [1] | slice(999999999) | list }}",
    ],
)
def test_values_past_the_limit_are_refused_however_they_are_built(source):
    assert _refused(source, "more than 100,000 characters", text="xy") < 1


def test_a_render_that_runs_too_long_is_stopped():
    # 10^8 empty iterations: about 5 s in plain Jinja; here each iteration reads the clock
    loops = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    assert 1 <= _refused(loops, "ran for more than 1 s") < 3
    recursion = "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}"
    with pytest.raises(TemplateError, match=r"ran for more than 0\.1 s"):
        PromptTemplate(recursion + "{{ f(40) }}").render({}, max_seconds=0.1)


def _library_templates() -> list[PromptTemplate]:
    shipped = [DEFAULT_TEMPLATE, DEFAULT_EXTRACTION_TEMPLATE]
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for name, data in yaml.safe_load(path.read_text())["templates"].items():
            shipped.append(PromptTemplate.from_dict(data, name=name))
    return shipped


@pytest.mark.parametrize("template", _library_templates(), ids=lambda t: t.name)
def test_the_shipped_templates_render_as_jinja_renders_them(template):
    values = {"text": "Arsenal won 2-0 at Anfield.", "labels": ["business", "sport", "tech"]}
    values["types"] = ["person", "location"]
    plain = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for message in template.messages(values, optional=values):
        source = template.system if message["role"] == "system" else template.text
        assert message["content"] == plain.from_string(source).render(**values)


def test_a_few_shot_prompt_of_hundreds_of_demonstrations_renders_as_before():
    source = (
        "{% for d in examples %}Review: {{ d.text | trim }}\nSentiment: {{ d.label }}\n\n"
        "{% endfor %}Review: {{ text }}\nSentiment ({{ labels | join(' or ') }}):"
    )
    examples = [
        {
            "text": f"Review {i}: " + "the film was long but the ending was worth it " * 3,
            "label": "positive",
        }
        for i in range(300)
    ]
    values = {"examples": examples, "text": "dull", "labels": ["positive", "negative"]}
    rendered = PromptTemplate(source).render(values)
    expected = ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(source)
    assert rendered == expected.render(**values) and len(rendered) > 50_000
