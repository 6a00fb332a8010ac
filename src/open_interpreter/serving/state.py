"""What the running app holds: settings, database, model cache, rate limiter, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from open_interpreter.serving.drift import DriftTracker
from open_interpreter.serving.model_cache import ModelCache
from open_interpreter.serving.rate_limit import RateLimiter
from open_interpreter.serving.settings import Settings
from open_interpreter.serving.versions import VersionLookup
from open_interpreter.storage import Database


@dataclass
class Metrics:
    """Prometheus metrics of one app (its own registry, so several apps can coexist)."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    predicted: Counter
    loaded_models: Gauge
    base_adapters: Gauge

    @classmethod
    def create(cls) -> Metrics:
        """Build the metrics in a fresh registry."""
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            requests=Counter(
                "oi_http_requests_total", "HTTP requests", ["route", "status"], registry=registry
            ),
            latency=Histogram(
                "oi_http_request_seconds", "HTTP request latency", ["route"], registry=registry
            ),
            predicted=Counter(
                "oi_predicted_texts_total",
                "Texts predicted",
                ["model", "backend"],
                registry=registry,
            ),
            loaded_models=Gauge("oi_loaded_models", "Models in the cache", registry=registry),
            base_adapters=Gauge(
                "oi_shared_base_adapters",
                "Adapters served on a base model loaded once",
                ["base"],
                registry=registry,
            ),
        )


@dataclass
class AppState:
    """Shared by every request of one app."""

    settings: Settings
    db: Database
    cache: ModelCache
    limiter: RateLimiter
    metrics: Metrics
    versions: VersionLookup = field(init=False)
    failed_keys: RateLimiter = field(init=False)
    """Failed key checks per client address: guessing keys is slowed down."""
    drift: DriftTracker = field(init=False)
    """Drift of the served versions' predictions (``serving/drift.py``)."""

    def __post_init__(self) -> None:
        self.versions = VersionLookup(self.db)
        self.failed_keys = RateLimiter(self.settings.failed_auth_per_minute)
        self.drift = DriftTracker(self.metrics.registry, self.db)
