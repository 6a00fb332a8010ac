"""The monitor's default analyzer: its cached fine-tuned classifiers, the alias table and,
if set, a NER model opened by name through the platform's model services."""

from __future__ import annotations

from open_interpreter.apps.monitor.analysis import Analyzer, LexiconAnalyzer
from open_interpreter.apps.monitor.classifiers import (
    TrainingSizes,
    sentiment_classifier,
    topic_classifier,
)
from open_interpreter.apps.monitor.entities import AliasTable, EntityFinder
from open_interpreter.apps.monitor.settings import MonitorSettings


def default_analyzer(
    settings: MonitorSettings, sizes: TrainingSizes | None = None
) -> Analyzer | LexiconAnalyzer:
    """Build the analyzer a monitor with ``settings`` uses by default.

    With ``sentiment="lexicon"`` it is the dictionary alone. The classifiers are
    fine-tuned on first use (a few minutes on a CPU) and loaded from
    ``$OI_HOME/monitor/models`` afterwards.

    Raises:
        ModelNotFoundError: ``settings.ner_model`` names no model.
    """
    ner = None
    if settings.ner_model:
        from open_interpreter.services.models import find_model, open_model

        ner = open_model(find_model(settings.ner_model))
        ner.ensure_loaded()
    entities = EntityFinder(AliasTable(settings.aliases), ner)
    if settings.sentiment == "lexicon":
        return LexiconAnalyzer(entities)
    return Analyzer(
        sentiment_classifier(sizes),
        entities,
        topic_classifier(sizes) if settings.topics else None,
    )


def classifiers_ready(settings: MonitorSettings, sizes: TrainingSizes | None = None) -> bool:
    """Whether the analyzer for ``settings`` can be built without training anything (the
    dictionary needs nothing; the classifiers must be in the cache)."""
    from open_interpreter.apps.monitor.classifiers import models_dir
    from open_interpreter.bundle import ModelBundle

    if settings.sentiment == "lexicon":
        return True
    sizes = sizes or TrainingSizes()
    names = ["sentiment", "topic"] if settings.topics else ["sentiment"]
    return all(ModelBundle.is_saved(models_dir() / sizes.key(name)) for name in names)
