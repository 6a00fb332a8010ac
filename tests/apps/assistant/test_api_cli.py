"""``oi assistant chat``: a stored conversation in the terminal, follow-ups read against the
previous question, feedback by command (a tiny encoder built from config)."""

from __future__ import annotations

from click.testing import CliRunner

from open_interpreter.apps.assistant import service
from open_interpreter.cli import main
from open_interpreter.storage import Database


def test_chat_keeps_a_conversation_with_follow_ups_and_feedback(faq_csv, tiny_bert_dir):
    runner = CliRunner()
    built = runner.invoke(
        main, ["assistant", "build", "support", str(faq_csv), "--encoder", str(tiny_bert_dir),
               "--threshold", "-1"],
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    typed = (
        "How long does a building permit take?\nWhat does it cost?\n/down\n/fix 25,000 SEK\n/wat\n"
    )
    chatted = runner.invoke(main, ["assistant", "chat", "support"], input=typed)
    assert chatted.exit_code == 0, chatted.output
    assert "(read as: How long does a building permit take? What does it cost?)" in chatted.output
    assert chatted.output.count("feedback saved") == 2 and "commands: /up" in chatted.output
    database = Database()
    row = service.find_assistant(database, "support")
    assert row.kb_name == "support" and row.threshold == -1
    session_id = chatted.output.splitlines()[0].rsplit(" ", 1)[-1]
    stored = service.get_session(database, row.id, session_id)
    assert [t["question"] for t in stored["turns"]] == [
        "How long does a building permit take?", "What does it cost?",
    ]  # fmt: skip
    assert [f["rating"] for f in stored["turns"][1]["feedback"]] == ["down", None]
    assert stored["turns"][1]["feedback"][1]["correction"] == "25,000 SEK"
    again = runner.invoke(
        main, ["assistant", "chat", "support", "--session", session_id], input="/up\n"
    )
    assert "nothing to rate yet" in again.output
    service.delete_assistant(database, row.id)  # an adopted knowledge base stays
    assert runner.invoke(main, ["assistant", "ask", "support", "fence?"]).exit_code == 0


def test_chat_with_an_unknown_name_is_one_clear_line():
    result = CliRunner().invoke(main, ["assistant", "chat", "nobody"], input="hi\n")
    assert result.exit_code == 1
    assert "no assistant or knowledge base named 'nobody'" in result.output
