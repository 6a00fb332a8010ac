"""The monitor's default analyzer: its classifiers (registered ones the monitor names, else
the cached fine-tuned ones), the alias table and, if set, a NER model opened by name
through the platform's model services."""

from __future__ import annotations

from typing import Any

from open_interpreter.apps.monitor.analysis import Analyzer, LexiconAnalyzer
from open_interpreter.apps.monitor.classifiers import (
    TrainingSizes,
    sentiment_classifier,
    topic_classifier,
)
from open_interpreter.apps.monitor.entities import AliasTable, EntityFinder
from open_interpreter.apps.monitor.settings import MonitorSettings
from open_interpreter.storage import Database


def default_analyzer(
    settings: MonitorSettings,
    sizes: TrainingSizes | None = None,
    *,
    database: Database | None = None,
) -> Analyzer | LexiconAnalyzer:
    """Build the analyzer a monitor with ``settings`` uses by default.

    With ``sentiment="lexicon"`` it is the dictionary alone. A classifier the settings
    name (``sentiment_model``, ``topic_model``) is opened from the registry in
    ``database`` (the platform's own when None); the others are fine-tuned on first use
    (a few minutes on a CPU) and loaded from ``$OI_HOME/monitor/models`` afterwards.

    Raises:
        ModelNotFoundError: ``settings.ner_model`` names no model.
        NotFoundError: A registered classifier the settings name is not in the registry.
    """
    ner = None
    if settings.ner_model:
        from open_interpreter.services.models import find_model, open_model

        ner = open_model(find_model(settings.ner_model))
        ner.ensure_loaded()
    entities = EntityFinder(AliasTable(settings.aliases), ner)
    if settings.sentiment == "lexicon":
        return LexiconAnalyzer(entities)
    sentiment = (
        registered_classifier(settings.sentiment_model, database)
        if settings.sentiment_model
        else sentiment_classifier(sizes)
    )
    topic = None
    if settings.topics:
        topic = (
            registered_classifier(settings.topic_model, database)
            if settings.topic_model
            else topic_classifier(sizes)
        )
    return Analyzer(sentiment, entities, topic)


def registered_classifier(reference: str, database: Database | None = None) -> Any:
    """The registered model ``name@version`` (or ``name``: its production version, else the
    latest), loaded.

    Raises:
        NotFoundError: No such registered model or version.
    """
    from open_interpreter.services.models import open_model

    return open_model(_find(reference, database))


def _find(reference: str, database: Database | None) -> Any:
    from open_interpreter.services.models import find_model

    name, _, version = reference.partition("@")
    with (database or Database()).session() as session:
        return find_model(
            name, version=int(version) if version else None, session=session, registered_only=True
        )


def classifiers_ready(
    settings: MonitorSettings,
    sizes: TrainingSizes | None = None,
    *,
    database: Database | None = None,
) -> bool:
    """Whether the analyzer for ``settings`` can be built without training anything (the
    dictionary needs nothing; a registered classifier must be in the registry of
    ``database``, the others in the cache)."""
    from open_interpreter.apps.monitor.classifiers import models_dir
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.errors import NotFoundError

    if settings.sentiment == "lexicon":
        return True
    sizes = sizes or TrainingSizes()
    needed = {"sentiment": settings.sentiment_model}
    if settings.topics:
        needed["topic"] = settings.topic_model
    for name, reference in needed.items():
        if reference is None:
            if not ModelBundle.is_saved(models_dir() / sizes.key(name)):
                return False
            continue
        try:
            _find(reference, database)
        except NotFoundError:
            return False
    return True
