"""The settings of one continued-training step: which strategy, and its knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Strategy = Literal["naive", "replay", "ewc", "l2sp", "lora-per-version"]
STRATEGIES: tuple[str, ...] = ("naive", "replay", "ewc", "l2sp", "lora-per-version")


class ContinualSettings(BaseModel):
    """How a model keeps learning from new data (see docs/continual.md).

    Every field is also a keyword of ``continue_training`` and a ``--key=value`` of
    ``oi continue``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    strategy: Strategy = Field(
        "replay",
        description="naive: fine-tune on the new data alone; replay: mix in the rehearsal "
        "buffer of earlier data; ewc: penalise moving weights the earlier tasks need "
        "(diagonal Fisher); l2sp: pull every weight toward the previous version's; "
        "lora-per-version: train a new LoRA adapter (a copy of the previous one) over the "
        "frozen base, keeping every earlier version's adapter.",
    )
    replay_size: int = Field(
        500,
        ge=0,
        le=1_000_000,
        description="Examples the rehearsal buffer keeps (class-balanced reservoir sample of "
        "every version's training data), stored with the model whatever the strategy.",
    )
    ewc_lambda: float = Field(
        1000.0, ge=0.0, description="EWC penalty weight λ in λ/2 · Σ F (θ − θ*)²."
    )
    l2sp_alpha: float = Field(
        0.01, ge=0.0, description="L2-SP penalty weight α in α/2 · ‖θ − θ_previous‖²."
    )
    fisher_samples: int = Field(
        512,
        ge=1,
        description="Training examples (at most) the diagonal Fisher is estimated on after "
        "each step; the Fisher of earlier steps is kept and summed (online EWC).",
    )
    fisher_batch_size: int = Field(
        8, ge=1, description="Batch size of the Fisher estimate (squared batch gradients)."
    )
    eval_split: float = Field(
        0.2,
        gt=0.0,
        lt=1.0,
        description="Share of the new data held out (seeded) as this step's evaluation set "
        "when no validation data is given.",
    )
    label_map: dict[str, str] = Field(
        default_factory=dict,
        description="Renames applied to the new data's labels before anything else, e.g. "
        "{'B-person': 'B-PER'}: the way to say that a differently spelled tag is an old one.",
    )
    task_name: str | None = Field(
        None, description="A name for this step's task in the report (default: step-N)."
    )
