"""Request and response bodies, a family per resource (``XCreate``, ``XPublic``, ``XsPublic``)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from open_interpreter.services.names import MODEL_PATTERN, NAME_PATTERN


class Page(BaseModel):
    """Common fields of a list response."""

    count: int


class DatasetPublic(BaseModel):
    """A stored dataset."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    format: str
    shape: Literal["texts", "tokens", "interactions"]
    num_examples: int
    labels: list[Any]
    sha256: str
    size_bytes: int
    preview: list[dict[str, Any]]
    created_at: datetime


class DatasetsPublic(Page):
    """A page of datasets."""

    data: list[DatasetPublic]


class ModelVersionPublic(BaseModel):
    """One version of a registered model."""

    model_config = ConfigDict(from_attributes=True)

    model_name: str
    version: int
    stage: str
    base_model: str
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    job_id: str | None
    created_at: datetime


class ExportRequest(BaseModel):
    """What to export a registered version as."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["onnx"] = "onnx"
    quantize: Literal["int8"] | None = None
    """``int8`` for ONNX Runtime's dynamic int8 weights; fp32 without it."""
    dataset_id: str | None = Field(default=None, max_length=64)
    """A labelled stored dataset to check parity on (int8's accuracy / F1 check needs one)."""
    wait: bool = True
    """Export in the request and answer 201 with the export (the default), or ``false``:
    queue an ``export`` job and answer 202 with it (``GET /v1/fine-tunes/{id}``)."""


class ExportPublic(BaseModel):
    """An export kept with a registered version."""

    format: Literal["onnx"]
    precision: Literal["fp32", "int8"]
    size_bytes: int
    parity: dict[str, Any]
    """The parity gate's figures: logit difference, label agreement, the metric for int8."""
    created_at: str | None
    serves: bool = False
    """Whether this server predicts with it (``OI_BACKEND=onnx`` and it is the version's
    preferred export: int8, else fp32, or ``OI_ONNX_PRECISION``'s)."""


class ModelPublic(BaseModel):
    """A registered model with its versions (and the fields of an OpenAI model object, so
    the ``openai`` SDK's ``models.list()`` / ``models.retrieve()`` read it)."""

    name: str
    task: str
    description: str
    created_at: datetime
    versions: list[ModelVersionPublic]
    id: str = ""
    """The name, as OpenAI's clients look for it."""
    object: Literal["model"] = "model"
    created: int = 0
    """``created_at`` in seconds since the epoch (UTC)."""
    owned_by: str = "open-interpreter"

    @model_validator(mode="after")
    def _openai_fields(self) -> ModelPublic:
        self.id = self.name
        self.created = int(self.created_at.replace(tzinfo=timezone.utc).timestamp())
        return self


class ModelsPublic(Page):
    """Registered models (an OpenAI-style ``list`` object too)."""

    object: Literal["list"] = "list"
    data: list[ModelPublic]


class ModelRegister(BaseModel):
    """Register a saved model directory (written by ``oi train`` or ``interpreter.save``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Registry name.")
    path: str = Field(description="A directory on the server, as written by interpreter.save.")


class PromoteRequest(BaseModel):
    """Which version becomes production."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(gt=0)


PredictInput = str | list[str] | tuple[str, str]


class PredictRequest(BaseModel):
    """Texts to predict: strings, ``[text, pair]`` pairs, or pre-split token lists."""

    model_config = ConfigDict(extra="forbid")

    texts: list[PredictInput] = Field(min_length=1, description="The inputs, one per prediction.")
    version: int | None = Field(None, gt=0, description="A version number (default: production).")
    stage: Literal["production"] | None = Field(None, description="Or a stage.")


class PredictResponse(BaseModel):
    """One prediction per input, in order."""

    model: str
    version: int
    task: str
    backend: str = "torch"
    """What computed the predictions: ``torch``, ``onnx-fp32`` or ``onnx-int8``."""
    predictions: list[dict[str, Any]]


MAX_EXPLAIN_TEXTS = 16  # an explanation costs up to `steps` forward + backward passes
MAX_EXPLAIN_CHARS = 5_000  # longer texts are cut to the model's length anyway


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the text is empty: there is nothing to explain")
    return text


ExplainText = Annotated[
    str, Field(min_length=1, max_length=MAX_EXPLAIN_CHARS), AfterValidator(_not_blank)
]


class ExplainRequest(BaseModel):
    """A text (or a few) whose prediction to explain word by word."""

    model_config = ConfigDict(extra="forbid")

    text: ExplainText | None = Field(None, description="The text to explain.")
    texts: list[ExplainText] | None = Field(
        None, min_length=1, max_length=MAX_EXPLAIN_TEXTS, description="Or several texts."
    )
    method: Literal["integrated-gradients", "occlusion", "attention-rollout"] = Field(
        "integrated-gradients", description="The attribution method (see docs/analysis.md)."
    )
    target: StrictStr | StrictInt | None = Field(
        None,
        description="Classification: the label to explain (default: the predicted one). "
        "NER: an entity type, or the 0-based index of one predicted entity in reading "
        "order (default: every predicted entity).",
    )
    steps: int = Field(32, ge=1, le=256, description="Integration steps (integrated gradients).")
    version: int | None = Field(None, gt=0, description="A version number (default: production).")
    stage: Literal["production"] | None = Field(None, description="Or a stage.")

    @model_validator(mode="after")
    def _one_input(self) -> ExplainRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of text or texts")
        return self

    def inputs(self) -> list[str]:
        """The texts to explain, in order."""
        return [self.text] if self.text is not None else list(self.texts or [])


