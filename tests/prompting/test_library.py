"""The prompt library: versions, diffs, errors, any store behind it, deleting."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.prompting import FilePromptStore, PromptLibrary, PromptTemplate


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
