"""``oi explain`` and ``oi robustness``: why a fine-tuned model decides, and how easily it is moved.

Imports stay light (no torch) until a command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli.sources import data_file_options

if TYPE_CHECKING:
    from open_interpreter.analysis import Explanation


@click.command()
@click.argument("model")
@click.argument("text")
@click.option(
    "-m",
    "--method",
    default="integrated-gradients",
    show_default=True,
    help="integrated-gradients (ig), occlusion or attention-rollout (attention).",
)
@click.option(
    "-t",
    "--target",
    default=None,
    help="Label to explain (default: the predicted one); for NER, an entity type.",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the explanation as an HTML page to this file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation(s) as JSON.")
@click.option("--top", default=5, show_default=True, help="How many top words to list.")
@handle_errors
def explain(
    model: str,
    text: str,
    method: str,
    target: str | None,
    html_out: Path | None,
    as_json: bool,
    top: int,
) -> None:
    """Show which words of TEXT made fine-tuned MODEL decide, colour-graded.

    Green words push toward the label (or entity), red ones away from it.

    \b
    oi train examples/bbc_topics.yaml       # saves bbc_topics in the model store
    oi explain bbc_topics "The striker scored twice in the cup final"
    oi explain conll2003_ner "Peter Blackburn flew to Brussels" --method occlusion
    oi explain bbc_topics "Shares fell sharply" --target business --html why.html
    """
    from open_interpreter.analysis.render import html_page
    from open_interpreter.cli._open import open_trained

    interpreter = open_trained(model)
    result = interpreter.explain(text, method=method, target=target)
    explanations = result if isinstance(result, list) else [result]
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in explanations], indent=2))
    else:
        _print(explanations, top)
    if html_out is not None:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        page = html_page([e.to_html() for e in explanations], title=f"Why {model} decided so")
        html_out.write_text(page, encoding="utf-8")
        click.echo(f"\nHTML written to {html_out}")


def _print(explanations: list[Explanation], top: int) -> None:
    from rich.console import Console

    from open_interpreter.analysis.render import explanation_text, headline

    console = Console(highlight=False)
    if not explanations:
        console.print("No entities found: nothing to explain.")
    for explanation in explanations:
        console.print(headline(explanation), style="bold")
        console.print(explanation_text(explanation))
        words = ", ".join(f"{w} {s:+.3f}" for w, s in explanation.top(top))
        console.print(f"top words: {words}", markup=False)
        console.print()


@click.command()
@click.argument("model")
@click.argument("data")
@click.option(
    "-p",
    "--perturbations",
    default=None,
    help="Comma-separated perturbations (default: every one that applies to the task).",
)
@click.option(
    "--rate", default=0.1, show_default=True, help="Chance each eligible word is perturbed."
)
@click.option("--seed", default=0, show_default=True, help="Seed of every perturbation.")
@click.option("--limit", type=int, default=None, help="Use only the first N examples.")
@click.option(
    "--attack-words",
    default=3,
    show_default=True,
    help="Most words the attack changes (0: no attack).",
)
@click.option(
    "--attack-limit", default=100, show_default=True, help="Examples the attack considers."
)
@click.option(
    "--entities-from",
    default=None,
    help="Tagged file (e.g. the training data) whose entities entity-swap draws from.",
)
@click.option(
    "--compare-to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A baseline robustness.json: also show the robustness gained over it.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("robustness"),
    show_default=True,
    help="Folder for robustness.json, .md and .html.",
)
@data_file_options
@handle_errors
def robustness(
    model: str,
    data: str,
    perturbations: str | None,
    rate: float,
    seed: int,
    limit: int | None,
    attack_words: int,
    attack_limit: int,
    entities_from: str | None,
    compare_to: Path | None,
    output: Path,
    fmt: str,
    text_column: str,
    label_column: str,
) -> None:
    """Score fine-tuned MODEL on labelled DATA clean, perturbed and under attack.

    Writes robustness.json, robustness.md and robustness.html to --output and
    prints the Markdown. The same seed gives the same report.

    \b
    oi robustness conll2003_ner ../shared/data/conll2003/eng.testa --limit 500 \\
        --entities-from ../shared/data/conll2003/eng.train
    oi robustness bbc_robust test.csv --compare-to robustness/robustness.json -o robust
    """
    from open_interpreter.analysis.report import RobustnessReport
    from open_interpreter.cli._open import open_trained
    from open_interpreter.cli.sources import read_source

    baseline = RobustnessReport.load(compare_to) if compare_to is not None else None
    interpreter = open_trained(model)
    columns = {"format": fmt, "text_column": text_column, "label_column": label_column}
    report = interpreter.robustness(
        read_source(data, **columns),
        perturbations=[p.strip() for p in perturbations.split(",") if p.strip()]
        if perturbations
        else None,
        rate=rate,
        seed=seed,
        limit=limit,
        attack_words=attack_words,
        attack_limit=attack_limit,
        entity_source=read_source(entities_from, **columns) if entities_from else None,
    )
    paths = report.save(output)
    click.echo(report.to_markdown())
    if baseline is not None:
        click.echo("\n### Robustness gained over the baseline\n")
        click.echo(report.compare(baseline).to_markdown(candidate_name=model))
    click.echo(f"\nReport written to {', '.join(str(p) for p in paths.values())}")