class ExplanationPublic(BaseModel):
    """Word attributions for one decision: ``Explanation.to_dict()`` of the library."""

    text: str
    words: list[str]
    offsets: list[tuple[int, int]] = Field(description="(start, end) of each word in text.")
    scores: list[float] = Field(description="One per word: > 0 toward the target, < 0 away.")
    target: str
    method: str
    probability: float = Field(description="The model's probability of the target.")
    task: str
    entity: dict[str, Any] | None = Field(None, description="NER: the entity explained.")


class ExplainResult(BaseModel):
    """One text: the model's prediction and the explanation of each decision in it."""

    text: str
    prediction: dict[str, Any] = Field(description="As POST /predict answers for the text.")
    explanations: list[ExplanationPublic]


class ExplainResponse(BaseModel):
    """One result per text, in order."""

    model: str
    version: int
    task: str
    method: str
    results: list[ExplainResult]


class JobResources(BaseModel):
    """What a worker must have to claim a job (docs/scale-out.md); a key left out comes from
    the config (``distributed.processes``; ``backend: nccl``: a GPU per process)."""

    model_config = ConfigDict(extra="forbid")

    processes: StrictInt | None = Field(None, ge=1, le=64, description="Training processes.")
    gpus: StrictInt | None = Field(None, ge=0, le=64, description="GPUs.")
    memory_gb: StrictInt | None = Field(
        None, ge=0, le=4096, description="Memory in GB (0: none stated)."
    )


class JobResourcesPublic(BaseModel):
    """What a job needs: only a worker with as much claims it."""

    processes: int
    gpus: int
    memory_gb: float = Field(description="0: none stated; any worker's memory will do.")


class FineTuneCreate(BaseModel):
    """A fine-tune job: the same settings as ``oi train``'s YAML, plus the datasets."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(pattern=NAME_PATTERN, description="Registry name for the result.")
    train_dataset_id: str
    validation_dataset_id: str | None = None
    test_dataset_id: str | None = None
    config: dict[str, Any] = Field(
        default_factory=dict, description="FineTuneConfig fields (model, learning_rate, ...)."
    )
    resources: JobResources | None = Field(
        None, description="What a worker needs to run it (default: from config.distributed)."
    )


class FineTunePublic(BaseModel):
    """A fine-tune job and where it stands."""

    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="before")
    @classmethod
    def _resources_of_the_job(cls, job: Any) -> Any:
        """A job row's ``needs_*`` columns, as ``resources``."""
        if isinstance(job, dict) or not hasattr(job, "needs_processes"):
            return job
        fields = {name: getattr(job, name) for name in cls.model_fields if hasattr(job, name)}
        memory_gb = (job.needs_memory_mb or 0) / 1024
        fields["resources"] = JobResourcesPublic(
            processes=job.needs_processes or 1, gpus=job.needs_gpus or 0, memory_gb=memory_gb
        )
        return fields

    id: str
    status: str
    model_name: str
    config: dict[str, Any]
    source: str = "server"
    """``server`` (a queued job), or ``cli`` / ``python``: a local fine-tune recorded as
    it ran (no uploaded datasets then)."""
    kind: str = "fine_tune"
    """``fine_tune``, or another kind of queued job (``continue``, ``recommender``)."""
    result: dict[str, Any] | None = None
    """What a job of another kind returned when it succeeded."""
    train_dataset_id: str | None
    validation_dataset_id: str | None
    test_dataset_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    cancel_requested: bool
    progress: dict[str, Any]
    error: str | None
    model_version_id: int | None
    resources: JobResourcesPublic = Field(
        default_factory=lambda: JobResourcesPublic(processes=1, gpus=0, memory_gb=0),
        description="What a worker needs to claim it.",
    )


def accepted_job(job: Any) -> JSONResponse:
    """202 Accepted: the job just queued (as :class:`FineTunePublic`), with ``Location:
    /v1/fine-tunes/{id}`` where its progress is followed."""
    return JSONResponse(
        FineTunePublic.model_validate(job).model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/v1/fine-tunes/{job.id}"},
    )


class FineTuneCreated(FineTunePublic):
    """A job just queued, and why it may wait."""

    warnings: list[str] = Field(
        default_factory=list,
        description="E.g. that no running worker has the resources it asks for (it stays "
        "queued until one that fits starts).",
    )


