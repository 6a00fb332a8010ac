"""Labelled data in: files, Python objects and packaged datasets, as two example shapes.

Everything here returns :class:`TextExamples` (one label per text) or
:class:`TokenExamples` (one tag per token) and raises
:class:`~open_interpreter.errors.DataError` naming the file and line, or the index, of
what is wrong. Importing this package imports neither pandas nor datasets.
"""

from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.data.inputs import to_examples
from open_interpreter.data.packaged import (
    PACKAGED_DATASETS,
    PackagedDataset,
    bbc_news,
    load_packaged,
    tweet_sentiment,
    wnut16,
)
from open_interpreter.data.readers import (
    SUPPORTED_EXTENSIONS,
    FileFormat,
    read_conll,
    read_file,
    read_jsonl,
    read_table,
)
from open_interpreter.data.validation import check_labels_known, label_set, seeded_split

__all__ = [
    "PACKAGED_DATASETS",
    "SUPPORTED_EXTENSIONS",
    "Examples",
    "FileFormat",
    "PackagedDataset",
    "TextExamples",
    "TokenExamples",
    "bbc_news",
    "check_labels_known",
    "label_set",
    "load_packaged",
    "read_conll",
    "read_file",
    "read_jsonl",
    "read_table",
    "seeded_split",
    "to_examples",
    "tweet_sentiment",
    "wnut16",
]
