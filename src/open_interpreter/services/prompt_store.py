"""The prompt library in the database: :class:`DatabasePromptStore`, one row per version.

``oi serve`` keeps the library here, and so does ``oi prompt`` when it finds a database
(``OI_DATABASE_URL``, or ``$OI_HOME/oi.db`` once created). Saving is safe from any number
of processes: the table is unique on ``(name, version)``, a second insert of a number
fails, and :meth:`~open_interpreter.prompting.PromptLibrary.save` takes the next one.

Versions saved as files before (``$OI_HOME/prompts``) come in once with
:meth:`DatabasePromptStore.import_files` (``oi prompt import``).

Example:
    >>> library = PromptLibrary(DatabasePromptStore(Database()))  # doctest: +SKIP
    >>> library.save("topic", PromptTemplate("Topic of: {{ text }}")).reference  # doctest: +SKIP
    'topic@1'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from open_interpreter.errors import ConflictError, NotFoundError
from open_interpreter.prompting import FilePromptStore, PromptTemplate, SavedPrompt
from open_interpreter.storage import Database, PromptVersion
from open_interpreter.storage.tables import utcnow


@dataclass
class PromptImport:
    """What :meth:`DatabasePromptStore.import_files` did.

    Attributes:
        imported: ``NAME@VERSION`` of every version copied into the database.
        unchanged: Names whose every file version was in the database already.
        conflicts: Names whose files and rows differ at the same version number; nothing
            of these was copied (rename one side, then import again).
    """

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


class DatabasePromptStore:
    """Library versions as rows of ``prompt_versions`` (a :class:`PromptStore`).

    Args:
        db: The database (migrated to at least revision ``0003``).
    """

    def __init__(self, db: Database):
        self.db = db

    def names(self) -> list[str]:
        """Every template name with at least one version, sorted."""
        with self.db.session() as session:
            query = select(PromptVersion.name).distinct().order_by(PromptVersion.name)
            return list(session.scalars(query))

    def versions(self, name: str) -> list[int]:
        """The versions of ``name``, ascending."""
        with self.db.session() as session:
            query = select(PromptVersion.version).where(PromptVersion.name == name)
            return list(session.scalars(query.order_by(PromptVersion.version)))

    def read(self, name: str, version: int) -> SavedPrompt:
        """Read one version.

        Raises:
            NotFoundError: There is no such version.
        """
        with self.db.session() as session:
            row = session.scalar(
                select(PromptVersion).where(
                    PromptVersion.name == name, PromptVersion.version == version
                )
            )
        if row is None:
            raise NotFoundError(f"no prompt {name}@{version} in the database")
        return _saved(row)

    def write(self, prompt: SavedPrompt) -> None:
        """Insert one version; an existing one is never replaced.

        Raises:
            ConflictError: The version exists already (another save got there first).
        """
        self._insert([prompt])

    def delete(self, name: str) -> None:
        """Delete every version of ``name``."""
        with self.db.session() as session, session.begin():
            session.execute(delete(PromptVersion).where(PromptVersion.name == name))

    def import_files(self, files: FilePromptStore | None = None) -> PromptImport:
        """Copy the versions kept as files into the database, keeping numbers and dates.

        Running it again copies only what is new: a name's versions are copied when every
        version number both sides hold has the same template there (each name in one
        transaction), else the name is a conflict and left alone. The files stay.

        Args:
            files: Where the versions are (default: ``$OI_HOME/prompts``).

        Returns:
            What was imported, already there, or in conflict.
        """
        files = files if files is not None else FilePromptStore()
        report = PromptImport()
        for name in files.names():
            saved = [files.read(name, version) for version in files.versions(name)]
            outcome = self._import_name(saved)
            if outcome is None:
                report.conflicts.append(name)
            elif outcome:
                report.imported += [prompt.reference for prompt in outcome]
            else:
                report.unchanged.append(name)
        return report

    def missing_from(self, files: FilePromptStore | None = None) -> list[str]:
        """Names kept as files (default: ``$OI_HOME/prompts``) that the database lacks."""
        files = files if files is not None else FilePromptStore()
        return sorted(set(files.names()) - set(self.names()))

    def _hashes(self, name: str) -> dict[int, str]:
        with self.db.session() as session:
            query = select(PromptVersion.version, PromptVersion.content_hash)
            rows = session.execute(query.where(PromptVersion.name == name))
            return {version: digest for version, digest in rows}

    def _import_name(self, saved: list[SavedPrompt]) -> list[SavedPrompt] | None:
        """The versions copied (empty: all there already), or None on a conflict."""
        for _ in range(2):  # once more if a concurrent save or import came in between
            held = self._hashes(saved[0].name)
            if any(held[p.version] != content_hash(p.template) for p in saved if p.version in held):
                return None
            new = [prompt for prompt in saved if prompt.version not in held]
            try:
                self._insert(new)
            except ConflictError:
                continue
            return new
        return None

    def _insert(self, prompts: list[SavedPrompt]) -> None:
        try:
            with self.db.session() as session, session.begin():
                session.add_all(_row(prompt) for prompt in prompts)
        except IntegrityError:  # the only constraint a complete row can break: (name, version)
            references = ", ".join(prompt.reference for prompt in prompts)
            raise ConflictError(f"prompt {references} exists already") from None


def content_hash(template: PromptTemplate) -> str:
    """SHA-256 of the template's text and system message (what makes two versions equal)."""
    content = json.dumps({"text": template.text, "system": template.system}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def _row(prompt: SavedPrompt) -> PromptVersion:
    template = prompt.template
    return PromptVersion(
        name=prompt.name,
        version=prompt.version,
        text=template.text,
        system=template.system,
        description=prompt.description,
        variables=sorted(template.variables),
        content_hash=content_hash(template),
        created_at=_stored_time(prompt.created),
    )


def _saved(row: PromptVersion) -> SavedPrompt:
    template = PromptTemplate(row.text, row.system, name=row.name)
    created = row.created_at.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")
    return SavedPrompt(row.name, row.version, template, row.description, created)


def _stored_time(created: str) -> datetime:
    """``SavedPrompt.created`` (ISO 8601) as the naive UTC time the tables store."""
    if not created:
        return utcnow()
    moment = datetime.fromisoformat(created)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
