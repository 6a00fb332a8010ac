"""``oi prompt`` on tiny models: run, few-shot from a file, the library, the database, eval."""

from __future__ import annotations

import json

from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.prompting import FilePromptStore, PromptLibrary, PromptTemplate

from ..fixtures.data import sentiment_texts
from ..fixtures.prompting import tiny_eval_config


def test_oi_prompt_run_prints_labels_and_json(word_llama_dir):
    runner = CliRunner()
    args = ["prompt", "run", str(word_llama_dir), "this film is good", "it was bad"]
    result = runner.invoke(
        main, [*args, "--label", "positive=positive|good", "--label", "negative"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and lines[0].split("\t")[0] in ("positive", "negative")
    result = runner.invoke(main, [*args, "--label", "positive", "--label", "negative", "--json"])
    assert json.loads(result.output)["predictions"][1]["text"] == "it was bad"


def test_oi_prompt_run_few_shot_from_a_file(word_llama_dir, tmp_path):
    texts, labels = sentiment_texts(12)
    rows = ["text,label", *(f"{t},{label}" for t, label in zip(texts, labels, strict=True))]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(
        main,
        [
            *["prompt", "run", str(word_llama_dir), "the movie is great", "--label", "positive"],
            *["--label", "negative", "--examples", str(tmp_path / "train.csv"), "-k", "2"],
            *["--selection", "random", "--calibrate"],
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("calibrated; label bias")


def test_template_mistakes_are_one_clean_line(word_llama_dir):
    result = CliRunner().invoke(
        main,
        [
            *["prompt", "run", str(word_llama_dir), "good", "--label", "positive"],
            *["--template", "{{ text }} about {{ product }}"],
        ],
    )
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: template") and "{{ product }}" in result.output
    assert "Traceback" not in result.output


def test_oi_prompt_library_commands(tmp_path):
    runner = CliRunner()
    (tmp_path / "topic.yaml").write_text("text: 'Which topic? {{ text }}'\nsystem: Be brief.\n")
    first = runner.invoke(main, ["prompt", "save", "topic", "--text", "Topic of: {{ text }}"])
    assert first.exit_code == 0 and first.output.strip() == "topic@1 (variables: text)"
    second = runner.invoke(
        main, ["prompt", "save", "topic", "--file", str(tmp_path / "topic.yaml")]
    )
    assert second.output.startswith("topic@2")
    listed = runner.invoke(main, ["prompt", "list"])
    assert listed.output.startswith("topic@2\ttext\t")
    shown = runner.invoke(main, ["prompt", "show", "topic@2"])
    assert "[system]\nBe brief.\n[user]\nWhich topic? {{ text }}" in shown.output
    diff = runner.invoke(main, ["prompt", "diff", "topic"])
    assert "-Topic of: {{ text }}" in diff.output and "+Which topic? {{ text }}" in diff.output
    same = runner.invoke(main, ["prompt", "diff", "topic@1", "topic@1"])
    assert same.output == "(no difference)\n"
    missing = runner.invoke(main, ["prompt", "show", "topik"])
    assert missing.exit_code == 1 and "no prompt named 'topik'" in missing.output
    used = runner.invoke(main, ["prompt", "save", "x"])
    assert used.exit_code == 2 and "exactly one of --text and --file" in used.output

    kept = runner.invoke(main, ["prompt", "delete", "topic"], input="n\n")
    assert kept.exit_code == 1 and "Delete topic and its 2 version(s)?" in kept.output
    assert runner.invoke(main, ["prompt", "show", "topic@2"]).exit_code == 0
    deleted = runner.invoke(main, ["prompt", "delete", "topic", "--yes"])
    assert deleted.exit_code == 0 and deleted.output == "deleted topic (versions 1, 2)\n"
    gone = runner.invoke(main, ["prompt", "show", "topic"])
    assert gone.exit_code == 1 and "no prompt named 'topic'" in gone.output
    again = runner.invoke(main, ["prompt", "delete", "topic", "--yes"])
    assert again.exit_code == 1 and "no prompt named 'topic'" in again.output


def test_oi_prompt_moves_to_the_database_with_oi_prompt_import(isolated_home):
    runner = CliRunner()
    runner.invoke(main, ["prompt", "save", "topic", "--text", "Topic of: {{ text }}"])
    assert (isolated_home / "prompts" / "topic" / "v1.json").is_file()  # no database yet

    imported = runner.invoke(main, ["prompt", "import"])
    assert imported.exit_code == 0, imported.output
    assert imported.output == "imported 1 version(s): topic@1\n"
    assert (isolated_home / "oi.db").is_file()  # from now on the CLI uses it
    second = runner.invoke(main, ["prompt", "save", "topic", "--text", "Which? {{ text }}"])
    assert second.output.startswith("topic@2")
    assert not (isolated_home / "prompts" / "topic" / "v2.json").exists()
    diff = runner.invoke(main, ["prompt", "diff", "topic"])
    assert "-Topic of: {{ text }}" in diff.output and "+Which? {{ text }}" in diff.output
    assert runner.invoke(main, ["prompt", "import"]).output.endswith("database: topic\n")

    PromptLibrary(FilePromptStore()).save("later", PromptTemplate("{{ text }}"))
    listed = runner.invoke(main, ["prompt", "list"])
    assert "1 prompt(s) under $OI_HOME/prompts are not in the database (later)" in listed.output
    assert "topic@2\ttext\t" in listed.output

    PromptLibrary(FilePromptStore()).save("topic", PromptTemplate("{{ text }} in files"))
    clash = runner.invoke(main, ["prompt", "import"])
    assert clash.exit_code == 1 and "Error: not imported" in clash.output
    assert "numbers of topic (rename one side" in clash.output


def test_oi_prompt_uses_oi_database_url(isolated_home, tmp_path, monkeypatch):
    monkeypatch.setenv("OI_DATABASE_URL", f"sqlite:///{tmp_path / 'shared.db'}")
    runner = CliRunner()
    saved = runner.invoke(main, ["prompt", "save", "topic", "--text", "{{ text }}"])
    assert saved.exit_code == 0 and saved.output.startswith("topic@1")
    assert not (isolated_home / "prompts").exists() and not (isolated_home / "oi.db").exists()
    shown = runner.invoke(main, ["prompt", "show", "topic@1"])
    assert shown.exit_code == 0 and shown.output.endswith("{{ text }}\n")


def test_oi_prompt_eval_prints_and_saves_the_table(word_llama_dir, tiny_bert_dir, tmp_path):
    config = tiny_eval_config(tmp_path, word_llama_dir, tiny_bert_dir)
    out = tmp_path / "results"
    result = CliRunner().invoke(
        main, ["prompt", "eval", str(config), "dev_size=6", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "| run | accuracy | 95% CI | macro-F1 | 95% CI | seconds |" in result.output
    assert "6 dev examples" in result.output
    assert (out / "reviews.json").is_file() and (out / "reviews.md").is_file()
    bad = CliRunner().invoke(main, ["prompt", "eval", str(config), "runs=[{strategy: guess}]"])
    assert bad.exit_code == 1 and "strategy" in bad.output
