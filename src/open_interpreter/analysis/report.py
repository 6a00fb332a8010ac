"""The robustness report: clean score, score under each perturbation, the attack, the worst
examples — as JSON, Markdown and HTML — and the comparison of two models' reports."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.analysis.attack import AttackResult
from open_interpreter.analysis.render import html_page, table_html, table_markdown
from open_interpreter.errors import DataError

_METRIC_NAMES = {"accuracy": "accuracy", "entity_f1": "entity F1"}
_SHOWN_ATTACKS = 5
_CLIP = 160


@dataclass
class PerturbationScore:
    """The model's score under one perturbation.

    Attributes:
        perturbation: The perturbation's name.
        score: The metric on the perturbed data.
        drop: Clean score minus this score.
        relative_drop: ``drop`` as a share of the clean score.
        changed_inputs: Share of examples the perturbation changed at all.
        changed_predictions: Share of examples whose prediction changed.
    """

    perturbation: str
    score: float
    drop: float
    relative_drop: float
    changed_inputs: float
    changed_predictions: float


@dataclass
class WorstExample:
    """An example that a perturbation hurt most.

    Attributes:
        perturbation: Which perturbation.
        index: Its position in the data.
        original: The input as given.
        perturbed: The perturbed input.
        expected: The gold label or entities.
        before: The prediction on the original.
        after: The prediction on the perturbed input.
        score_before: Probability of the gold label (classification) or the sentence's
            entity F1 (NER) on the original...
        score_after: ...and on the perturbed input.
    """

    perturbation: str
    index: int
    original: str
    perturbed: str
    expected: str
    before: str
    after: str
    score_before: float
    score_after: float


@dataclass
class RobustnessReport:
    """How a model's score holds up under perturbations and a word-substitution attack.

    Attributes:
        model: The model's name or path.
        task: Its task.
        metric: ``accuracy`` (classification) or ``entity_f1`` (NER).
        examples: Examples scored.
        rate: The perturbation rate.
        seed: The seed of every perturbation.
        clean: The metric on the unperturbed data.
        perturbations: One score per perturbation.
        attack: The attack's result, or None when it was not run.
        worst: The examples hurt most, worst first.
        entity_source: Where swapped-in entities came from (NER with ``entity-swap``).
    """

    model: str
    task: str
    metric: str
    examples: int
    rate: float
    seed: int
    clean: float
    perturbations: list[PerturbationScore] = field(default_factory=list)
    attack: AttackResult | None = None
    worst: list[WorstExample] = field(default_factory=list)
    entity_source: str | None = None

    def score(self, perturbation: str) -> float:
        """Return the metric under ``perturbation`` (``clean`` for the clean score).

        Raises:
            KeyError: The perturbation was not run.
        """
        if perturbation == "clean":
            return self.clean
        for row in self.perturbations:
            if row.perturbation == perturbation:
                return row.score
        raise KeyError(f"{perturbation!r} was not run; the report has {self._names()}")

    @property
    def mean_perturbed(self) -> float:
        """Mean metric over the perturbations."""
        return (
            float(np.mean([p.score for p in self.perturbations]))
            if self.perturbations
            else self.clean
        )

    def _names(self) -> list[str]:
        return [p.perturbation for p in self.perturbations]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON values."""
        data = asdict(self)
        data["attack"] = None if self.attack is None else self.attack.to_dict()
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RobustnessReport:
        """Rebuild a report written by :meth:`to_dict`."""
        values = dict(data)
        values["perturbations"] = [PerturbationScore(**p) for p in data.get("perturbations", [])]
        values["worst"] = [WorstExample(**w) for w in data.get("worst", [])]
        values["attack"] = (
            None if data.get("attack") is None else AttackResult.from_dict(data["attack"])
        )
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path) -> RobustnessReport:
        """Read a report saved as JSON.

        Raises:
            DataError: The file is missing or is not a robustness report.
        """
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DataError("no such report file", source=str(path)) from None
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            raise DataError(f"not a robustness report ({exc})", source=str(path)) from None

    def save(self, directory: str | Path, name: str = "robustness") -> dict[str, Path]:
        """Write ``NAME.json``, ``NAME.md`` and ``NAME.html`` into ``directory``.

        Returns:
            The paths written, by format.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {fmt: directory / f"{name}.{fmt}" for fmt in ("json", "md", "html")}
        paths["json"].write_text(self.to_json() + "\n", encoding="utf-8")
        paths["md"].write_text(self.to_markdown() + "\n", encoding="utf-8")
        paths["html"].write_text(self.to_html(), encoding="utf-8")
        return paths

    def compare(self, baseline: RobustnessReport) -> RobustnessComparison:
        """Compare this report with ``baseline``'s (e.g. augmented training vs plain)."""
        return RobustnessComparison(baseline=baseline, candidate=self)

    # -- formatting --------------------------------------------------------------------

    def _table(self) -> tuple[list[str], list[list[str]]]:
        header = [
            "input",
            _METRIC_NAMES.get(self.metric, self.metric),
            "drop",
            "relative drop",
            "inputs changed",
            "predictions changed",
        ]
        rows = [["clean", f"{self.clean:.3f}", "", "", "", ""]]
        rows += [
            [
                p.perturbation,
                f"{p.score:.3f}",
                f"{p.drop:+.3f}",
                f"{p.relative_drop:.1%}",
                f"{p.changed_inputs:.0%}",
                f"{p.changed_predictions:.1%}",
            ]
            for p in self.perturbations
        ]
        return header, rows

    def _summary(self) -> str:
        return (
            f"{self.model} ({self.task}) on {self.examples} examples; perturbation rate "
            f"{self.rate}, seed {self.seed}"
            + (f"; entities swapped in from {self.entity_source}" if self.entity_source else "")
            + "."
        )

    def _attack_line(self) -> str:
        a = self.attack
        if a is None:
            return "The attack was not run."
        return (
            f"HotFlip-style word substitution, at most {a.max_words} words per example: "
            f"success rate **{a.success_rate:.1%}** ({a.succeeded} of {a.attempted} attacked; "
            f"{a.skipped} skipped as already wrong); {a.mean_words_changed:.2f} words changed "
            "on average in the successful attacks."
        )

    def _attack_rows(self) -> tuple[list[str], list[list[str]]]:
        shown = [e for e in (self.attack.examples if self.attack else []) if e.succeeded][
            :_SHOWN_ATTACKS
        ]
        rows = [
            [
                ", ".join(f"{c['from']} → {c['to']}" for c in e.changes),
                _clip(e.adversarial),
                e.expected,
                f"{e.before} → {e.after}",
            ]
            for e in shown
        ]
        return ["words changed", "adversarial input", "expected", "prediction"], rows

    def _worst_rows(self) -> tuple[list[str], list[list[str]]]:
        rows = [
            [
                w.perturbation,
                _clip(w.original),
                _clip(w.perturbed),
                w.expected,
                f"{w.before} → {w.after}",
                f"{w.score_before:.2f} → {w.score_after:.2f}",
            ]
            for w in self.worst
        ]
        return ["perturbation", "original", "perturbed", "expected", "prediction", "score"], rows

    def to_markdown(self, *, examples: bool = True) -> str:
        """The report as Markdown: the table, the attack and the worst examples.

        Args:
            examples: Include the attacked and the worst examples (their text comes from
                the data: leave it out where the data's licence keeps it private).
        """
        parts = [
            f"## Robustness of {self.model}",
            "",
            self._summary(),
            "",
            table_markdown(*self._table()),
            "",
            "### Word-substitution attack",
            "",
            self._attack_line(),
        ]
        header, rows = self._attack_rows()
        if rows and examples:
            parts += ["", table_markdown(header, rows)]
        header, rows = self._worst_rows()
        if rows and examples:
            parts += ["", "### Worst examples", "", table_markdown(header, rows)]
        return "\n".join(parts)

    def to_html(self) -> str:
        """The report as a standalone HTML page."""
        return html_page(self._html_body(), title=f"Robustness of {self.model}")

    def _repr_html_(self) -> str:
        """The report for notebooks: its tables, without the page around them."""
        import html

        title = f"<h3>{html.escape(f'Robustness of {self.model}')}</h3>"
        return "<div>" + title + "\n".join(self._html_body()) + "</div>"

    def _html_body(self) -> list[str]:
        import html

        body = [
            f"<p>{html.escape(self._summary())}</p>",
            table_html(*self._table()),
            "<h2>Word-substitution attack</h2>",
            f"<p>{html.escape(self._attack_line().replace('**', ''))}</p>",
        ]
        header, rows = self._attack_rows()
        if rows:
            body.append(table_html(header, rows))
        header, rows = self._worst_rows()
        if rows:
            body += ["<h2>Worst examples</h2>", table_html(header, rows)]
        return body


