"""``oi assistant``: build a support assistant from an FAQ or document, ask it, score it.

    oi assistant build support faq-en.csv --understanding    # knowledge base + intents
    oi assistant ask support "How long does a building permit take?"
    oi assistant chat support                                # a conversation (stored)
    oi assistant eval faq-en.csv                             # BM25 / dense / hybrid recall

The knowledge base lives in the platform's database (``$OI_HOME/oi.db`` or
``OI_DATABASE_URL``); an assistant's settings and understanding models in
``$OI_HOME/assistants/NAME/``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from open_interpreter.cli._errors import handle_errors

SETTINGS_FILE = "assistant.json"


def _folder(name: str) -> Path:
    from open_interpreter.paths import oi_home

    return oi_home() / "assistants" / name


@click.group()
def assistant() -> None:
    """Support assistants: a knowledge base, hybrid retrieval, intents, hand-off."""


@assistant.command()
@click.argument("name")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoder", default="minilm-l6", show_default=True, help="Sentence encoder.")
@click.option(
    "--understanding/--no-understanding",
    default=False,
    show_default=True,
    help="Also fine-tune an intent classifier and slot tagger (Kwik-E-Mart data plus this "
    "FAQ's questions as intent 'faq'; needs the mindmeld package's files).",
)
@click.option(
    "--epochs", default=3.0, show_default=True, help="Epochs of the understanding models."
)
@click.option("--threshold", type=float, default=None, help="Hand-off threshold (default: 0.39).")
@click.option(
    "--reranker/--no-reranker",
    default=False,
    show_default=True,
    help="Also fine-tune a cross-encoder re-ranker on this FAQ's question/answer pairs "
    "(hard negatives from hybrid retrieval); saved with the assistant.",
)
@handle_errors
def build(
    name: str,
    path: Path,
    encoder: str,
    understanding: bool,
    epochs: float,
    threshold: float | None,
    reranker: bool,
) -> None:
    """Ingest PATH (FAQ .csv/.jsonl, or .md/.txt) as knowledge base NAME; re-running embeds
    only entries that changed and removes those no longer in the file."""
    from open_interpreter.apps.assistant.knowledge import read_knowledge
    from open_interpreter.apps.assistant.retrieval import NamedEncoder
    from open_interpreter.apps.assistant.store import KnowledgeStore
    from open_interpreter.storage import Database

    entries = read_knowledge(path)
    report = KnowledgeStore(Database()).ingest(name, entries, NamedEncoder(encoder), replace=True)
    click.echo(
        f"{name} v{report.version}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.removed} removed"
    )
    folder = _folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    settings: dict[str, Any] = _settings(name)
    if threshold is not None:
        settings["threshold"] = threshold
    if understanding:
        from open_interpreter.apps.assistant.intents import kwik_e_mart_dir, read_intent_data
        from open_interpreter.apps.assistant.understanding import Understanding

        data = read_intent_data(kwik_e_mart_dir())
        questions = [e.text for e in entries if e.text != e.answer]
        _, results = Understanding.train(
            data["train"].unique(), faq_questions=questions, output_dir=folder / "understanding",
            model=encoder, epochs=epochs,
        )  # fmt: skip
        settings["understanding"] = True
        settings["stores"] = str(kwik_e_mart_dir() / "data" / "stores.json")
        click.echo(f"understanding: intents {results['intents'].labels}")
    if reranker:
        from open_interpreter.apps.assistant.reranker import train_reranker
        from open_interpreter.apps.assistant.retrieval import HybridRetriever

        pairs = [i for i, e in enumerate(entries) if e.text != e.answer]
        answers = [e.answer for e in entries]
        retriever = HybridRetriever(answers, NamedEncoder(encoder))
        shutil.rmtree(folder / "reranker", ignore_errors=True)  # this assistant's own, retrained
        train_reranker(entries, pairs, retriever, model=encoder, output_dir=folder / "reranker")
        settings["reranker"] = True
        click.echo(f"re-ranker: fine-tuned on {len(pairs)} questions")
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=2) + "\n")


@assistant.command()
@click.argument("name")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole reply as JSON.")
@click.option("--generate", is_flag=True, help="Compose the answer with smollm2-135m-instruct.")
@handle_errors
def ask(name: str, question: str, as_json: bool, generate: bool) -> None:
    """Ask assistant NAME a QUESTION: the answer with its citations, or a hand-off."""
    bot = _open(name, generate=generate)
    reply = bot.ask(question)
    if as_json:
        click.echo(json.dumps(reply.to_dict(), indent=2))
        return
    if reply.handed_off:
        click.echo(f"Handed off to a person: {reply.handoff_reason}")
    else:
        click.echo(reply.answer)
    for citation in reply.citations:
        click.echo(
            f"  [{citation.id}] {citation.source} — fused #{citation.fused_rank}, "
            f"BM25 #{citation.bm25_rank or '-'}, dense #{citation.dense_rank}, "
            f"cosine {citation.cosine:.2f}"
            + (f", re-ranked #{citation.rerank_rank}" if citation.rerank_rank else "")
        )


@assistant.command()
@click.argument("name")
@click.option("--session", "session_id", default=None, help="Continue this conversation.")
@handle_errors
def chat(name: str, session_id: str | None) -> None:
    """Talk to assistant NAME (an assistant's id or name, or a knowledge base built by
    ``oi assistant build``) in a stored conversation: follow-ups are read against the
    previous question. ``/up`` and ``/down`` rate the last answer, ``/fix TEXT`` corrects
    it; an empty line, ``/quit`` or end of input ends the chat."""
    from open_interpreter.apps.assistant import service
    from open_interpreter.errors import DataError
    from open_interpreter.services.callers import CLI
    from open_interpreter.storage import Database

    database = Database()
    row = service.find_assistant(
        database, name, threshold=_settings(name).get("threshold"), caller=CLI
    )
    if session_id is None:
        session_id = service.start_session(database, row.id, caller=CLI)["id"]
    else:
        service.get_session(database, row.id, session_id, caller=CLI)
    click.echo(f"{row.name} ({row.num_entries} entries), conversation {session_id}")
    last: int | None = None
    while True:
        try:
            line = click.prompt("you", default="", show_default=False, prompt_suffix="> ")
        except click.Abort:  # end of input, or Ctrl-C
            line = ""
        line = line.strip()
        if line in ("", "/quit", "/exit"):
            return
        if line.startswith("/"):
            _chat_command(database, row.id, session_id, last, line)
            continue
        try:
            turn = service.ask(database, row.id, line, session_id=session_id, caller=CLI)
        except DataError as exc:  # a question too long: say so and go on
            click.echo(f"error: {exc}")
            continue
        last = turn["id"]
        if turn["query"] != turn["question"]:
            click.echo(f"  (read as: {turn['query']})")
        if turn["handed_off"]:
            click.echo(f"Handed off to a person: {turn['handoff_reason']}")
        else:
            click.echo(turn["answer"])
        for citation in turn["citations"]:
            click.echo(f"  [{citation['id']}] cosine {citation['cosine']:.2f}")


def _chat_command(
    database: Any, assistant_id: str, session_id: str, last: int | None, line: str
) -> None:
    from open_interpreter.apps.assistant import service
    from open_interpreter.services.callers import CLI

    command, _, text = line.partition(" ")
    if command not in ("/up", "/down", "/fix"):
        click.echo("commands: /up, /down, /fix TEXT, /quit")
        return
    if last is None:
        click.echo("nothing to rate yet")
        return
    rating = {"/up": "up", "/down": "down"}.get(command)
    if command == "/fix" and not text.strip():
        click.echo("usage: /fix THE RIGHT ANSWER")
        return
    service.give_feedback(
        database, assistant_id, session_id, last, rating=rating,
        correction=text if command == "/fix" else None, caller=CLI,
    )  # fmt: skip
    click.echo("feedback saved")


@assistant.command(name="eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoder", default="minilm-l6", show_default=True, help="Sentence encoder.")
@handle_errors
def evaluate(path: Path, encoder: str) -> None:
    """Score retrieval on FAQ PATH: its answers indexed, its questions asked."""
    from open_interpreter.apps.assistant.evaluation import evaluate_retrieval
    from open_interpreter.apps.assistant.knowledge import read_faq
    from open_interpreter.apps.assistant.retrieval import NamedEncoder

    scores = evaluate_retrieval(read_faq(path), NamedEncoder(encoder))
    click.echo(f"{'method':<8} {'recall@1':>9} {'recall@5':>9} {'MRR':>7}")
    for method, row in scores.items():
        click.echo(
            f"{method:<8} {row['recall@1']:>9.3f} {row['recall@5']:>9.3f} {row['mrr']:>7.3f}"
        )


def _settings(name: str) -> dict[str, Any]:
    path = _folder(name) / SETTINGS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def _open(name: str, *, generate: bool) -> Any:
    from open_interpreter.apps.assistant import Assistant, StoreDirectory, Understanding
    from open_interpreter.storage import Database

    settings = _settings(name)
    options: dict[str, Any] = {}
    if "threshold" in settings:
        options["threshold"] = settings["threshold"]
    if settings.get("understanding"):
        options["understanding"] = Understanding.load(_folder(name) / "understanding")
    if settings.get("stores"):
        options["stores"] = StoreDirectory.from_json(settings["stores"])
    if settings.get("reranker"):
        options["reranker"] = _folder(name) / "reranker"
    if generate:
        from open_interpreter.apps.assistant.grounded import GroundedWriter

        options["writer"] = GroundedWriter.load()
    return Assistant.from_database(name, Database(), **options)
