"""Labeled real reports: the file format, the fixed split, and tickets built from them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from posthog_escalation.errors import InputError
from posthog_escalation.evals.dataset import load_reports, report_request, split_of

REPORTS = Path(__file__).with_name("labeled_reports.jsonl")


def test_the_split_is_fixed_by_the_id_and_about_thirty_percent_holdout() -> None:
    ids = [f"PostHog/posthog#{n}" for n in range(2000)]
    counts = Counter(split_of(i) for i in ids)
    assert 0.26 < counts["holdout"] / len(ids) < 0.34
    assert [split_of(i) for i in ids] == [split_of(i) for i in ids]


def test_a_split_keeps_only_its_reports() -> None:
    every = load_reports(REPORTS, "all")
    for split in ("dev", "holdout"):
        expected = [r.id for r in every if split_of(r.id) == split]
        if expected:
            assert [r.id for r in load_reports(REPORTS, split)] == expected
        else:
            with pytest.raises(InputError, match=f"no reports in the {split} split"):
                load_reports(REPORTS, split)


def test_the_ticket_holds_what_the_reporter_wrote_and_none_of_the_labels() -> None:
    report = load_reports(REPORTS)[0]
    request = report_request(report)
    dumped = request.model_dump_json()
    assert request.ticket.subject == report.title
    assert request.ticket.body == report.body
    assert request.triage is not None and request.triage.escalates
    assert request.triage.product_area is None
    assert report.area not in dumped and report.repo not in dumped


def test_a_repository_that_moved_accepts_where_the_code_lives_now() -> None:
    lite = next(r for r in load_reports(REPORTS) if r.repo == "PostHog/posthog-js-lite")
    assert lite.accepted_repos == {"PostHog/posthog-js-lite", "PostHog/posthog-js"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "line 1: invalid JSON"),
        ('{"id": "PostHog/posthog#1", "repo": "PostHog/posthog", "title": "x"}\n', "area"),
        ('{"id": "not an id", "repo": "PostHog/posthog", "title": "x", "area": "cdp"}\n', "id"),
    ],
)
def test_a_bad_line_is_a_clear_error_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_reports(path)


def test_a_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dataset not found"):
        load_reports(tmp_path / "none.jsonl")
