"""Prompt templates (variables checked before anything runs) and the versioned prompt library."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.prompting import FilePromptStore, PromptLibrary, PromptTemplate, TemplateError
from open_interpreter.prompting.templates import conversation_text

from .tiny_prompting import build_word_tokenizer


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


def test_library_saves_versions_lists_and_diffs(isolated_home):
    library = PromptLibrary()
    first = library.save("topic", PromptTemplate("Topic of: {{ text }}"), "first try")
    again = library.save("topic", PromptTemplate("Topic of: {{ text }}"))
    second = library.save("topic", PromptTemplate("Which topic?\n{{ text }}", system="Be brief."))
    assert (first.version, again.version, second.version) == (1, 1, 2)
    assert (isolated_home / "prompts" / "topic" / "v2.json").is_file()
    library.save("sentiment", PromptTemplate("Sentiment of {{ text }}"))
    assert [p.reference for p in library.list()] == ["sentiment@1", "topic@2"]
    assert library.get("topic@1").description == "first try"
    assert library.get("topic").template.system == "Be brief."
    diff = library.diff("topic")
    assert diff.startswith("--- topic@1\n+++ topic@2\n")
    assert "-Topic of: {{ text }}" in diff and "+[system]" in diff and "+Be brief." in diff
    assert library.diff("topic@1", "topic@1") == ""
    assert library.diff("topic@2", "sentiment").count("+Sentiment of {{ text }}") == 1


def test_library_errors_name_what_exists(isolated_home):
    library = PromptLibrary()
    library.save("topic", PromptTemplate("{{ text }}"))
    with pytest.raises(NotFoundError, match="known: topic"):
        library.get("topik")
    with pytest.raises(NotFoundError, match=r"versions \[1\], not 3"):
        library.get("topic@3")
    with pytest.raises(NotFoundError, match="nothing to diff"):
        library.diff("topic")
    with pytest.raises(ConfigError, match="not a valid prompt name"):
        library.save("../escape", PromptTemplate("{{ text }}"))
    with pytest.raises(ConfigError, match="version"):
        library.get("topic@latest")


def test_the_file_store_never_overwrites_a_version(tmp_path):
    store = FilePromptStore(tmp_path)
    saved = PromptLibrary(store).save("topic", PromptTemplate("{{ text }}"))
    with pytest.raises(ConflictError):
        store.write(saved)
    assert store.names() == ["topic"] and store.versions("topic") == [1]


class MemoryStore:
    """A store in a dict: what a database-backed store has to provide."""

    def __init__(self):
        self.rows = {}

    def names(self):
        return sorted({name for name, _ in self.rows})

    def versions(self, name):
        return sorted(v for n, v in self.rows if n == name)

    def read(self, name, version):
        if (name, version) not in self.rows:
            raise NotFoundError(f"{name}@{version}")
        return self.rows[name, version]

    def write(self, prompt):
        self.rows[prompt.name, prompt.version] = prompt

    def delete(self, name):
        self.rows = {key: row for key, row in self.rows.items() if key[0] != name}


def test_the_library_works_on_any_store():
    library = PromptLibrary(MemoryStore())
    library.save("a", PromptTemplate("{{ text }}!"))
    library.save("a", PromptTemplate("{{ text }}?"))
    assert library.get("a").template.text == "{{ text }}?"
    assert "-{{ text }}!" in library.diff("a")
    assert library.delete("a") == [1, 2] and library.list() == []


def test_deleting_removes_every_version_and_only_that_prompt(tmp_path):
    library = PromptLibrary(FilePromptStore(tmp_path))
    library.save("topic", PromptTemplate("{{ text }}"))
    library.save("topic", PromptTemplate("{{ text }}!"))
    library.save("other", PromptTemplate("{{ text }}"))
    assert library.delete("topic") == [1, 2]
    assert not (tmp_path / "topic").exists() and library.store.names() == ["other"]
    with pytest.raises(NotFoundError, match="no prompt named 'topic'"):
        library.delete("topic")
    with pytest.raises(ConfigError, match="not a valid prompt name"):
        library.delete("../other")
