"""The customer-support assistant: a knowledge base with hybrid retrieval, intents and
slots fine-tuned by the platform, store lookups, and hand-off to a person (docs/assistant.md).

Example:
    >>> from open_interpreter.apps.assistant import Assistant
    >>> assistant = Assistant.from_faq("faq.csv")  # doctest: +SKIP
    >>> assistant.ask("How long does a building permit take?").answer  # doctest: +SKIP
"""

from open_interpreter.apps.assistant.assistant import DEFAULT_THRESHOLD, Assistant, Citation, Reply
from open_interpreter.apps.assistant.handoff import choose_threshold, handoff_scores
from open_interpreter.apps.assistant.intents import IntentData, parse_markup, read_intent_data
from open_interpreter.apps.assistant.knowledge import Entry, read_document, read_faq, read_knowledge
from open_interpreter.apps.assistant.retrieval import HybridRetriever, NamedEncoder
from open_interpreter.apps.assistant.stores import StoreDirectory
from open_interpreter.apps.assistant.understanding import Understanding

__all__ = [
    "DEFAULT_THRESHOLD",
    "Assistant",
    "Citation",
    "Entry",
    "HybridRetriever",
    "IntentData",
    "NamedEncoder",
    "Reply",
    "StoreDirectory",
    "Understanding",
    "choose_threshold",
    "handoff_scores",
    "parse_markup",
    "read_document",
    "read_faq",
    "read_intent_data",
    "read_knowledge",
]
