"""A prompt library: templates saved under a name, in numbered versions, listed and diffed.

Versions are never overwritten: saving a changed template adds version ``n + 1``; saving
the same template again returns the version that already holds it. Where the versions
live is a :class:`PromptStore`; :class:`FilePromptStore` keeps one JSON file per version
under ``$OI_HOME/prompts/NAME/``; ``oi serve`` uses a database table
(``services/prompt_store.py``) through the same five methods. A store refuses to write a
version that exists; :meth:`PromptLibrary.save` then takes the next number, so concurrent
saves each get their own version.

Example:
    >>> library = PromptLibrary()
    >>> library.save("topic", PromptTemplate("Topic of: {{ text }}")).version  # doctest: +SKIP
    1
    >>> print(library.diff("topic"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.paths import oi_home
from open_interpreter.prompting.templates import PromptTemplate

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_VERSION_FILE = re.compile(r"v(\d+)\.json")
SAVE_ATTEMPTS = 50  # a lost race is another save's success: enough for 50 savers of one name


@dataclass(frozen=True)
class SavedPrompt:
    """One version of a template in the library.

    Attributes:
        name: The library name.
        version: 1 for the first save, then 2, 3...
        template: The template itself.
        description: What it is for, in a line.
        created: When it was saved (ISO 8601, UTC).
    """

    name: str
    version: int
    template: PromptTemplate
    description: str = ""
    created: str = ""

    @property
    def reference(self) -> str:
        """``NAME@VERSION``, as the CLI and configs take it."""
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what :class:`FilePromptStore` writes)."""
        return {
            "name": self.name,
            "version": self.version,
            "text": self.template.text,
            "system": self.template.system,
            "description": self.description,
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SavedPrompt:
        """Rebuild a saved prompt from :meth:`to_dict`."""
        name = str(data["name"])
        template = PromptTemplate(str(data["text"]), data.get("system"), name=name)
        return cls(
            name, int(data["version"]), template, data.get("description", ""), data["created"]
        )


class PromptStore(Protocol):
    """Where library versions are kept: files, or a database table (``DatabasePromptStore``)."""

    def names(self) -> list[str]:
        """Every template name, sorted."""
        ...

    def versions(self, name: str) -> list[int]:
        """The versions of ``name``, ascending; empty when there are none."""
        ...

    def read(self, name: str, version: int) -> SavedPrompt:
        """Return one version; raise NotFoundError when it does not exist."""
        ...

    def write(self, prompt: SavedPrompt) -> None:
        """Add a version; raise ConflictError when that version already exists."""
        ...

    def delete(self, name: str) -> None:
        """Remove every version of ``name`` (nothing happens when there are none)."""
        ...


class FilePromptStore:
    """One JSON file per version: ``ROOT/NAME/vVERSION.json`` (default ROOT: ``$OI_HOME/prompts``).

    Args:
        root: The folder to keep the templates in.
    """

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else oi_home() / "prompts"

    def names(self) -> list[str]:
        """Every template name with at least one version, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.versions(p.name))

    def versions(self, name: str) -> list[int]:
        """The versions saved under ``name``, ascending."""
        folder = self.root / name
        if not folder.is_dir():
            return []
        found = (_VERSION_FILE.fullmatch(p.name) for p in folder.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def read(self, name: str, version: int) -> SavedPrompt:
        """Read one version.

        Raises:
            NotFoundError: There is no such version.
        """
        path = self.root / name / f"v{version}.json"
        try:
            return SavedPrompt.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFoundError(f"no prompt {name}@{version} in {self.root}") from None

    def write(self, prompt: SavedPrompt) -> None:
        """Write one version; an existing file is never replaced.

        Raises:
            ConflictError: The version exists already (another save got there first).
        """
        folder = self.root / prompt.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"v{prompt.version}.json"
        try:
            with path.open("x", encoding="utf-8") as file:
                json.dump(prompt.to_dict(), file, indent=2)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
        except FileExistsError:
            raise ConflictError(f"prompt {prompt.reference} exists already") from None

    def delete(self, name: str) -> None:
        """Remove every version file of ``name``, then its folder unless something else is there."""
        folder = self.root / name
        for version in self.versions(name):
            (folder / f"v{version}.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # missing, or holds files that are not versions
            folder.rmdir()


class PromptLibrary:
    """Save, find, list, diff and delete named, versioned templates.

    Args:
        store: Where the versions live (default: files under ``$OI_HOME/prompts``).
    """

    def __init__(self, store: PromptStore | None = None):
        self.store: PromptStore = store if store is not None else FilePromptStore()

    def save(self, name: str, template: PromptTemplate, description: str = "") -> SavedPrompt:
        """Save ``template`` as the next version of ``name`` (unless it equals the latest).

        Args:
            name: Letters, digits, ``.``, ``_`` and ``-``.
            template: The template.
            description: What it is for.

        Returns:
            The saved version, or the latest one when it already holds this template.

        Raises:
            ConfigError: The name is not valid.
            ConflictError: Concurrent saves of ``name`` took every next number
                ``SAVE_ATTEMPTS`` times in a row.
        """
        check_name(name)
        named = PromptTemplate(template.text, template.system, name=name)
        for _ in range(SAVE_ATTEMPTS):
            versions = self.store.versions(name)
            if versions:
                latest = self.store.read(name, versions[-1])
                if latest.template == template:
                    return latest
            created = datetime.now(timezone.utc).isoformat(timespec="seconds")
            number = (versions[-1] if versions else 0) + 1
            saved = SavedPrompt(name, number, named, description, created)
            try:
                self.store.write(saved)
            except ConflictError:
                continue  # a concurrent save took this number: look at the latest again
            return saved
        raise ConflictError(
            f"prompt {name!r} changed under {SAVE_ATTEMPTS} attempts to save it: try again"
        )

    def get(self, reference: str, version: int | None = None) -> SavedPrompt:
        """Return ``NAME`` (its latest version), ``NAME@VERSION``, or ``NAME`` at ``version``.

        Raises:
            NotFoundError: No such name or version (the message lists what exists).
            ConfigError: The reference is malformed.
        """
        name, at = parse_reference(reference)
        version = at if at is not None else version
        versions = self.store.versions(name)
        if not versions:
            known = ", ".join(self.store.names()) or "none saved yet"
            raise NotFoundError(f"no prompt named {name!r} (known: {known})")
        if version is None:
            return self.store.read(name, versions[-1])
        if version not in versions:
            raise NotFoundError(f"prompt {name!r} has versions {versions}, not {version}")
        return self.store.read(name, version)

    def history(self, name: str) -> list[SavedPrompt]:
        """Every version of ``name``, oldest first."""
        return [self.store.read(name, v) for v in self.store.versions(name)]

    def diff(self, old: str, new: str | None = None) -> str:
        """A unified diff between two versions.

        Args:
            old: ``NAME@VERSION``; a bare ``NAME`` with ``new`` None compares its latest
                version with the one before.
            new: ``NAME@VERSION`` or ``NAME`` (latest) to compare ``old`` with.

        Returns:
            The diff (empty when the two are the same).

        Raises:
            NotFoundError: A version does not exist, or ``NAME`` has only one.
        """
        if new is None and parse_reference(old)[1] is None:
            versions = self.store.versions(old)
            if len(versions) < 2:
                raise NotFoundError(
                    f"prompt {old!r} has {len(versions)} version(s): nothing to diff"
                )
            old, new = f"{old}@{versions[-2]}", f"{old}@{versions[-1]}"
        before = self.get(old)
        after = self.get(new) if new is not None else self.get(before.name)
        lines = difflib.unified_diff(
            _as_lines(before.template),
            _as_lines(after.template),
            fromfile=before.reference,
            tofile=after.reference,
        )
        return "".join(lines)

    def delete(self, name: str) -> list[int]:
        """Delete every version of ``name``.

        Returns:
            The versions deleted.

        Raises:
            NotFoundError: There is no prompt of that name.
            ConfigError: The name is not valid.
        """
        check_name(name)
        versions = self.store.versions(name)
        if not versions:
            raise NotFoundError(f"no prompt named {name!r}")
        self.store.delete(name)
        return versions

    def list(self) -> list[SavedPrompt]:  # last: inside the class, ``list`` is this method
        """The latest version of every template, by name."""
        return [self.get(name) for name in self.store.names()]


def parse_reference(reference: str) -> tuple[str, int | None]:
    """Split ``NAME@VERSION`` into the name and the version (None when absent).

    Raises:
        ConfigError: The name or version is malformed.
    """
    name, sep, version = reference.partition("@")
    check_name(name)
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise ConfigError(f"a prompt version is a number from 1, got {reference!r}")
    return name, int(version)


def check_name(name: str) -> None:
    """Raise ConfigError unless ``name`` is letters, digits, ``.``, ``_``, ``-`` (up to 100)."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"{name!r} is not a valid prompt name: use letters, digits, '.', '_' and '-'"
        )


def _as_lines(template: PromptTemplate) -> list[str]:
    text = template.text if template.text.endswith("\n") else template.text + "\n"
    if template.system is None:
        return text.splitlines(keepends=True)
    system = template.system if template.system.endswith("\n") else template.system + "\n"
    return ["[system]\n", *system.splitlines(keepends=True), "[user]\n", *text.splitlines(True)]
