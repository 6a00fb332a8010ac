"""Follow-up questions in a conversation: which text retrieval is asked.

A question that leans on what came before ("How much does it cost?", "And for a
garage?") has too little of its own to retrieve by. The rule: when the question has at
most :data:`SHORT_WORDS` words, or a word that points back (:data:`POINTING_WORDS`:
*it*, *this*, *they*, *there*...), and the conversation has a previous turn, the
retrieval query is the previous turn's query followed by the question (the last
:data:`MAX_QUERY_CHARS` characters, so a long chain stays bounded); otherwise it is the
question alone. The previous turn's *query*, not its question, so a chain of follow-ups
keeps the subject that started it.

Example:
    >>> retrieval_query("How much does it cost?", "How do I renew my passport?")
    'How do I renew my passport? How much does it cost?'
    >>> retrieval_query("Where do I apply for a fishing licence?", "How do I renew my passport?")
    'Where do I apply for a fishing licence?'
"""

from __future__ import annotations

import re

SHORT_WORDS = 4
"""A question of this many words or fewer is read as a follow-up."""
POINTING_WORDS = frozenset({
    "it", "its", "it's", "itself", "this", "that", "these", "those", "they", "them", "their",
    "theirs", "there", "he", "him", "his", "she", "her", "one", "ones", "same",
})  # fmt: skip
"""Words that point back to something said before."""
MAX_QUERY_CHARS = 1000
"""The longest retrieval query a chain of follow-ups builds (the newest characters kept)."""
_WORD = re.compile(r"[a-z0-9']+")


def is_follow_up(question: str) -> bool:
    """Whether ``question`` is short or points back to what was said before."""
    words = _WORD.findall(question.lower())
    return len(words) <= SHORT_WORDS or not POINTING_WORDS.isdisjoint(words)


def retrieval_query(question: str, previous_query: str | None) -> str:
    """The text to retrieve by for ``question``, given the previous turn's query (None on
    the first turn); see the module's text for the rule."""
    question = question.strip()
    if not previous_query or not is_follow_up(question):
        return question
    joined = f"{previous_query.strip()} {question}"
    return joined[-MAX_QUERY_CHARS:].lstrip()
