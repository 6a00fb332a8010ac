"""Push a saved model directory to the Hugging Face Hub (or a Hub-compatible server).

Through ``huggingface_hub``'s own client: the repository is created if it does not
exist, and every file of the saved model (weights or adapter, tokenizer, ``oi_model.json``,
the card with its metadata header) goes up in one commit. The Hub decides which files go
through its large-file storage; its own validation of the card's metadata runs first.

The address is the ``endpoint`` given, else ``HF_ENDPOINT``, else huggingface.co; the
token is the one given, else ``HF_TOKEN`` or the one ``hf auth login`` saved.

Example:
    >>> push_directory("models/wnut16_ner", "me/wnut16-ner")  # doctest: +SKIP
    'https://huggingface.co/me/wnut16-ner/commit/3f9a...'
"""

from __future__ import annotations

import re
from pathlib import Path

from open_interpreter.errors import ConfigError, OpenInterpreterError
from open_interpreter.paths import MANIFEST

REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
"""A Hub repository id: ``name`` or ``owner/name``."""


class HubError(OpenInterpreterError):
    """The Hub refused or could not be reached; the message says which and what to do."""


def push_directory(
    directory: str | Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    endpoint: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload a saved model directory as one commit to the Hub repository ``repo_id``.

    Args:
        directory: A saved model (``OpenInterpreter.save``), with its ``oi_model.json``.
        repo_id: ``owner/name`` (or ``name`` under the token's own account).
        token: A Hub token with write access; default ``HF_TOKEN`` or the saved login.
        private: Create the repository private (ignored when it exists).
        endpoint: Another Hub-compatible server; default ``HF_ENDPOINT`` or the Hub.
        commit_message: Default ``"Upload <name> with Open Interpreter"``.

    Returns:
        The commit's address.

    Raises:
        ConfigError: ``repo_id`` is not a repository id, or ``directory`` is not a
            saved model.
        HubError: The Hub is switched off (``HF_HUB_OFFLINE``), refused (no or wrong
            token, no write access, invalid card) or could not be reached.
    """
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from open_interpreter.models.resolve import hub_offline

    if not REPO_ID.fullmatch(repo_id or "") or ".." in repo_id:
        raise ConfigError(
            f"{repo_id[:100]!r} is not a Hub repository id: use owner/name, e.g. me/wnut16-ner"
        )
    folder = Path(directory)
    if not (folder / MANIFEST).is_file():
        raise ConfigError(f"{folder} is not a saved model: it has no {MANIFEST}")
    if hub_offline():
        raise HubError("the Hub is switched off (HF_HUB_OFFLINE=1): unset it to push")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _skipped(folder, p))
    api = HfApi(endpoint=endpoint, token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.create_commit(
            repo_id,
            operations=[
                CommitOperationAdd(path_in_repo=p.relative_to(folder).as_posix(), path_or_fileobj=p)
                for p in files
            ],
            commit_message=commit_message or f"Upload {folder.name} with Open Interpreter",
        )
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        raise HubError(_refusal(status, repo_id, api.endpoint, exc)) from None
    except Exception as exc:
        if not _unreachable(exc):
            raise
        raise HubError(f"could not reach {api.endpoint}: {exc}") from None
    return str(commit.commit_url)


def _unreachable(exc: Exception) -> bool:
    """A refused connection, DNS, TLS or a timeout: an ``OSError``, or the HTTP client's
    transport error (its package, ``httpx`` or ``httpx2``, is not the Hub client's stable
    API, so it is recognised by name)."""
    if isinstance(exc, OSError):
        return True
    return any(
        cls.__name__ == "TransportError" and cls.__module__.split(".")[0].startswith("httpx")
        for cls in type(exc).__mro__
    )


def _skipped(folder: Path, path: Path) -> bool:
    """Training checkpoints and hidden files stay home."""
    parts = path.relative_to(folder).parts
    return parts[0] == "checkpoints" or any(part.startswith(".") for part in parts)


def _refusal(status: int | None, repo_id: str, endpoint: str, exc: Exception) -> str:
    first_line = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
    if status == 401:
        return (
            f"{endpoint} refused the token ({first_line}); pass token=..., set HF_TOKEN, "
            "or run `hf auth login`"
        )
    if status == 403:
        return f"the token may not write to {repo_id} on {endpoint} ({first_line})"
    return f"{endpoint} refused the upload to {repo_id}: {first_line}"
