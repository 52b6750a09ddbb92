"""The ``issues`` commands, run through the real CLI entry point (local backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posthog_escalation.cli import main

TICKET = """\
ticket:
  id: ZD-48213
  subject: Session recordings are blank for our Safari users
  created_at: 2026-11-20T11:00:00Z
  body: |
    Since last Friday every recording from Safari shows an empty white page.
    We upgraded to posthog-js 1.201.0 that week. Console:
    TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')
triage:
  decision: escalate_to_engineering
  product_area: Session replay
"""


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("POSTHOG_ESCALATION_ISSUES_SNAPSHOT", raising=False)
    monkeypatch.setenv("POSTHOG_ESCALATION_BACKEND", "local")
    monkeypatch.setenv("POSTHOG_ESCALATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_search_prints_the_query_and_matching_issues(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["issues", "search", '"adoptedStyleSheets" safari', "--repo", "PostHog/posthog-js"])
    out = capsys.readouterr().out
    assert code == 0
    assert '"adoptedStyleSheets" safari is:issue in:title,body repo:PostHog/posthog-js' in out
    assert "PostHog/posthog-js#2871" in out
    assert "https://github.com/PostHog/posthog-js/issues/2871" in out


def test_search_json_is_the_result_model(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["issues", "search", "safari", "--state", "open", "--limit", "2", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["backend"] == "local" and len(data["hits"]) == 2
    assert data["queries"] == ["safari is:issue in:title,body state:open"]


def test_search_with_no_match_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issues", "search", "zzzqqq"]) == 0
    assert "no issue matches" in capsys.readouterr().err


def test_match_ranks_the_known_issue_with_reasons_and_related_pr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ticket.yaml"
    path.write_text(TICKET)
    code = main(["issues", "match", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "GitHub search terms used" in out
    assert '"adoptedStyleSheets.length" is:issue' in out
    first = out.index("1. ")
    assert "PostHog/posthog-js#2871" in out[first : first + 200]
    assert "same error string" in out
    assert "related PR: PostHog/posthog-js#2874" in out
    assert "why: the error the ticket quotes" in out
    assert "listed as matching: confidence 42% or more" in out
    assert "listed — Session replay blank" in out


def test_match_never_offers_the_tickets_own_issue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ticket.yaml"
    path.write_text(TICKET.replace("id: ZD-48213", "id: PostHog/posthog-js#2871"))
    assert main(["issues", "match", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["excluded"] == ["posthog/posthog-js#2871"]
    assert "PostHog/posthog-js#2871" not in {
        f"{c['repo']}#{c['number']}" for c in result["candidates"]
    }
    assert all(s["reason"] for s in result["searches"])


def test_match_json_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ticket.json"
    path.write_text(json.dumps({"ticket": {"id": "T-1", "subject": "Survey popover shown twice"}}))
    assert main(["issues", "match", str(path), "--json", "--limit", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["route"] == "surveys" and len(data["candidates"]) <= 3


def test_match_with_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("ticket:\n  subject: no id\n")
    assert main(["issues", "match", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ticket.id" in err and "required" in err and "Traceback" not in err


def test_unknown_route_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TICKET)
    assert main(["issues", "match", str(path), "--route", "nope"]) == 2
    assert "unknown route 'nope'" in capsys.readouterr().err


def test_bad_repository_and_limit_are_input_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issues", "search", "x", "--repo", "posthog"]) == 2
    assert main(["issues", "search", "x", "--limit", "0"]) == 2
    err = capsys.readouterr().err
    assert "owner/name" in err and "--limit 0" in err


def test_snapshot_rejects_a_bad_date_before_any_network(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issues", "snapshot", "PostHog/posthog", "--since", "last week"]) == 2
    assert "not a date" in capsys.readouterr().err
