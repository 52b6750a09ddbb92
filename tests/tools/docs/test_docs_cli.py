"""The `docs` command group, driven through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posthog_escalation.cli import main


@pytest.fixture(autouse=True)
def _no_docs_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POSTHOG_ESCALATION_DOCS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


def test_search_prints_ranked_sections_with_links(tmp_path: Path, capsys) -> None:
    code = main(["--data-dir", str(tmp_path / "data"), "docs", "search", "ad blockers", "-n", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("1. ")
    assert "https://posthog.com/docs/" in out


def test_search_json_returns_doc_hits(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "--data-dir",
            str(tmp_path / "data"),
            "docs",
            "search",
            "flushAt lambda",
            "--area",
            "libraries",
            "--json",
        ]
    )
    hits = json.loads(capsys.readouterr().out)
    assert code == 0
    assert hits and all(h["area"].startswith("libraries/") for h in hits)
    assert set(hits[0]) == {
        "id",
        "title",
        "heading",
        "breadcrumb",
        "url",
        "snippet",
        "score",
        "area",
        "route",
        "lexical",
        "dense",
    }


def test_an_unknown_area_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    code = main(["--data-dir", str(tmp_path / "data"), "docs", "search", "x", "--area", "nope"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown area 'nope'" in err and "session-replay" in err
    assert "Traceback" not in err


def test_stats_reports_pages_sections_and_size(tmp_path: Path, capsys) -> None:
    code = main(["--data-dir", str(tmp_path / "data"), "docs", "stats", "--json"])
    stats = json.loads(capsys.readouterr().out)
    assert code == 0
    assert stats["source"]["kind"] == "shipped"
    assert stats["pages"] > 0 and stats["sections"] > stats["pages"]
    assert stats["index_bytes"] > 0


def test_sync_from_a_folder_then_search_uses_it(tmp_path: Path, fixture_docs: Path, capsys) -> None:
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "docs", "sync", "--from", str(fixture_docs)]) == 0
    assert "synced" in capsys.readouterr().out
    assert main(["--data-dir", data, "docs", "search", "sync_mode", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["url"] == "https://posthog.com/docs/libraries/python#sync-mode"
    assert main(["--data-dir", data, "docs", "stats"]) == 0
    assert "local-copy" in capsys.readouterr().out


def test_sync_failure_is_one_line(tmp_path: Path, capsys) -> None:
    code = main(
        ["--data-dir", str(tmp_path / "data"), "docs", "sync", "--from", str(tmp_path / "x")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "not a folder" in err


def test_answer_prints_the_section_its_sentence_and_whether_to_rely_on_it(
    tmp_path: Path, capsys
) -> None:
    code = main(
        [
            "--data-dir",
            str(tmp_path / "data"),
            "docs",
            "answer",
            "Flag returns false for logged-out visitors",
            "--symptom",
            "a flag released on a person property is false until the visitor is identified",
            "--json",
        ]
    )
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    assert answer["url"].startswith("https://posthog.com/docs/feature-flags/")
    assert answer["sentence"] and 0 <= answer["confidence"] <= 1
    assert answer["query"].startswith("Flag returns false for logged-out visitors")
