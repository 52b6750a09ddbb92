"""The accuracy suite on labeled reports (our own six, written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posthog_escalation.cli import main
from posthog_escalation.evals.accuracy import render_markdown, run_accuracy
from posthog_escalation.evals.dataset import load_reports
from posthog_escalation.tools.docs import DocsIndex

REPORTS = Path(__file__).with_name("labeled_reports.jsonl")


@pytest.fixture
async def run(shipped_docs: DocsIndex):  # type: ignore[no-untyped-def]
    return await run_accuracy(load_reports(REPORTS), docs=shipped_docs, dataset="six")


async def test_each_field_is_compared_with_its_label(run) -> None:  # type: ignore[no-untyped-def]
    by_id = {s.id: s for s in run.scores}
    assert by_id["Acme/web#1"].route == "session_replay"
    assert by_id["Acme/web#1"].repo_right
    assert by_id["Acme/flutter#3"].affected_repo == "PostHog/posthog-flutter"
    assert by_id["Acme/app#4"].said_not_a_bug
    assert by_id["Acme/lite#5"].repo_right, "a repo that moved counts where the code lives now"
    assert not by_id["Acme/app#6"].route_right, "the billing report is labeled feature_flags"


async def test_the_summary_counts_what_the_scores_say(run) -> None:  # type: ignore[no-untyped-def]
    summary = run.summary
    assert summary.reports == 6
    assert summary.route.hits == sum(s.route_right for s in run.scores) == 5
    assert summary.not_a_bug_recall.total == 1 and summary.not_a_bug_recall.hits == 1
    assert summary.bugs_called_not_a_bug.total == 2 and summary.bugs_called_not_a_bug.hits == 0
    assert sum(summary.severity.values()) == 6


async def test_every_miss_is_listed_with_the_cue_that_decided_it(run) -> None:  # type: ignore[no-untyped-def]
    report = render_markdown(run)
    (line,) = [row for row in report.splitlines() if row.startswith("| Acme/app#6 | route |")]
    assert "| feature_flags | billing |" in line
    assert "billing: cues" in line
    assert "## Route confusion" in report


def _eval(tmp_path: Path, *extra: str) -> int:
    return main(
        [
            "--data-dir",
            str(tmp_path / "data"),
            "eval",
            "--dataset",
            str(REPORTS),
            "--runs-dir",
            str(tmp_path / "runs"),
            *extra,
        ]
    )


def test_the_cli_writes_the_run_and_exits_1_below_a_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(tmp_path, "--floor", "route=0.5") == 0
    out, _ = capsys.readouterr()
    assert out.startswith("# Accuracy on labeled_reports.jsonl (all split, 6 reports)")
    (folder,) = (tmp_path / "runs").iterdir()
    payload = json.loads((folder / "accuracy.json").read_text(encoding="utf-8"))
    assert payload["summary"]["route"] == {"hits": 5, "total": 6}
    assert _eval(tmp_path, "--floor", "route=0.99") == 1
    assert "route 0.833 is below its floor 0.990" in capsys.readouterr().err


def test_a_bad_floor_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(tmp_path, "--floor", "speed=1") == 2
    err = capsys.readouterr().err
    assert "--floor 'speed=1' is not NAME=VALUE" in err
    assert "Traceback" not in err


async def test_a_gate_miss_is_listed_with_the_check_and_field_that_failed(run) -> None:  # type: ignore[no-untyped-def]
    score = run.scores[0]
    score.passed_gate = False
    score.gate_errors = ["summary-specific"]
    score.gate_findings = ["summary-specific (summary): 'Bug' is too vague"]
    line = next(row for row in render_markdown(run).splitlines() if "| gate |" in row)
    assert line.startswith(f"| {score.id} | gate | pass | summary-specific |")
    assert "(summary): 'Bug' is too vague" in line
