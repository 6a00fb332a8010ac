"""``oi models rm``: remove a model from the local model store ($OI_HOME/models)."""

from __future__ import annotations

import shutil

import click

from open_interpreter.cli._errors import handle_errors


@click.command(name="rm")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Remove without asking.")
@handle_errors
def rm(name: str, yes: bool) -> None:
    """Remove the model NAME from the local model store ($OI_HOME/models).

    Only models saved or pulled into the store are removed: a pip-packaged catalogue model
    is uninstalled with pip, and the Hugging Face cache is managed with `hf cache`. A model
    registered on a server stays registered (its files are the registry's own copy).

    \b
    oi models rm wnut16_ner          # asks first
    oi models rm wnut16_ner --yes
    """
    from open_interpreter.errors import NotFoundError
    from open_interpreter.models.catalogue import CATALOGUE
    from open_interpreter.models.resolve import store_path
    from open_interpreter.wording import did_you_mean

    path = store_path(name)
    if not path.is_dir():
        if name in CATALOGUE:
            raise NotFoundError(
                f"{name} is a packaged catalogue model, not in the model store: "
                f"uninstall it with `pip uninstall {CATALOGUE[name].package.split('==')[0]}`"
            )
        stored = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
        hint = did_you_mean(name, stored) or "See `oi models list`."
        raise NotFoundError(f"no model {name!r} in the model store ({path.parent}). {hint}")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    if not yes:
        click.confirm(f"Remove {name} ({size / 1e6:.1f} MB) at {path}?", abort=True, err=True)
    shutil.rmtree(path)
    click.echo(f"removed {name} ({path})")
