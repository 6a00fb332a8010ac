"""The result of a prompt evaluation: one row per run, best first, and measured effects.

Each row has accuracy and macro-F1 with 95% bootstrap intervals. An *effect* compares two
rows that differ in one setting only — calibration on/off, nearest-neighbour vs random
demonstrations — by the paired bootstrap interval of the accuracy difference, whatever
its sign. The table prints as Markdown and saves as JSON and Markdown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PromptEvalRow:
    """One run's scores on the dev set.

    Attributes:
        name: The run's name.
        settings: The run's settings (strategy, template, verbalizer, k, selection...).
        accuracy: Share of dev examples predicted right.
        accuracy_ci: 95% bootstrap interval of the accuracy.
        macro_f1: Macro-averaged F1 over the labels.
        macro_f1_ci: 95% bootstrap interval of macro-F1.
        seconds: Time the run took (shared work counts once, in the first run that did it).
        bias: The label bias calibration divided out, when calibrated.
        predictions: The predicted label of every dev example.
    """

    name: str
    settings: dict[str, Any]
    accuracy: float
    accuracy_ci: tuple[float, float]
    macro_f1: float
    macro_f1_ci: tuple[float, float]
    seconds: float
    bias: dict[str, float] | None = None
    predictions: list[str] = field(default_factory=list, repr=False)


@dataclass
class Effect:
    """What changing one setting did: ``changed`` minus ``baseline``.

    Attributes:
        change: What was changed (``calibration``, ``nearest-neighbour demonstrations``).
        baseline: The row without the change.
        changed: The row with it.
        accuracy: The accuracy difference.
        accuracy_ci: Its 95% paired bootstrap interval.
        macro_f1: The macro-F1 difference.
    """

    change: str
    baseline: str
    changed: str
    accuracy: float
    accuracy_ci: tuple[float, float]
    macro_f1: float


@dataclass
class PromptEvalTable:
    """A prompt evaluation of one data set.

    Attributes:
        name: The data set's name.
        labels: Its labels.
        examples: Dev examples scored.
        pool: Examples demonstrations were drawn from.
        rows: One per run, best accuracy first.
        effects: Measured effects of calibration and demonstration selection.
        settings: The configuration that produced it.
        seconds: Total time.
    """

    name: str
    labels: list[str]
    examples: int
    pool: int
    rows: list[PromptEvalRow]
    effects: list[Effect]
    settings: dict[str, Any]
    seconds: float

    def to_markdown(self) -> str:
        """The table (and the effects) in Markdown."""
        lines = [
            f"**{self.name}** — {self.examples} dev examples, {len(self.labels)} labels, "
            f"{self.pool} examples to draw demonstrations from; 95% bootstrap intervals.",
            "",
            "| run | accuracy | 95% CI | macro-F1 | 95% CI | seconds |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r.name} | {r.accuracy:.3f} | {_interval(r.accuracy_ci)} | {r.macro_f1:.3f} "
            f"| {_interval(r.macro_f1_ci)} | {r.seconds:.0f} |"
            for r in self.rows
        ]
        if self.effects:
            lines += ["", "| effect | from → to | Δ accuracy | 95% CI (paired) | Δ macro-F1 |"]
            lines.append("|---|---|---:|---:|---:|")
            lines += [
                f"| {e.change} | {e.baseline} → {e.changed} | {e.accuracy:+.3f} "
                f"| {_interval(e.accuracy_ci, signed=True)} | {e.macro_f1:+.3f} |"
                for e in self.effects
            ]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_markdown()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (predictions included, so the numbers can be recomputed)."""
        return asdict(self)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``NAME.json`` and ``NAME.md`` into ``directory`` (created if needed).

        Returns:
            The two paths.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        json_path, markdown_path = directory / f"{self.name}.json", directory / f"{self.name}.md"
        json_path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        markdown_path.write_text(self.to_markdown(), encoding="utf-8")
        return [json_path, markdown_path]


def _interval(bounds: tuple[float, float], *, signed: bool = False) -> str:
    form = "+.3f" if signed else ".3f"
    return f"[{bounds[0]:{form}}, {bounds[1]:{form}}]"
