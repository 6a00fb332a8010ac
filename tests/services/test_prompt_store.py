"""The prompt library in the database (SQLite and PostgreSQL): the store, concurrent saves,
importing file prompts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from open_interpreter.errors import ConflictError, NotFoundError
from open_interpreter.prompting import FilePromptStore, PromptLibrary, PromptTemplate
from open_interpreter.services.prompt_store import DatabasePromptStore, content_hash
from open_interpreter.storage import PromptVersion


def test_the_store_keeps_every_field_of_a_version(db):
    store = DatabasePromptStore(db)
    library = PromptLibrary(store)
    first = library.save("topic", PromptTemplate("Topic of: {{ text }}"), "first try")
    second = library.save("topic", PromptTemplate("{{ text }}?", system="You sort {{ kind }}."))
    library.save("sentiment", PromptTemplate("Sentiment of {{ text }}"))

    assert store.names() == ["sentiment", "topic"] and store.versions("topic") == [1, 2]
    assert store.read("topic", 1) == first and store.read("topic", 2) == second
    assert library.save("topic", PromptTemplate("{{ text }}?", system="You sort {{ kind }}.")) == (
        second
    )
    with db.session() as session:
        row = session.scalar(select(PromptVersion).where(PromptVersion.version == 2))
    assert row.variables == ["kind", "text"] and row.content_hash == content_hash(second.template)
    assert row.created_at.isoformat(timespec="seconds") == second.created.removesuffix("+00:00")

    with pytest.raises(ConflictError, match="topic@2 exists already"):
        store.write(second)
    with pytest.raises(NotFoundError, match="no prompt topic@3"):
        store.read("topic", 3)
    assert library.delete("topic") == [1, 2] and store.names() == ["sentiment"]
    assert store.versions("topic") == []


def test_a_save_that_loses_the_race_takes_the_next_number(db):
    class Stale(DatabasePromptStore):
        """Answers the versions as they were before a concurrent save, once."""

        stale = True

        def versions(self, name):
            found = super().versions(name)
            if self.stale and found:
                self.stale = False
                return found[:-1]
            return found

    store = Stale(db)
    PromptLibrary(DatabasePromptStore(db)).save("topic", PromptTemplate("{{ text }}"))
    saved = PromptLibrary(store).save("topic", PromptTemplate("{{ text }}!"))
    assert saved.version == 2 and not store.stale


@pytest.mark.parametrize("same", [False, True], ids=["different", "same"])
def test_concurrent_saves_each_get_their_own_version(db, same):
    threads = 8
    barrier = threading.Barrier(threads)

    def save(index: int) -> int:
        library = PromptLibrary(DatabasePromptStore(db))
        template = PromptTemplate("{{ text }}" + ("" if same else f" #{index}"))
        barrier.wait()
        return library.save("topic", template).version

    with ThreadPoolExecutor(threads) as pool:
        versions = list(pool.map(save, range(threads)))

    store = DatabasePromptStore(db)
    if same:
        assert versions == [1] * threads and store.versions("topic") == [1]
    else:
        assert sorted(versions) == list(range(1, threads + 1))
        texts = {store.read("topic", v).template.text for v in store.versions("topic")}
        assert texts == {f"{{{{ text }}}} #{i}" for i in range(threads)}


def test_import_copies_file_prompts_once_and_then_only_what_is_new(db, tmp_path):
    files = PromptLibrary(FilePromptStore(tmp_path / "prompts"))
    first = files.save("topic", PromptTemplate("Topic of: {{ text }}"), "first")
    files.save("topic", PromptTemplate("{{ text }}", system="Be brief."))
    files.save("other", PromptTemplate("Other {{ text }}"))
    store = DatabasePromptStore(db)
    assert store.missing_from(files.store) == ["other", "topic"]

    report = store.import_files(files.store)
    assert report.imported == ["other@1", "topic@1", "topic@2"] and not report.conflicts
    assert store.read("topic", 1) == first  # number, template, description and date kept
    assert store.missing_from(files.store) == []
    again = store.import_files(files.store)
    assert again.imported == [] and again.unchanged == ["other", "topic"]

    files.save("topic", PromptTemplate("{{ text }} (third)"))
    PromptLibrary(store).save("other", PromptTemplate("Changed in the database {{ text }}"))
    newer = store.import_files(files.store)
    assert newer.imported == ["topic@3"] and newer.unchanged == ["other"]

    PromptLibrary(store).save("clash", PromptTemplate("database {{ text }}"))
    files.save("clash", PromptTemplate("files {{ text }}"))
    files.save("clash", PromptTemplate("files again {{ text }}"))
    clash = store.import_files(files.store)
    assert clash.conflicts == ["clash"] and clash.imported == []
    assert store.versions("clash") == [1]  # nothing of a conflicting name is copied
