"""``oi recommend`` through click's runner, on small atomic files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from open_interpreter.cli import main

from .conftest import write_tiny_files


def _files(tmp_path: Path) -> list[str]:
    inter, items = write_tiny_files(tmp_path)
    return ["--interactions", str(inter), "--items", str(items)]


def test_train_then_recommend_and_similar(tmp_path: Path, isolated_home: Path) -> None:
    runner = CliRunner()
    trained = runner.invoke(
        main, ["recommend", "train", "--model", "itemknn", "--name", "tiny", *_files(tmp_path)]
    )
    assert trained.exit_code == 0, trained.output
    assert (isolated_home / "recommenders" / "tiny" / "oi_model.json").is_file()
    shown = runner.invoke(main, ["recommend", "for", "u1", "--name", "tiny", "-k", "3", "--json"])
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    assert result["fallback"] is None and len(result["items"]) == 3
    stranger = runner.invoke(main, ["recommend", "for", "nobody", "--name", "tiny", "-k", "2"])
    assert stranger.exit_code == 0 and "note: unknown user 'nobody'" in stranger.output
    similar = runner.invoke(main, ["recommend", "similar", "i0", "--name", "tiny", "-k", "2"])
    assert similar.exit_code == 0 and "Action Story" in similar.output


def test_errors_are_one_line(tmp_path: Path, isolated_home: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["recommend", "for", "u1", "--name", "absent"])
    assert missing.exit_code == 1 and "no recommender named 'absent'" in missing.output
    bad = tmp_path / "bad.inter"
    bad.write_text("user_id:token\titem_id:token\n1\t2\n3\n")
    broken = runner.invoke(
        main, ["recommend", "train", "--model", "popular", "--interactions", str(bad)]
    )
    assert broken.exit_code == 1 and "bad.inter line 3" in broken.output
    assert "Traceback" not in broken.output


def test_eval_prints_metrics(tmp_path: Path, isolated_home: Path) -> None:
    args = [
        "recommend",
        "eval",
        "--model",
        "popular",
        "--model",
        "itemknn",
        "--json",
        *_files(tmp_path),
    ]
    shown = CliRunner().invoke(main, args)
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert [row["model"] for row in rows] == ["popular", "itemknn"]
    assert rows[1]["metrics"]["ndcg@10"] > rows[0]["metrics"]["ndcg@10"]
    assert rows[0]["users"] == 30


def test_register_versions_then_ask_one_by_name_at_version(
    tmp_path: Path, isolated_home: Path
) -> None:
    clicks = tmp_path / "clicks.csv"
    rows = [f"u{u},i{(u + t) % 8},{t}" for u in range(10) for t in range(4)]
    clicks.write_text("user,item,time\n" + "\n".join(rows) + "\n")
    items = tmp_path / "items.tsv"
    items.write_text(
        "item\ttitle\tgenres\n" + "".join(f"i{i}\tFilm {i}\tDrama\n" for i in range(8))
    )
    runner = CliRunner()
    args = ["recommend", "train", "--model", "itemknn", "--name", "clicks", "--register"]
    for version in (1, 2):
        done = runner.invoke(main, [*args, "--interactions", str(clicks), "--items", str(items)])
        assert done.exit_code == 0, done.output
        assert f"registered clicks v{version} (itemknn): recall@10=" in done.output
    shown = runner.invoke(main, ["recommend", "for", "u1", "--name", "clicks@1", "-k", "2"])
    assert shown.exit_code == 0, shown.output
    assert "Film" in shown.output and "similar items: like 'Film" in shown.output
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item\nu1\n")
    failed = runner.invoke(main, [*args, "--interactions", str(bad)])
    assert failed.exit_code == 1 and "bad.csv line 2: expected 2 fields" in failed.output


def test_train_with_feedback_adds_the_recorded_events(tmp_path: Path, isolated_home: Path) -> None:
    from open_interpreter.apps.recommend import store
    from open_interpreter.storage import Database

    from .test_feedback import CLICKS

    clicks = tmp_path / "clicks.csv"
    clicks.write_text(CLICKS)
    runner = CliRunner()
    args = ["recommend", "train", "--model", "popular", "--name", "shop"]
    first = runner.invoke(main, [*args, "--register", "--interactions", str(clicks)])
    assert first.exit_code == 0, first.output
    db = Database()
    try:
        with db.session() as session:
            for n in range(4):
                store.record_event(
                    session, model_name="shop", user_id=f"f{n}", item_id="c", type="like"
                )
    finally:
        db.dispose()
    again = runner.invoke(main, [*args, "--with-feedback", "--interactions", str(clicks)])
    assert again.exit_code == 0, again.output
    assert "feedback: 4 of 4 events on shop added" in again.output
    assert "registered shop v2 (popular)" in again.output
    for reference, top in (("shop@1", "a"), ("shop@2", "c")):
        ask = ["recommend", "for", "x", "--name", reference, "-k", "1", "--json"]
        shown = runner.invoke(main, ask)
        assert shown.exit_code == 0, shown.output
        assert [item["item_id"] for item in json.loads(shown.output)["items"]] == [top]
