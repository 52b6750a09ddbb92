"""The report: per-case pass^k and pass@k from records, totals, failures, and baseline
deltas with regressions first. Records here are written by hand; no pipeline runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from evals.eval_helpers import CASES
from posthog_escalation.errors import InputError, NotFoundError
from posthog_escalation.evals.cases import load_case
from posthog_escalation.evals.records import (
    RunConfig,
    RunMeta,
    RunResult,
    TrialRecord,
    append_record,
    latest_records,
    load_records,
    new_run_dir,
    resolve_run,
    write_meta,
)
from posthog_escalation.evals.report import (
    compare,
    load_baseline,
    render_report,
    summarize,
    totals,
)
from posthog_escalation.evals.scoring import Check, FigureScore, Graded

REQUEST = load_case(CASES / "server-go-map-panic.yaml").request
WHEN = datetime(2026, 11, 26, 12, tzinfo=UTC)


def record(
    case_id: str,
    trial: int,
    status: str = "passed",
    *,
    failed: str | None = None,
    mention: float | None = 1.0,
    cost: float = 0.0,
) -> TrialRecord:
    checks = [Check(name="severity", passed=failed != "severity", detail="expected Medium")]
    if failed and failed != "severity":
        checks.append(Check(name=failed, passed=False, detail="wrong"))
    return TrialRecord(
        case_id=case_id,
        trial=trial,
        status=status,  # type: ignore[arg-type]
        started_at=WHEN,
        seconds=0.5,
        drafter="offline",
        world="w.yaml",
        docs="docs",
        issues="issues.jsonl",
        request=REQUEST,
        checks=[] if status == "infra_error" else checks,
        graded=Graded(mention_recall=mention, evidence_rows=8, cost_usd=cost),
        error="UnavailableError: down" if status == "infra_error" else None,
    )


def result(records: list[TrialRecord], cases: list[str], trials: int, tmp: Path) -> RunResult:
    meta = RunMeta(
        run_id="20261126-120000",
        started_at=WHEN,
        config=RunConfig(trials=trials),
        cases=[{"id": c, "path": f"{c}.yaml"} for c in cases],  # type: ignore[misc]
        wall_seconds=10.0,
        world_seconds=2.5,
    )
    return RunResult(run_dir=tmp, meta=meta, records=records)


def test_pass_hat_k_per_case_and_the_mean_over_cases() -> None:
    records = [
        record("a", 1),
        record("a", 2),
        record("a", 3, "failed", failed="severity"),
        record("b", 1),
        record("b", 2),
        record("b", 3),
    ]
    a, b = summarize(records, ["a", "b"], trials=3)
    assert (a.finished, a.passes, a.k) == (3, 2, 3)
    assert a.pass_hat_k == 0.0  # C(2,3)/C(3,3)
    assert a.pass_at_k == 1.0
    assert a.failed_checks == {"severity": 1}
    assert b.pass_hat_k == 1.0
    t = totals([a, b], 3)
    assert t.pass_hat_k == pytest.approx(0.5)
    assert t.pass_hat_1 == pytest.approx((2 / 3 + 1) / 2)
    assert (t.passes, t.failed, t.cases_passing) == (5, 1, 1)


def test_infrastructure_errors_are_left_out_of_n_and_k() -> None:
    records = [record("a", 1), record("a", 2, "infra_error"), record("a", 3)]
    (a,) = summarize(records, ["a"], trials=3)
    assert (a.finished, a.infra_errors, a.k) == (2, 1, 2)
    assert a.pass_hat_k == 1.0
    assert totals([a], 3).failed == 0


def test_the_last_record_of_a_trial_wins() -> None:
    records = [record("a", 1, "infra_error"), record("a", 1, "passed")]
    assert latest_records(records)[("a", 1)].status == "passed"
    (a,) = summarize(records, ["a"], trials=1)
    assert (a.finished, a.passes, a.infra_errors) == (1, 1, 0)


def test_a_case_that_only_had_infrastructure_errors_has_no_pass_rate() -> None:
    (a,) = summarize([record("a", 1, "infra_error")], ["a"], trials=1)
    assert a.pass_rate is None and a.pass_hat_k is None
    assert totals([a], 1).pass_hat_k is None


def test_the_report_has_a_row_per_case_totals_and_every_failure(tmp_path: Path) -> None:
    records = [
        record("a", 1),
        record("b", 1, "failed", failed="route", mention=0.5),
        record("c", 1, "infra_error"),
    ]
    records[1].graded.figures = [
        FigureScore(name="affected_orgs", expected=9, stated=7, tolerance=0.1, ok=False)
    ]
    text = render_report(result(records, ["a", "b", "c"], 1, tmp_path))
    assert "1/3 cases pass every check" in text
    assert "1 passed, 1 failed, 1 infrastructure errors" in text
    assert "worlds 2.5 s (25%" in text
    assert "| a | 1/1 | 1.00 | – |" in text
    assert "| b | 0/1 | 0.00 | route |" in text
    assert "| c | 0/0 (+1 infra) | – |" in text
    assert "- **b** trial 1: `route` — wrong" in text
    assert "- **c** trial 1: infrastructure error — UnavailableError: down" in text
    assert "affected_orgs stated 7, truth 9 (±10%)" in text


def test_a_drop_in_pass_rate_is_a_regression_and_sorts_first(tmp_path: Path) -> None:
    before = summarize(
        [record("a", 1), record("b", 1), record("c", 1, mention=0.5)], list("abc"), 1
    )
    now = [record("a", 1), record("b", 1, "failed", failed="route"), record("c", 1, mention=1.0)]
    text = render_report(result(now, list("abc"), 1, tmp_path), baseline=("old-run", before))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "|---" not in line]
    assert [row.split(" | ")[0] for row in rows[1:]] == ["| b", "| c", "| a"]
    assert "▼ pass 1.00→0.00" in rows[1]
    assert "▲ mention 0.50→1.00" in rows[2]
    assert rows[3].endswith("| = |")
    assert "- Baseline: old-run" in text


def test_a_case_absent_from_the_baseline_is_new() -> None:
    (now,) = summarize([record("z", 1)], ["z"], 1)
    assert compare(now, None).kind == "new"


def test_records_round_trip_through_the_run_folder(tmp_path: Path) -> None:
    run = new_run_dir(tmp_path, WHEN)
    assert run.name == "20261126-120000"
    assert new_run_dir(tmp_path, WHEN).name == "20261126-120000-2"
    append_record(run, record("a", 1))
    append_record(run, record("a", 2, "failed", failed="route"))
    write_meta(run, result([], ["a"], 2, run).meta)
    loaded = load_records(run)
    assert [(r.case_id, r.trial, r.status) for r in loaded] == [
        ("a", 1, "passed"),
        ("a", 2, "failed"),
    ]
    assert resolve_run(run.name, tmp_path).resolve() == run.resolve()
    name, summaries = load_baseline(run)
    assert name == "20261126-120000" and summaries[0].passes == 1


def test_a_torn_last_line_is_an_unfinished_trial(tmp_path: Path) -> None:
    append_record(tmp_path, record("a", 1))
    with (tmp_path / "records.jsonl").open("a") as handle:
        handle.write('{"case_id": "a", "tri')
    assert [r.trial for r in load_records(tmp_path)] == [1]


def test_a_damaged_record_in_the_middle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "records.jsonl").write_text("not json\n" + record("a", 1).model_dump_json() + "\n")
    with pytest.raises(InputError, match="line 1"):
        load_records(tmp_path)


def test_an_unknown_run_names_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no eval run 'nope'"):
        resolve_run("nope", tmp_path)
