"""The ``oi`` command: a click group per noun, verbs under it.

Commands import torch and transformers only when they run, so ``oi --help`` is instant.
"""

from __future__ import annotations

import logging

import click

from open_interpreter import __version__
from open_interpreter.cli.analysis import explain, robustness
from open_interpreter.cli.assistant import assistant
from open_interpreter.cli.continual import continue_command, models_feedback, models_report
from open_interpreter.cli.db import db
from open_interpreter.cli.export import export
from open_interpreter.cli.generate import chat, generate
from open_interpreter.cli.models import models
from open_interpreter.cli.monitor import monitor
from open_interpreter.cli.prompt import prompt
from open_interpreter.cli.recommend import recommend
from open_interpreter.cli.runs import runs
from open_interpreter.cli.serve import keys, serve
from open_interpreter.cli.train import train
from open_interpreter.cli.tune import studies, tune
from open_interpreter.cli.use import evaluate, predict
from open_interpreter.cli.worker import worker
from open_interpreter.cli.workers import workers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="oi")
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs.")
@click.option(
    "-q", "--quiet", is_flag=True, help="Show warnings and errors only: no logs, no progress bars."
)
def main(verbose: bool, quiet: bool) -> None:
    """Open Interpreter: fine-tune, evaluate and use Transformer models.

    \b
    oi train examples/wnut16_ner.yaml epochs=1     # saves the model as wnut16_ner
    oi evaluate wnut16_ner tweets.conll
    oi predict wnut16_ner "Paris Hilton visited Paris"
    oi explain wnut16_ner "Paris Hilton visited Paris"
    oi generate smollm2-135m-instruct "What is NER?"
    oi chat smollm2-135m-instruct
    oi prompt run smollm2-135m-instruct "Shares fell" --label business --label sport
    oi models list
    oi serve
    """
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    logging.getLogger("open_interpreter").setLevel(level)


main.add_command(train)
main.add_command(tune)
main.add_command(studies)
main.add_command(evaluate)
main.add_command(predict)
main.add_command(export)
main.add_command(explain)
main.add_command(robustness)
main.add_command(generate)
main.add_command(chat)
main.add_command(models)
main.add_command(continue_command)
models.add_command(models_report)
models.add_command(models_feedback)
main.add_command(runs)
main.add_command(monitor)
main.add_command(prompt)
main.add_command(serve)
main.add_command(keys)
main.add_command(worker)
main.add_command(workers)
main.add_command(assistant)
main.add_command(recommend)
main.add_command(db)

__all__ = ["main"]