class FineTunesPublic(Page):
    """A page of jobs."""

    data: list[FineTunePublic]


class EvaluationCreate(BaseModel):
    """Score a registered model version on a stored dataset."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(pattern=NAME_PATTERN)
    version: int | None = Field(None, gt=0)
    dataset_id: str


class EvaluationPublic(BaseModel):
    """A stored evaluation report."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    model_name: str
    version: int
    dataset_id: str
    report: dict[str, Any]
    created_at: datetime


class EvaluationsPublic(Page):
    """Stored evaluations."""

    data: list[EvaluationPublic]


class Health(BaseModel):
    """Liveness and what the server holds."""

    status: Literal["ok"]
    version: str
    database: str
    loaded_models: int
    shared_bases: int = 0
    """Base models loaded once and shared by the adapters among ``loaded_models``."""
    backend: str = "torch"
    """What computes predictions (``OI_BACKEND``): ``torch`` or ``onnx``."""
    loaded_backends: dict[str, int] = {}
    """Loaded models per backend (``torch``, ``onnx-int8``, ``onnx-fp32``)."""


class Probe(BaseModel):
    """A liveness or readiness probe's answer (anything else is a problem)."""

    status: Literal["ok"]


class ChatMessage(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=100_000)


class _Sampling(BaseModel):
    """Generation settings shared by /generate and /chat/completions."""

    temperature: float | None = Field(None, ge=0, le=5)
    top_p: float | None = Field(None, gt=0, le=1)
    stop: list[str] | None = Field(None, max_length=8)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    stream: bool = False

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop(cls, value: Any) -> Any:
        """OpenAI's ``stop`` may be one string."""
        return [value] if isinstance(value, str) else value


class GenerateRequest(_Sampling):
    """A prompt or a conversation for a generative model (registry name or pretrained)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(pattern=MODEL_PATTERN)
    prompt: str | None = Field(None, max_length=100_000)
    messages: list[ChatMessage] | None = Field(None, min_length=1, max_length=200)
    max_new_tokens: int | None = Field(None, ge=1, le=2048)
    top_k: int | None = Field(None, ge=1, le=1000)
    repetition_penalty: float | None = Field(None, ge=0.5, le=3)

    @model_validator(mode="after")
    def _one_input(self) -> GenerateRequest:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of prompt or messages")
        return self

    def input(self) -> str | list[dict[str, str]]:
        """The prompt text or the conversation as plain dicts."""
        return (
            self.prompt
            if self.prompt is not None
            else [m.model_dump() for m in self.messages or []]
        )

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``OpenInterpreter.generate``."""
        keys = (
            "max_new_tokens",
            "temperature",
            "top_p",
            "top_k",
            "repetition_penalty",
            "stop",
            "seed",
        )
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


class GenerateResponse(BaseModel):
    """A generated answer, why it ended (``"length"``: ``max_new_tokens`` cut it) and its
    token counts (``prompt_tokens``, ``completion_tokens``, ``total_tokens``)."""

    model: str
    text: str
    finish_reason: Literal["stop", "length"]
    usage: dict[str, int]


class StreamOptions(BaseModel):
    """OpenAI's ``stream_options``: ``include_usage`` ends a stream with a chunk holding
    ``usage`` (and no choices)."""

    include_usage: bool = False


class _OpenAIRequest(_Sampling):
    """What OpenAI's chat and text completion requests share: one answer per prompt
    (``n`` is 1), ``max_tokens`` (``max_completion_tokens`` too), ``stream_options``."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(pattern=MODEL_PATTERN)
    max_tokens: int | None = Field(None, ge=1, le=2048)
    max_completion_tokens: int | None = Field(None, ge=1, le=2048)
    n: int = Field(1, ge=1, le=1, description="one answer per prompt: only 1 is served")
    stream_options: StreamOptions | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``OpenInterpreter.generate``."""
        values = {
            "max_new_tokens": self.max_tokens or self.max_completion_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "stop": self.stop,
            "seed": self.seed,
        }
        return {k: v for k, v in values.items() if v is not None}

    @property
    def include_usage(self) -> bool:
        """Whether a stream ends with a ``usage`` chunk."""
        return bool(self.stream_options and self.stream_options.include_usage)


class ChatCompletionRequest(_OpenAIRequest):
    """The OpenAI chat-completions request subset this server understands."""

    messages: list[ChatMessage] = Field(min_length=1, max_length=200)


class CompletionRequest(_OpenAIRequest):
    """The OpenAI (legacy) text-completions request subset: ``prompt`` is one text or a
    list of texts, continued as they are (no chat template)."""

    prompt: (
        Annotated[str, Field(max_length=100_000)]
        | list[Annotated[str, Field(min_length=1, max_length=100_000)]]
    )

    @field_validator("prompt")
    @classmethod
    def _some_prompt(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not 1 <= len(value) <= 32:
            raise ValueError("give 1 to 32 prompts")
        if isinstance(value, str) and not value.strip():
            raise ValueError("the prompt is empty")
        return value
