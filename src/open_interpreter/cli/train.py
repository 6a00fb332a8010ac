"""``oi train CONFIG.yaml [key=value ...]``: a fine-tuning run from a YAML file."""

from __future__ import annotations

from pathlib import Path

import click

from open_interpreter.cli._errors import handle_errors


@click.command()
@click.argument("config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("overrides", nargs=-1)
@click.option(
    "--nproc", type=click.IntRange(min=1), help="Training processes on this machine (DDP)."
)
@click.option(
    "--nnodes", type=click.IntRange(min=1), help="Machines taking part (run this on each)."
)
@click.option("--rdzv-endpoint", help="HOST:PORT where the machines meet (with --nnodes).")
@click.option(
    "--node-rank",
    type=click.IntRange(min=0),
    help="This machine's number (0 to nnodes - 1); 0 serves the endpoint and saves.",
)
@click.option(
    "--strategy",
    type=click.Choice(["ddp", "fsdp"]),
    help="ddp: a full model per process; fsdp: weights sharded across them.",
)
@handle_errors
def train(
    config_file: Path,
    overrides: tuple[str, ...],
    nproc: int | None,
    nnodes: int | None,
    rdzv_endpoint: str | None,
    node_rank: int | None,
    strategy: str | None,
) -> None:
    """Fine-tune a model as CONFIG_FILE says; KEY=VALUE pairs override its settings.

    \b
    oi train examples/conll2003_ner.yaml
    oi train examples/wnut16_ner.yaml epochs=1 learning_rate=3e-5 data.limit=500

    The model is saved to output_dir (default: the model store, named after the
    config file: examples/wnut16_ner.yaml saves wnut16_ner) and its report printed.

    \b
    Main settings (YAML keys, or KEY=VALUE):
      model                 base model: alias, directory or Hub name
      data.train            training file (CSV, TSV, JSONL, CoNLL) or package:NAME
      data.validation       validation file; data.test: test file
      data.validation_split share of train held out for validation (no file)
      data.test_split       share of train held out as test data (no file)
      data.limit            the first N training examples, taken before the
                            splits above (300 with 0.1 + 0.1: 240 / 30 / 30)
      data.eval_limit       score only the first N validation and test examples
      data.label_column     label column; data.text_column: text column
      task                  auto, sequence-classification, token-classification...
      labels                every label, in order (default: the data's)
      epochs, learning_rate, batch_size, max_length, seed
      peft.method           lora, qlora, ia3... (peft=lora for its defaults)
      output_dir            where to save (default: the model store)
      progress              false hides the progress bars

    \b
    Several processes (torch.distributed DDP; docs/scale-out.md):
    oi train CONFIG --nproc 2
    oi train CONFIG --nproc 2 --strategy fsdp
    oi train CONFIG --nproc 4 --nnodes 2 --node-rank 0 --rdzv-endpoint host0:29400
    oi train CONFIG --nproc 4 --nnodes 2 --node-rank 1 --rdzv-endpoint host0:29400
    Every setting: docs/fine-tuning.md.
    """
    from open_interpreter.cli._options import quiet
    from open_interpreter.cli.sources import read_source
    from open_interpreter.config import load_config
    from open_interpreter.interpreter import OpenInterpreter
    from open_interpreter.paths import model_store
    from open_interpreter.services.runs import run_source

    config = load_config(config_file, list(overrides))
    asked = {
        "processes": nproc,
        "nnodes": nnodes,
        "rdzv_endpoint": rdzv_endpoint,
        "node_rank": node_rank,
        "strategy": strategy,
    }
    asked = {key: value for key, value in asked.items() if value is not None}
    if asked:
        config = config.updated(distributed=asked)
    if config.output_dir is None:
        config = config.updated(output_dir=str(model_store() / config_file.stem))
    if quiet():
        config = config.updated(progress=False)
    data = config.data
    if data.train is None:
        raise click.UsageError(f"{config_file}: set data.train (a file, or package:NAME)")
    here = config_file.parent
    columns = {
        "format": data.format,
        "text_column": data.text_column,
        "label_column": data.label_column,
        "text_pair_column": data.text_pair_column,
        "require_labels": False,  # the recipe checks, naming the columns and data.label_column
    }
    interpreter = OpenInterpreter(config.model)
    with run_source("cli"):  # recorded for `oi runs` and the dashboard
        result = interpreter.fine_tune(
            train_data=read_source(data.train, here, **columns),
            validation_data=read_source(data.validation, here, **columns),
            test_data=read_source(data.test, here, **columns),
            config=config,
        )
    if result is None:  # a many-machine run: the first machine's rank 0 saved the model
        click.echo(
            f"This machine's processes finished; the first machine saved to {config.output_dir}"
        )
        return
    click.echo(str(result))
    click.echo(f"\nSaved to {config.output_dir}")
