"""The shapes labelled data takes once it is read: texts, token lists or conversations."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TextExamples:
    """Texts (optionally paired with a second text) and one label each.

    Attributes:
        texts: The inputs.
        labels: One label per text (strings or ints), or None for unlabelled data.
        text_pairs: Second texts for sentence-pair tasks, or None.
        source: Where the data came from, for error messages.
        columns: The columns (or JSON fields) of the table it was read from, for error
            messages; None for data that had none (Python lists).
    """

    texts: list[str]
    labels: list[str | int] | None = None
    text_pairs: list[str] | None = None
    source: str = field(default="data", compare=False)
    columns: list[str] | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: list[int]) -> TextExamples:
        """Return the examples at ``indices``, in that order."""
        return TextExamples(
            texts=[self.texts[i] for i in indices],
            labels=None if self.labels is None else [self.labels[i] for i in indices],
            text_pairs=None if self.text_pairs is None else [self.text_pairs[i] for i in indices],
            source=self.source,
            columns=self.columns,
        )


@dataclass
class TokenExamples:
    """Pre-split sentences and one tag per token (NER and other token tasks).

    Attributes:
        tokens: One list of words per sentence.
        tags: One list of tags per sentence, as long as its words; None if unlabelled.
        source: Where the data came from, for error messages.
        columns: The columns (or JSON fields) of the table it was read from, for error
            messages; None for data that had none (Python lists, CoNLL files).
    """

    tokens: list[list[str]]
    tags: list[list[str]] | None = None
    source: str = field(default="data", compare=False)
    columns: list[str] | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.tokens)

    def subset(self, indices: list[int]) -> TokenExamples:
        """Return the sentences at ``indices``, in that order."""
        return TokenExamples(
            tokens=[self.tokens[i] for i in indices],
            tags=None if self.tags is None else [self.tags[i] for i in indices],
            source=self.source,
            columns=self.columns,
        )


@dataclass
class ChatExamples:
    """Conversations to learn to answer: generative (causal-LM and seq2seq) training data.

    Attributes:
        conversations: One list of messages per example; a message is a dict with a
            ``role`` (``system``, ``user`` or ``assistant``) and a ``content`` string. The
            model learns the ``assistant`` messages.
        source: Where the data came from, for error messages.
    """

    conversations: list[list[dict[str, str]]]
    source: str = field(default="data", compare=False)

    def __len__(self) -> int:
        return len(self.conversations)

    def subset(self, indices: list[int]) -> ChatExamples:
        """Return the conversations at ``indices``, in that order."""
        return ChatExamples([self.conversations[i] for i in indices], source=self.source)


Examples = TextExamples | TokenExamples | ChatExamples
