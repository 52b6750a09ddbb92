"""The local snapshot backend: loading, the shipped snapshot, ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posthog_escalation.errors import InputError
from posthog_escalation.tools.issues import (
    DEFAULT_SNAPSHOT,
    IssueRecord,
    LocalIssues,
    load_snapshot,
    write_snapshot,
)

pytestmark = pytest.mark.anyio


def test_missing_snapshot_names_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_snapshot(tmp_path / "nope.jsonl")
    assert "nope.jsonl" in caught.value.message and "issues snapshot" in caught.value.hint


def test_bad_line_names_the_line_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    good = {"repo": "PostHog/posthog", "number": 1, "title": "ok"}
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({"repo": "PostHog/posthog"}) + "\n")
    with pytest.raises(InputError, match=r"line 3: field 'number' is required"):
        load_snapshot(path)


def test_invalid_json_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("{not json\n")
    with pytest.raises(InputError, match="line 1: invalid JSON"):
        load_snapshot(path)


def test_write_then_load_round_trips(tmp_path: Path, issue_records: list[IssueRecord]) -> None:
    path = tmp_path / "out" / "snapshot.jsonl"
    write_snapshot(issue_records, path)
    loaded = load_snapshot(path)
    assert sorted(r.key for r in loaded) == sorted(r.key for r in issue_records)
    assert loaded == sorted(issue_records, key=lambda r: (r.repo.lower(), r.number))


def test_shipped_snapshot_holds_the_demo_issue_its_fix_and_the_duplicate() -> None:
    backend = LocalIssues()
    issue = backend.get("PostHog/posthog-js", 2871)
    fix = backend.get("PostHog/posthog-js", 2874)
    duplicate = backend.get("PostHog/posthog", 41236)
    assert issue and issue.state == "open"
    assert issue.title == "Session replay blank on Safari after upgrading to 1.201.0"
    assert "1.201.0" in issue.body and "Safari 18" in issue.body
    assert "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')" in (
        issue.body
    )
    assert fix and fix.kind == "pr" and fix.linked_issues == [2871]
    assert fix.title == "fix(replay): guard adoptedStyleSheets access in Safari"
    assert duplicate and duplicate.title == "Replays empty for Safari users since last week"


def test_shipped_snapshot_covers_every_public_route_area() -> None:
    labels = {label for r in LocalIssues().records for label in r.labels}
    for label in (
        "feature/replay",
        "feature/feature-flags",
        "feature/experimentation",
        "feature/error-tracking",
        "feature/surveys",
        "feature/team-ingestion",
        "feature/insights",
        "feature/data-warehouse",
        "feature/cdp",
        "feature/batch-exports",
        "feature/platform",
        "feature/billing",
        "feature/web-analytics",
    ):
        assert label in labels, label
    assert DEFAULT_SNAPSHOT.name == "snapshot.jsonl"


async def test_title_matches_rank_above_body_matches(issue_records: list[IssueRecord]) -> None:
    backend = LocalIssues(records=issue_records)
    result = await backend.search("safari recordings")
    assert result.hits[0].title.lower().count("safari") == 1
    assert [h.score for h in result.hits] == sorted([h.score for h in result.hits], reverse=True)


async def test_stemming_matches_word_forms(issue_records: list[IssueRecord]) -> None:
    backend = LocalIssues(records=issue_records)
    result = await backend.search("replays recording", repos=["PostHog/posthog"])
    assert [h.key for h in result.hits] == ["PostHog/posthog#41236"]


async def test_excluded_words_remove_matches(issue_records: list[IssueRecord]) -> None:
    backend = LocalIssues(records=issue_records)
    result = await backend.search("safari -player")
    assert "PostHog/posthog-js#2650" not in {h.key for h in result.hits}


async def test_qualifier_only_query_lists_the_repository(issue_records: list[IssueRecord]) -> None:
    backend = LocalIssues(records=issue_records)
    result = await backend.search("", repos=["PostHog/posthog-python"])
    assert [h.key for h in result.hits] == ["PostHog/posthog-python#213"]


async def test_empty_snapshot_answers_nothing() -> None:
    backend = LocalIssues(records=[])
    result = await backend.search("anything")
    assert result.hits == [] and result.total_count == 0
