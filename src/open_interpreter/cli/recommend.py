"""``oi recommend``: train, evaluate and ask a recommender (MovieLens-100K or your own files).

Example:
    $ oi recommend train --model itemknn --name movies
    $ oi recommend for 196 --name movies -k 5 --genre Comedy
    $ oi recommend similar 50 --name movies
    $ oi recommend eval --model popular --model itemknn

Recommenders are saved under ``$OI_HOME/recommenders/<name>``; each is a model directory
that ``oi models register`` / the registry can hold (task ``recommendation``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option

KINDS = ["popular", "itemknn", "bpr", "content", "hybrid", "hybrid-ft"]


def _home() -> Path:
    from open_interpreter.paths import oi_home

    return oi_home() / "recommenders"


def _data(inter_file: Path | None, item_file: Path | None) -> Any:
    from open_interpreter.apps.recommend import load_movielens_100k, read_interactions

    if inter_file is None:
        return load_movielens_100k()
    if inter_file.suffix.lower() in (".csv", ".tsv"):
        from open_interpreter.apps.recommend._tables_io import read_interaction_tables

        return read_interaction_tables(inter_file, item_file)
    return read_interactions(inter_file, item_file)


def _model(kind: str, data: Any, epochs: int | None) -> Any:
    """A model of ``kind``, its item vectors cached under ``$OI_HOME`` for text models."""
    from open_interpreter.apps.recommend import MODELS, embed_items
    from open_interpreter.paths import oi_home

    options: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
    if kind in ("content", "hybrid", "hybrid-ft"):
        vectors = embed_items(data.item_text, cache_dir=oi_home() / "cache" / "item-vectors")
        options["item_embeddings"] = vectors
        if kind == "content":
            options.pop("epochs", None)
    return MODELS[kind](**options)


data_options = [
    click.option(
        "--interactions",
        "inter_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="A RecBole .inter file or a CSV/TSV table with user, item[, rating][, time] "
        "(default: MovieLens-100K from the recbole package).",
    ),
    click.option(
        "--items",
        "item_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Its .item file, or a CSV/TSV table with item[, title][, text][, genres][, year].",
    ),
]


def _with_data(command: Any) -> Any:
    for option in reversed(data_options):
        command = option(command)
    return command


@click.group()
def recommend() -> None:
    """Train, evaluate and ask recommenders (MovieLens-100K unless you pass files).

    \b
    oi recommend train --model hybrid --name movies
    oi recommend for 196 --name movies -k 5 --genre Comedy --exclude 50
    oi recommend similar 50 --name movies
    oi recommend eval --model popular --model itemknn --model bpr
    """


@recommend.command()
@click.option("--model", "kind", type=click.Choice(KINDS), default="hybrid", show_default=True)
@click.option(
    "--name", default="movies", show_default=True, help="Saved as $OI_HOME/recommenders/NAME."
)
@click.option("--epochs", type=int, default=None, help="Training passes (bpr, hybrid).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--register",
    is_flag=True,
    help="Evaluate (leave-last-out), fit on all data and register NAME's next version in the "
    "model registry, as POST /v1/recommenders does.",
)
@click.option(
    "--with-feedback",
    is_flag=True,
    help="Add the feedback events recorded on NAME (clicks, likes... through the API) to the "
    "interactions, then register as --register does; the version's lineage counts them.",
)
@_with_data
@handle_errors
def train(
    kind: str,
    name: str,
    epochs: int | None,
    seed: int,
    register: bool,
    with_feedback: bool,
    inter_file: Path | None,
    item_file: Path | None,
) -> None:
    """Fit a recommender on every interaction and save it (or register it)."""
    from open_interpreter.apps.recommend import Recommender
    from open_interpreter.services.registry import validate_model_name

    validate_model_name(name)
    data = _data(inter_file, item_file)
    if register or with_feedback:
        _register(name, kind, data, epochs, seed, with_feedback=with_feedback)
        return
    recommender = Recommender.fit(data, model=_model(kind, data, epochs), seed=seed)
    path = recommender.save(_home() / name)
    click.echo(f"trained {kind} in {recommender.model.train_seconds:.1f}s; saved to {path}")


@recommend.command("eval")
@click.option(
    "--model",
    "kinds",
    type=click.Choice(KINDS),
    multiple=True,
    help="Repeat for several (default: all but hybrid-ft, whose encoder fine-tuning takes "
    "minutes).",
)
@click.option(
    "--split",
    "split_name",
    type=click.Choice(["leave-last-out", "cold-start"]),
    default="leave-last-out",
    show_default=True,
)
@click.option("-k", "k", type=int, default=10, show_default=True)
@click.option("--epochs", type=int, default=None, help="Training passes (bpr, hybrid).")
@click.option("--seed", type=int, default=0, show_default=True)
@_with_data
@json_option
@handle_errors
def evaluate_models(
    kinds: tuple[str, ...],
    split_name: str,
    k: int,
    epochs: int | None,
    seed: int,
    inter_file: Path | None,
    item_file: Path | None,
    as_json: bool,
) -> None:
    """Rank every unseen item for every test user; print Recall, NDCG, MRR, coverage."""
    from open_interpreter.apps.recommend import cold_start_split, evaluate_ranking, leave_last_out

    data = _data(inter_file, item_file)
    split = (
        leave_last_out(data.interactions)
        if split_name == "leave-last-out"
        else cold_start_split(data.interactions, seed=seed)
    )
    rows = []
    for kind in kinds or [k for k in KINDS if k != "hybrid-ft"]:
        model = _model(kind, data, epochs).fit(split.train, data.item_text, seed=seed)
        report = evaluate_ranking(model.score, split, k=k, seed=seed)
        rows.append(
            {"model": kind, "train_seconds": round(model.train_seconds, 2), **report.to_dict()}
        )
    if as_json:
        echo_json(rows)
        return
    names = list(rows[0]["metrics"])
    click.echo(f"{'model':<10}" + "".join(f"{n:>14}" for n in names) + f"{'train s':>10}")
    for row in rows:
        cells = "".join(f"{row['metrics'][n]:>14.4f}" for n in names)
        click.echo(f"{row['model']:<10}{cells}{row['train_seconds']:>10.1f}")
    click.echo(f"{split_name}, {rows[0]['users']} test users, full ranking over unseen items")


@recommend.command("for")
@click.argument("user")
@click.option(
    "--name",
    default="movies",
    show_default=True,
    help="A registered recommender (NAME or NAME@VERSION) or one saved by train.",
)
@click.option("-k", "k", type=int, default=10, show_default=True)
@click.option("--exclude", multiple=True, help="An item id never to recommend (repeatable).")
@click.option("--genre", "genres", multiple=True, help="Keep items of this genre (repeatable).")
@click.option("--min-year", type=int, default=None)
@click.option("--max-year", type=int, default=None)
@json_option
@handle_errors
def for_user(
    user: str,
    name: str,
    k: int,
    exclude: tuple[str, ...],
    genres: tuple[str, ...],
    min_year: int | None,
    max_year: int | None,
    as_json: bool,
) -> None:
    """Recommend items for USER (an unknown user gets the most popular items, said so)."""
    result = _load(name).recommend(
        user, k, exclude=exclude, genres=genres or None, min_year=min_year, max_year=max_year
    )
    _show(result, as_json)


@recommend.command()
@click.argument("item")
@click.option(
    "--name",
    default="movies",
    show_default=True,
    help="A registered recommender (NAME or NAME@VERSION) or one saved by train.",
)
@click.option("-k", "k", type=int, default=10, show_default=True)
@json_option
@handle_errors
def similar(item: str, name: str, k: int, as_json: bool) -> None:
    """Items most like ITEM, by the recommender's own similarity."""
    _show(_load(name).similar(item, k), as_json)


