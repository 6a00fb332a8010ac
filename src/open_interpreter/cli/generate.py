"""``oi generate`` and ``oi chat``: talk to a language model from the terminal.

Example:
    $ oi generate smollm2-135m-instruct "What is named-entity recognition?"
    $ oi chat my-support-bot --system "You answer in one sentence."
"""

from __future__ import annotations

from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._open import open_named

EXIT_COMMANDS = ("/exit", "/quit")
RESET_COMMAND = "/reset"


def _sampling_options(command: Any) -> Any:
    """The generation settings both commands take."""
    options = [
        click.option("--max-new-tokens", type=click.IntRange(min=1), help="Most tokens to write."),
        click.option(
            "--temperature",
            type=click.FloatRange(min=0),
            help="0 (default) picks the likeliest tokens; above 0 samples.",
        ),
        click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), help="Nucleus mass."),
        click.option("--top-k", type=click.IntRange(min=1), help="Sample among the k likeliest."),
        click.option(
            "--repetition-penalty", type=click.FloatRange(min=0, min_open=True), help="Above 1."
        ),
        click.option("--stop", multiple=True, help="Stop at this string (repeatable)."),
        click.option("--seed", type=int, help="Seed for reproducible sampling."),
        click.option("--system", help="A system message to start the conversation with."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    stop = list(options.pop("stop") or []) or None
    return {**{k: v for k, v in options.items() if v is not None}, "stop": stop}


def _answer(interpreter: Any, prompt: Any, settings: dict[str, Any]) -> str:
    """Stream one answer to the terminal and return it whole."""
    pieces = []
    for piece in interpreter.generate(prompt, stream=True, **settings):
        click.echo(piece, nl=False)
        pieces.append(piece)
    click.echo()
    return "".join(pieces)


@click.command()
@click.argument("model")
@click.argument("prompt")
@_sampling_options
@click.option("--no-stream", is_flag=True, help="Print the answer at once, when it is complete.")
@handle_errors
def generate(model: str, prompt: str, system: str | None, no_stream: bool, **options: Any) -> None:
    """Answer PROMPT with MODEL (a language model, pretrained or fine-tuned).

    \b
    oi generate smollm2-135m-instruct "Name three uses of NER."
    oi generate my-chat-model "Hello" --temperature 0.7 --seed 1 --stop "\\n\\n"
    """
    interpreter = open_named(model)
    settings = _settings(options)
    question: Any = prompt
    if system:
        question = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    if no_stream:
        click.echo(interpreter.generate(question, **settings))
    else:
        _answer(interpreter, question, settings)


@click.command()
@click.argument("model")
@_sampling_options
@handle_errors
def chat(model: str, system: str | None, **options: Any) -> None:
    """Chat with MODEL in the terminal; /reset starts over, /exit (or Ctrl-D) leaves.

    \b
    oi chat smollm2-135m-instruct
    oi chat my-support-bot --system "You are a helpful support agent."
    """
    interpreter = open_named(model)
    settings = _settings(options)
    opening = [{"role": "system", "content": system}] if system else []
    history = list(opening)
    click.echo(f"Chatting with {model}. /reset starts over, /exit leaves.")
    while True:
        try:
            line = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except (EOFError, click.exceptions.Abort):
            click.echo()
            return
        text = line.strip()
        if text in EXIT_COMMANDS:
            return
        if text == RESET_COMMAND:
            history = list(opening)
            click.echo("(conversation cleared)")
            continue
        if not text:
            continue
        history.append({"role": "user", "content": text})
        click.echo("assistant> ", nl=False)
        history.append({"role": "assistant", "content": _answer(interpreter, history, settings)})
