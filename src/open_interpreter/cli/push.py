"""``oi models push``: upload a trained model to the Hugging Face Hub."""

from __future__ import annotations

import click

from open_interpreter.cli._errors import handle_errors


@click.command(name="push")
@click.argument("name")
@click.argument("repo_id")
@click.option("--private", is_flag=True, help="Create the repository private.")
@click.option(
    "--endpoint",
    metavar="URL",
    help="A Hub-compatible server (default: HF_ENDPOINT, else huggingface.co).",
)
@click.option("-m", "--message", help="The commit message.")
@handle_errors
def push(name: str, repo_id: str, private: bool, endpoint: str | None, message: str | None) -> None:
    """Upload the model NAME (NAME@VERSION, NAME:production, or a saved directory) to the
    Hub repository REPO_ID (owner/name), as one commit.

    The token comes from HF_TOKEN or `hf auth login`, never from the command line. What
    goes up is what `oi train` saves: weights or adapter, tokenizer, oi_model.json and the
    card, whose metadata header (library, pipeline tag, base model, datasets, scores) the
    Hub lists and filters by.

    \b
    oi models push wnut16_ner me/wnut16-ner
    oi models push wnut16_ner@2 me/wnut16-ner --private -m "retrained on more data"
    """
    from open_interpreter.cli._open import open_trained

    url = open_trained(name).push_to_hub(
        repo_id, private=private or None, endpoint=endpoint, commit_message=message
    )
    click.echo(f"pushed {name} to {repo_id}: {url}")