def _register(
    name: str, kind: str, data: Any, epochs: int | None, seed: int, *, with_feedback: bool = False
) -> None:
    import tempfile

    from open_interpreter.apps.recommend import store
    from open_interpreter.storage import Database

    options: dict[str, Any] = (
        {} if epochs is None or kind in ("popular", "itemknn", "content") else {"epochs": epochs}
    )
    db = Database()
    try:
        with db.session() as session, tempfile.TemporaryDirectory() as work:
            lineage = {}
            if with_feedback:
                data, lineage["feedback"] = store.with_feedback(session, data, name)
                added = lineage["feedback"]["interactions_added"]
                click.echo(
                    f"feedback: {added} of {lineage['feedback']['events']} events on {name} "
                    "added as interactions",
                    err=True,
                )
            version = store.train_and_register(
                session,
                data,
                model_name=name,
                kind=kind,
                options=options,
                seed=seed,
                work_dir=Path(work),
                lineage=lineage,
                progress=lambda line: click.echo(line, err=True),
            )
            metrics = store.evaluation_table(version).get("metrics", {})
            figures = ", ".join(f"{k}={v:.4f}" for k, v in metrics.items())
            click.echo(f"registered {name} v{version.version} ({kind}): {figures}")
    finally:
        db.dispose()


def _load(name: str) -> Any:
    from open_interpreter.apps.recommend import Recommender
    from open_interpreter.errors import NotFoundError
    from open_interpreter.services.registry import validate_model_name

    registered = _registered(name)
    if registered is not None:
        return registered
    path = _home() / validate_model_name(name)
    if not path.is_dir():
        raise NotFoundError(
            f"no recommender named {name!r}: train one with oi recommend train --name {name}"
        )
    return Recommender.load(path)


def _show(result: Any, as_json: bool) -> None:
    from dataclasses import asdict

    if as_json:
        echo_json(asdict(result))
        return
    if result.fallback:
        click.echo(f"note: {result.fallback}")
    for rank, item in enumerate(result.items, start=1):
        click.echo(
            f"{rank:>3}. {item.title} [{item.item_id}] ({', '.join(item.genres)})  {item.score:.3f}"
            + (f"  — {item.reason}" if item.reason else "")
        )


def _registered(reference: str) -> Any:
    """The registered recommender ``name[@version]``, or None when no such name is registered."""
    from open_interpreter.apps.recommend import store
    from open_interpreter.errors import NotFoundError
    from open_interpreter.services import registry
    from open_interpreter.storage import Database

    name, _ = store.parse_reference(reference)
    db = Database()
    try:
        with db.session() as session:
            try:
                registry.get_model(session, name)
            except NotFoundError:
                return None
            return store.load_registered(session, reference)[1]
    finally:
        db.dispose()
