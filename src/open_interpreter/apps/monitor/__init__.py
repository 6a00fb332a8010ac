"""The financial-news monitor: streaming sentiment and topics per company, windowed time
series, and alerts (see docs/monitor.md).

Example:
    >>> from open_interpreter.apps.monitor import Monitor
    >>> monitor = Monitor("banks", rules=[{"name": "drop", "kind": "adwin"}])  # doctest: +SKIP
    >>> monitor.replay("news.jsonl", speed=600)  # doctest: +SKIP
    >>> monitor.series("entity:HSBC"), monitor.alerts()  # doctest: +SKIP
"""

from open_interpreter.apps.monitor.analysis import (
    Analysis,
    Analyzer,
    CachedAnalyzer,
    LexiconAnalyzer,
)
from open_interpreter.apps.monitor.documents import Document, read_documents, replay
from open_interpreter.apps.monitor.entities import AliasTable, EntityFinder, Mention
from open_interpreter.apps.monitor.monitor import IngestResult, Monitor
from open_interpreter.apps.monitor.settings import MonitorSettings, Rule, Webhook

__all__ = [
    "AliasTable",
    "Analysis",
    "Analyzer",
    "CachedAnalyzer",
    "Document",
    "EntityFinder",
    "IngestResult",
    "LexiconAnalyzer",
    "Mention",
    "Monitor",
    "MonitorSettings",
    "Rule",
    "Webhook",
    "read_documents",
    "replay",
]