@dataclass
class RobustnessComparison:
    """A model's robustness report next to a baseline's (same data, seed and rate).

    Attributes:
        baseline: The reference model's report (e.g. plain fine-tuning).
        candidate: The compared model's report (e.g. perturbation-augmented fine-tuning).
    """

    baseline: RobustnessReport
    candidate: RobustnessReport

    def rows(self) -> list[tuple[str, float, float, float]]:
        """Per input (clean, each shared perturbation, their mean): baseline, candidate, gain."""
        names = [
            p.perturbation
            for p in self.baseline.perturbations
            if p.perturbation in self.candidate._names()
        ]
        out = [("clean", self.baseline.clean, self.candidate.clean)]
        out += [(n, self.baseline.score(n), self.candidate.score(n)) for n in names]
        if names:
            base = float(np.mean([self.baseline.score(n) for n in names]))
            cand = float(np.mean([self.candidate.score(n) for n in names]))
            out.append(("mean over perturbations", base, cand))
        return [(name, b, c, c - b) for name, b, c in out]

    def to_dict(self) -> dict[str, Any]:
        """Return the rows and attack success rates as plain JSON values."""
        attacks = [
            r.attack.success_rate if r.attack else None for r in (self.baseline, self.candidate)
        ]
        return {
            "metric": self.baseline.metric,
            "rows": [
                {"input": n, "baseline": b, "candidate": c, "gain": g} for n, b, c, g in self.rows()
            ],
            "attack_success_rate": {"baseline": attacks[0], "candidate": attacks[1]},
        }

    def _repr_html_(self) -> str:
        """The comparison as an HTML table, for notebooks."""
        return table_html(*self._header_and_rows("baseline", "augmented"))

    def to_markdown(
        self, baseline_name: str = "baseline", candidate_name: str = "augmented"
    ) -> str:
        """A Markdown table: the metric per input for both models and the gain."""
        return table_markdown(*self._header_and_rows(baseline_name, candidate_name))

    def _header_and_rows(
        self, baseline_name: str, candidate_name: str
    ) -> tuple[list[str], list[list[str]]]:
        metric = _METRIC_NAMES.get(self.baseline.metric, self.baseline.metric)
        rows = [[n, f"{b:.3f}", f"{c:.3f}", f"{g:+.3f}"] for n, b, c, g in self.rows()]
        a, b = self.baseline.attack, self.candidate.attack
        if a is not None and b is not None:
            rows.append(
                [
                    "attack success rate (lower is better)",
                    f"{a.success_rate:.1%}",
                    f"{b.success_rate:.1%}",
                    f"{(b.success_rate - a.success_rate) * 100:+.1f} pts",
                ]
            )
        header = ["input", f"{metric}: {baseline_name}", f"{metric}: {candidate_name}", "gain"]
        return header, rows


def _clip(text: str, width: int = _CLIP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
