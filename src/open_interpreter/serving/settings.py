"""Server settings, read from the environment (``OI_…``) and ``oi serve``'s options."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything ``oi serve`` can be told; each field is also ``OI_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="OI_", extra="ignore")

    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite at $OI_HOME/oi.db."
    )
    host: str = Field("127.0.0.1", description="Interface to bind.")
    port: int = Field(8000, description="Port to bind.")
    keep_alive_s: int = Field(
        75,
        gt=0,
        description="Seconds an idle keep-alive connection stays open. Longer than the idle "
        "timeouts of clients and proxies (uvicorn's own 5 s is not: a client then sends its "
        "next request on a connection the server is closing, and it is reset).",
    )
    auth: bool = Field(True, description="Require API keys (off only for local experiments).")
    allow_remote_code: bool = Field(
        False,
        description="Let fine-tune jobs set trust_remote_code (runs a model repository's code).",
    )
    workers: int = Field(1, ge=0, description="Embedded fine-tune workers started by oi serve.")
    max_body_bytes: int = Field(1_000_000, gt=0, description="Largest JSON request body.")
    max_upload_bytes: int = Field(
        50_000_000, gt=0, description="Largest dataset or model-archive upload."
    )
    body_read_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Most seconds a request body may take to arrive; a slower one is cut off "
        "(408) and its connection closed.",
    )
    max_unpacked_bytes: int = Field(
        2_000_000_000, gt=0, description="Most bytes an uploaded model archive unpacks to."
    )
    rate_limit_per_minute: int = Field(1200, gt=0, description="Requests per key per minute.")
    failed_auth_per_minute: int = Field(
        30, gt=0, description="Requests with a missing or unknown key per client address a minute."
    )
    batch_wait_ms: float = Field(5.0, ge=0, description="How long predictions wait to batch.")
    max_batch_size: int = Field(64, gt=0, description="Most texts in one forward pass.")
    torch_threads: int = Field(
        1,
        gt=0,
        description="Intra-op threads of each loaded model's forward passes. Each model runs "
        "on a thread of its own, beside the fine-tune jobs of the embedded workers: more "
        "threads pay only on an otherwise idle machine.",
    )
    max_queue_wait_s: float = Field(
        30.0,
        gt=0,
        description="Longest a generation, evaluation or explanation may expect to wait for "
        "its model; one that would wait longer is answered 429 model_busy with Retry-After.",
    )
    backend: Literal["torch", "onnx"] = Field(
        "torch",
        description="What computes predictions: torch, or onnx (a version's ONNX export kept "
        "with it in the registry, where it has one; explanations, evaluations and generation "
        "stay on PyTorch).",
    )
    onnx_precision: Literal["int8", "fp32"] | None = Field(
        None,
        description="The export the onnx backend serves (default: int8 where kept, else fp32).",
    )
    max_texts_per_request: int = Field(256, gt=0, description="Most texts in one predict call.")
    max_prompt_eval_examples: int = Field(
        500, gt=0, description="Largest dev_size and pool_size of a prompt evaluation."
    )
    max_prompt_eval_runs: int = Field(
        16, gt=0, description="Most runs (after expanding lists) in one prompt evaluation."
    )
    model_cache_bytes: int = Field(
        2_000_000_000, gt=0, description="Memory budget for loaded models (LRU eviction)."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (none by default)."
    )
    allow_hub: bool = Field(
        False,
        description="Let API clients name models in the Hugging Face cache or on the Hub "
        "(downloaded on first use); otherwise only registered models, catalogue aliases and "
        "model-store names.",
    )
    max_hub_download_bytes: int = Field(
        2_000_000_000, gt=0, description="Largest Hub download a client's model name may cause."
    )
