"""``oi explain`` and ``oi robustness`` through click's runner, on tiny saved models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from open_interpreter.cli import main

from ..fixtures.analysis import trained
from ..fixtures.data import ner_sentences, sentiment_texts


@pytest.fixture
def sentiment_dir(tiny_bert_dir, tmp_path) -> Path:
    return trained(str(tiny_bert_dir), "sentiment").save(tmp_path / "sentiment")


@pytest.fixture
def ner_dir(tiny_bert_dir, tmp_path) -> Path:
    return trained(str(tiny_bert_dir), "ner").save(tmp_path / "ner")


def test_explain_prints_graded_text_top_words_and_writes_html(sentiment_dir, tmp_path):
    page = tmp_path / "why.html"
    result = CliRunner().invoke(
        main, ["explain", str(sentiment_dir), "this film is great", "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    assert "label positive, p=" in result.output and "integrated-gradients" in result.output
    assert "this film is great" in result.output
    assert "top words: great +" in result.output
    assert 'class="oi-word"' in page.read_text()


def test_explain_ner_as_json(ner_dir):
    args = ["explain", str(ner_dir), "Mary visited Berlin", "-m", "occlusion", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    explanations = json.loads(result.output)
    assert [e["entity"]["text"] for e in explanations] == ["Mary", "Berlin"]
    assert explanations[1]["offsets"][2] == [13, 19]


def test_robustness_writes_three_formats_and_compares(sentiment_dir, tmp_path):
    texts, labels = sentiment_texts(16, seed=3)
    data = tmp_path / "test.csv"
    data.write_text(
        "text,label\n" + "".join(f"{t},{y}\n" for t, y in zip(texts, labels, strict=True))
    )
    out = tmp_path / "report"
    args = [
        "robustness",
        str(sentiment_dir),
        str(data),
        "-p",
        "char-swap,word-dropout",
        "--rate",
        "0.5",
        "--attack-words",
        "1",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "| char-swap |" in result.output and "success rate" in result.output
    assert {p.name for p in out.iterdir()} == {
        "robustness.json",
        "robustness.md",
        "robustness.html",
    }
    again = CliRunner().invoke(
        main, [*args[:-1], str(tmp_path / "again"), "--compare-to", str(out / "robustness.json")]
    )
    assert again.exit_code == 0, again.output
    assert "Robustness gained over the baseline" in again.output
    assert "| char-swap | " in again.output and "| +0.000 |" in again.output


def test_robustness_on_conll_with_entity_swaps(ner_dir, tmp_path):
    def write(path, n, seed):
        tokens, tags = ner_sentences(n, seed)
        blocks = [
            "\n".join(f"{w} {t}" for w, t in zip(ws, ts, strict=True))
            for ws, ts in zip(tokens, tags, strict=True)
        ]
        path.write_text("\n\n".join(blocks) + "\n")
        return path

    dev, train = write(tmp_path / "dev.conll", 12, 1), write(tmp_path / "train.conll", 30, 0)
    result = CliRunner().invoke(
        main,
        [
            "robustness",
            str(ner_dir),
            str(dev),
            "-p",
            "entity-swap",
            "--entities-from",
            str(train),
            "-o",
            str(tmp_path / "r"),
            "--attack-limit",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "entity F1" in result.output and "train.conll" in result.output


def test_bad_input_is_one_clean_line(sentiment_dir, tmp_path):
    runner = CliRunner()
    for args, message in (
        (
            ["explain", str(sentiment_dir), "film", "-m", "lime"],
            "unknown attribution method 'lime'",
        ),
        (["explain", str(sentiment_dir), "film", "-t", "neutral"], "target 'neutral' is not one"),
        (["explain", str(sentiment_dir), "  "], "the text is empty"),
        (["explain", "no-such-model", "film"], "could not find model 'no-such-model'"),
        (["robustness", str(sentiment_dir), "missing.csv"], "missing.csv"),
        (
            ["robustness", str(sentiment_dir), "x.csv", "--compare-to", str(tmp_path / "no.json")],
            "no such report file",
        ),
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


def test_help_lists_the_commands_without_importing_torch():
    code = (
        "import sys, open_interpreter.cli.analysis, open_interpreter.cli; "
        "assert 'torch' not in sys.modules and 'captum' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    result = CliRunner().invoke(main, ["--help"])
    assert "explain" in result.output and "robustness" in result.output
    for command in ("explain", "robustness"):
        assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0
