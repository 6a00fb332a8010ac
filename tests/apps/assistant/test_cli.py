import json

from click.testing import CliRunner

from open_interpreter.cli import main


def test_build_ask_and_eval_through_oi(faq_csv, tiny_bert_dir):
    runner = CliRunner()
    encoder = ["--encoder", str(tiny_bert_dir)]
    built = runner.invoke(main, ["assistant", "build", "support", str(faq_csv), *encoder])
    assert built.exit_code == 0, built.output
    assert "support v1: 4 added, 0 updated, 0 unchanged, 0 removed" in built.output
    again = runner.invoke(
        main, ["assistant", "build", "support", str(faq_csv), *encoder, "--threshold", "-1"]
    )
    assert "support v1: 0 added, 0 updated, 4 unchanged" in again.output
    asked = runner.invoke(main, ["assistant", "ask", "support", "building permit", "--json"])
    assert asked.exit_code == 0, asked.output
    reply = json.loads(asked.output)
    assert reply["route"] == "faq" and not reply["handed_off"]
    assert len(reply["citations"]) == 3
    assert {"bm25_rank", "dense_rank", "fused_rank"} <= set(reply["citations"][0])
    plain = runner.invoke(main, ["assistant", "ask", "support", "building permit"])
    assert plain.exit_code == 0 and "fused #1" in plain.output
    ranked = runner.invoke(
        main, ["assistant", "build", "support", str(faq_csv), *encoder, "--reranker"]
    )
    assert ranked.exit_code == 0 and "re-ranker: fine-tuned on 4 questions" in ranked.output
    plain = runner.invoke(main, ["assistant", "ask", "support", "building permit"])
    assert plain.exit_code == 0 and "re-ranked #1" in plain.output, plain.output
    scored = runner.invoke(main, ["assistant", "eval", str(faq_csv), *encoder])
    assert scored.exit_code == 0, scored.output
    assert [line.split()[0] for line in scored.output.splitlines()] == [
        "method", "bm25", "dense", "hybrid",
    ]  # fmt: skip


def test_asking_an_unknown_assistant_is_one_clear_line():
    result = CliRunner().invoke(main, ["assistant", "ask", "nobody", "hello?"])
    assert result.exit_code == 1
    assert "no knowledge base named 'nobody'" in result.output
