"""The runner with the real offline pipeline: records, report, cached worlds, infrastructure
errors kept apart from fails, --resume, the budget cap and baselines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.eval_helpers import CASES, scripted_messages_api
from posthog_escalation.config import Settings
from posthog_escalation.errors import ConfigError, RateLimitedError, UnavailableError
from posthog_escalation.evals.cases import EvalCase, load_case
from posthog_escalation.evals.judge import Judge
from posthog_escalation.evals.records import (
    META_FILE,
    RECORDS_FILE,
    REPORT_FILE,
    RunConfig,
    load_records,
)
from posthog_escalation.evals.runner import fell_back_on_infra, run_eval, run_trial
from posthog_escalation.models import Severity
from posthog_escalation.outcome import Outcome, Usage
from posthog_escalation.pipeline import escalate

DEMO_CASE = "replay-safari-regression"
SERVER_CASE = "server-api-5xx-incident"
WEB_CASE = "web-duplicate-pageviews"
FAST_CASE = "server-go-map-panic"
OTHER_FAST_CASE = "server-hogql-unresolved-field"


def _case(name: str) -> EvalCase:
    return load_case(CASES / f"{name}.yaml")


@pytest.fixture
def settings(hogql_settings: Settings) -> Settings:
    return hogql_settings.model_copy(update={"anthropic_api_key": None})


class Pipeline:
    """The real pipeline, counting calls, with a hook to break or change some runs."""

    def __init__(self, hook: Any = None, *, offline: bool = False) -> None:
        self.calls: list[str] = []
        self.hook = hook
        self.offline = offline

    async def __call__(self, request: Any, **kwargs: Any) -> Outcome:
        self.calls.append(request.ticket.id)
        if self.offline:
            kwargs["drafter"] = "offline"
        if self.hook is not None:
            replaced = self.hook(request, len(self.calls))
            if isinstance(replaced, BaseException):
                raise replaced
        outcome = await escalate(request, **kwargs)
        if self.hook is not None and callable(getattr(self.hook, "edit", None)):
            outcome = self.hook.edit(outcome)
        return outcome


async def test_a_run_writes_a_record_per_trial_and_a_report(
    settings: Settings, tmp_path: Path
) -> None:
    cases = [_case(DEMO_CASE), _case(SERVER_CASE), _case(WEB_CASE)]
    result = await run_eval(cases, settings, RunConfig(concurrency=2), runs_dir=tmp_path / "runs")
    assert result.run_dir.parent == tmp_path / "runs"
    assert {r.case_id: r.status for r in result.records} == {
        DEMO_CASE: "passed",
        SERVER_CASE: "passed",
        WEB_CASE: "passed",
    }
    assert not result.gating_failed
    lines = (result.run_dir / RECORDS_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    stored = json.loads(lines[0])
    assert {"request", "escalation", "checks", "graded", "tool_calls", "usage"} <= stored.keys()
    meta = json.loads((result.run_dir / META_FILE).read_text(encoding="utf-8"))
    assert len(meta["worlds"]) == 3
    assert meta["world_seconds"] <= meta["wall_seconds"]
    report = (result.run_dir / REPORT_FILE).read_text(encoding="utf-8")
    for case in cases:
        assert f"| {case.id} | 1/1 |" in report
    assert "3/3 cases pass every check" in report
    web = next(r for r in result.records if r.case_id == WEB_CASE)
    assert [(f.name, f.ok) for f in web.graded.figures] == [("affected_orgs", True)]


async def test_a_second_run_reuses_the_cached_worlds(settings: Settings, tmp_path: Path) -> None:
    cases = [_case(FAST_CASE), _case(WEB_CASE)]
    await run_eval(cases, settings, RunConfig(), runs_dir=tmp_path / "runs")
    again = await run_eval(cases, settings, RunConfig(), runs_dir=tmp_path / "runs")
    assert [w.reused for w in again.meta.worlds] == [True, True]
    assert "0 built, 2 reused from cache" in (again.run_dir / REPORT_FILE).read_text()


async def test_infrastructure_errors_are_counted_apart_and_resume_reruns_only_them(
    settings: Settings, tmp_path: Path
) -> None:
    cases = [_case(FAST_CASE), _case(OTHER_FAST_CASE)]
    other_ticket = cases[1].request.ticket.id

    def down(request: Any, _call: int) -> Any:
        if request.ticket.id == other_ticket:
            return UnavailableError("PostHog API unreachable", "try again later")
        return None

    first = await run_eval(
        cases, settings, RunConfig(), runs_dir=tmp_path / "runs", escalate_fn=Pipeline(down)
    )
    statuses = {r.case_id: r.status for r in first.records}
    assert statuses == {FAST_CASE: "passed", OTHER_FAST_CASE: "infra_error"}
    assert not first.gating_failed
    report = (first.run_dir / REPORT_FILE).read_text(encoding="utf-8")
    assert "1 passed, 0 failed, 1 infrastructure errors" in report
    assert "PostHog API unreachable" in report

    pipeline = Pipeline()
    resumed = await run_eval(
        [],
        settings,
        RunConfig(),
        runs_dir=tmp_path / "runs",
        resume=first.run_dir,
        escalate_fn=pipeline,
    )
    assert pipeline.calls == [other_ticket]
    assert resumed.run_dir == first.run_dir
    assert {r.case_id: r.status for r in resumed.records} == {
        FAST_CASE: "passed",
        OTHER_FAST_CASE: "passed",
    }
    assert len(load_records(first.run_dir)) == 3
    assert resumed.meta.resumes == 1


async def test_a_rate_limit_that_outlasts_retries_is_an_infrastructure_error(
    settings: Settings,
) -> None:
    record = await run_trial(
        _case(FAST_CASE),
        1,
        settings=settings,
        drafter="offline",
        escalate_fn=Pipeline(lambda *_: RateLimitedError("throttled", "wait")),
    )
    assert record.status == "infra_error"
    assert record.error is not None and "RateLimitedError" in record.error


async def test_a_crash_is_a_failed_trial_and_the_run_goes_on(
    settings: Settings, tmp_path: Path
) -> None:
    cases = [_case(FAST_CASE), _case(OTHER_FAST_CASE)]
    fast_ticket = cases[0].request.ticket.id

    def crash(request: Any, _call: int) -> Any:
        return ValueError("boom") if request.ticket.id == fast_ticket else None

    result = await run_eval(
        cases, settings, RunConfig(), runs_dir=tmp_path / "runs", escalate_fn=Pipeline(crash)
    )
    demo = next(r for r in result.records if r.case_id == FAST_CASE)
    assert demo.status == "failed"
    assert [(c.name, c.passed, c.detail) for c in demo.checks] == [
        ("ran", False, "ValueError: boom")
    ]
    assert next(r for r in result.records if r.case_id == OTHER_FAST_CASE).status == "passed"
    assert result.gating_failed


class _Costly:
    """Every trial reports a dollar of model cost."""

    def __call__(self, _request: Any, _call: int) -> None:
        return None

    def edit(self, outcome: Outcome) -> Outcome:
        return outcome.model_copy(update={"usage": Usage(cost_usd=1.0, model_turns=1)})


async def test_the_budget_stops_new_trials_and_resume_finishes_them(
    settings: Settings, tmp_path: Path
) -> None:
    case = _case(FAST_CASE)
    costly = Pipeline(_Costly())
    config = RunConfig(trials=3, concurrency=1, max_cost=1.5)
    result = await run_eval(
        [case], settings, config, runs_dir=tmp_path / "runs", escalate_fn=costly
    )
    assert len(costly.calls) == 2
    assert [r.trial for r in result.records] == [1, 2]
    assert result.not_run == [(FAST_CASE, 3)]
    assert result.meta.stopped_by_budget
    assert result.meta.spent_usd == pytest.approx(2.0)
    report = (result.run_dir / REPORT_FILE).read_text(encoding="utf-8")
    assert "Budget reached" in report and "1 not run" in report

    finish = Pipeline()
    resumed = await run_eval(
        [],
        settings,
        RunConfig(concurrency=1),
        runs_dir=tmp_path / "runs",
        resume=result.run_dir,
        escalate_fn=finish,
    )
    assert len(finish.calls) == 1
    assert [r.trial for r in resumed.records] == [1, 2, 3]
    assert not resumed.meta.stopped_by_budget


async def test_pass_hat_k_over_trials_counts_a_flaky_case(
    settings: Settings, tmp_path: Path
) -> None:
    class Flaky:
        def __call__(self, _request: Any, _call: int) -> None:
            return None

        calls = 0

        def edit(self, outcome: Outcome) -> Outcome:
            self.calls += 1
            if self.calls == 2 and outcome.escalation is not None:
                wrong = outcome.escalation.model_copy(update={"severity": Severity.CRITICAL})
                return outcome.model_copy(update={"escalation": wrong})
            return outcome

    result = await run_eval(
        [_case(FAST_CASE)],
        settings,
        RunConfig(trials=3, concurrency=1),
        runs_dir=tmp_path / "runs",
        escalate_fn=Pipeline(Flaky()),
    )
    assert [r.status for r in result.records] == ["passed", "failed", "passed"]
    report = (result.run_dir / REPORT_FILE).read_text(encoding="utf-8")
    # c=2 of n=3: pass^3 = C(2,3)/C(3,3) = 0, pass@3 = 1, pass^1 = 2/3
    assert "pass^3 0.000 · pass@3 1.000 · pass^1 0.667" in report
    assert "severity×1" not in report and "| 2/3 |" in report


async def test_a_regression_against_the_baseline_is_listed_first(
    settings: Settings, tmp_path: Path
) -> None:
    cases = [_case(FAST_CASE), _case(OTHER_FAST_CASE)]
    runs = tmp_path / "runs"
    before = await run_eval(cases, settings, RunConfig(), runs_dir=runs)
    other_ticket = cases[1].request.ticket.id

    class Worse:
        def __call__(self, _request: Any, _call: int) -> None:
            return None

        def edit(self, outcome: Outcome) -> Outcome:
            if outcome.ticket_id != other_ticket or outcome.escalation is None:
                return outcome
            wrong = outcome.escalation.model_copy(update={"severity": Severity.CRITICAL})
            return outcome.model_copy(update={"escalation": wrong})

    after = await run_eval(
        cases,
        settings,
        RunConfig(),
        runs_dir=runs,
        baseline=before.run_dir,
        escalate_fn=Pipeline(Worse()),
    )
    report = (after.run_dir / REPORT_FILE).read_text(encoding="utf-8")
    rows = [line for line in report.splitlines() if line.startswith(f"| {OTHER_FAST_CASE}")]
    rows += [line for line in report.splitlines() if line.startswith(f"| {FAST_CASE}")]
    assert "Δ vs baseline" in report
    assert "▼ pass 1.00→0.00" in rows[0]
    assert rows[1].endswith("| = |")
    assert report.index(f"| {OTHER_FAST_CASE}") < report.index(f"| {FAST_CASE}")
    assert f"- **{OTHER_FAST_CASE}** trial 1: `severity` — expected Medium, got Critical" in report


async def test_the_claude_drafter_needs_a_key_before_anything_runs(
    settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        await run_eval(
            [_case(FAST_CASE)], settings, RunConfig(drafter="llm"), runs_dir=tmp_path / "runs"
        )


async def test_a_claude_fallback_because_the_api_was_down_is_an_infrastructure_error(
    settings: Settings,
) -> None:
    class Down:
        def __call__(self, _request: Any, _call: int) -> None:
            return None

        def edit(self, outcome: Outcome) -> Outcome:
            return outcome.model_copy(
                update={
                    "fell_back": True,
                    "unavailable": True,
                    "notes": [
                        "the Anthropic API could not be reached (APIConnectionError); the "
                        "offline drafter wrote this escalation"
                    ],
                }
            )

    record = await run_trial(
        _case(FAST_CASE),
        1,
        settings=settings,
        drafter="llm",
        escalate_fn=Pipeline(Down(), offline=True),
    )
    assert record.status == "infra_error"
    assert record.error is not None and "could not be reached" in record.error


def test_a_fallback_for_another_reason_is_not_an_infrastructure_error() -> None:
    outcome = Outcome(
        ticket_id="T",
        drafter="llm",
        fell_back=True,
        notes=["the model hit the iteration cap; the offline drafter wrote this escalation"],
    )
    assert fell_back_on_infra(outcome) is None
    overloaded = outcome.model_copy(
        update={
            "unavailable": True,
            "notes": ["the Anthropic API failed (529); the offline drafter wrote this"],
        }
    )
    assert fell_back_on_infra(overloaded) == overloaded.notes[0]


async def test_the_judge_verdict_is_recorded_and_reported_apart_from_the_pass(
    settings: Settings, tmp_path: Path
) -> None:
    seen: list[dict[str, Any]] = []
    replies = [{"text": "not a verdict"}]
    judge = Judge(scripted_messages_api(replies, seen), "claude-sonnet-5-5")
    result = await run_eval(
        [_case(FAST_CASE)],
        settings,
        RunConfig(judge=True),
        runs_dir=tmp_path / "runs",
        judge=judge,
    )
    (only,) = result.records
    assert only.status == "passed"
    assert only.judge is not None and only.judge.error is not None
    report = (result.run_dir / REPORT_FILE).read_text(encoding="utf-8")
    assert "judge: on" in report and "(0 pass, 1 err)" in report
    assert "judge error — unreadable verdict" in report
    assert len(seen) == 1
