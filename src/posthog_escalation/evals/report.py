"""The run's report: a row per case, totals, failures, and deltas against a baseline.

pass^k for a case is the chance that k trials drawn from its n finished trials all pass
(C(c,k)/C(n,k) for c passes); pass@k that at least one does. Both are averaged over the
cases that finished a trial. Infrastructure errors are excluded from n and counted apart.
With a baseline run, each case gets a delta; regressions come first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from .records import (
    REPORT_FILE,
    RunResult,
    TrialRecord,
    latest_records,
    load_meta,
    load_records,
)
from .scoring import pass_at_k, pass_hat_k


@dataclass
class CaseSummary:
    """One case over its trials."""

    case_id: str
    finished: int = 0
    passes: int = 0
    infra_errors: int = 0
    not_run: int = 0
    k: int = 0
    pass_hat_k: float | None = None
    pass_at_k: float | None = None
    failed_checks: Counter[str] = field(default_factory=Counter)
    mention_recall: float | None = None
    figures: float | None = None
    grounding: float | None = None
    evidence_rows: float = 0.0
    model_turns: float = 0.0
    tool_calls: float = 0.0
    tokens: float = 0.0
    cost_usd: float = 0.0
    seconds: float = 0.0
    judge_score: float | None = None
    judge_passes: int = 0
    judge_errors: int = 0

    @property
    def pass_rate(self) -> float | None:
        """Share of finished trials that passed (None when none finished)."""
        return self.passes / self.finished if self.finished else None


def _avg(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return mean(present) if present else None


def summarize(
    records: list[TrialRecord],
    case_ids: list[str],
    trials: int,
    not_run: list[tuple[str, int]] | None = None,
) -> list[CaseSummary]:
    """A :class:`CaseSummary` per case id, in ``case_ids`` order.

    ``records`` may hold several records of a case-trial (a resumed run); the last one
    counts. k is the configured number of trials, or fewer when infrastructure errors left
    fewer finished trials.
    """
    latest = latest_records(records)
    skipped = Counter(case for case, _ in not_run or [])
    out = []
    for case_id in case_ids:
        mine = [r for (c, _), r in sorted(latest.items()) if c == case_id]
        done = [r for r in mine if r.status != "infra_error"]
        s = CaseSummary(case_id=case_id, not_run=skipped[case_id])
        s.finished = len(done)
        s.passes = sum(r.passed for r in done)
        s.infra_errors = len(mine) - len(done)
        if done:
            s.k = min(trials, len(done))
            s.pass_hat_k = pass_hat_k(s.passes, s.finished, s.k)
            s.pass_at_k = pass_at_k(s.passes, s.finished, s.k)
            for r in done:
                s.failed_checks.update(c.name for c in r.failed_checks)
            s.mention_recall = _avg([r.graded.mention_recall for r in done])
            s.figures = _avg([r.graded.figure_score for r in done])
            s.grounding = _avg([r.graded.grounding for r in done])
            s.evidence_rows = mean(r.graded.evidence_rows for r in done)
            s.model_turns = mean(r.graded.model_turns for r in done)
            s.tool_calls = mean(r.graded.tool_calls for r in done)
            s.tokens = mean(r.graded.input_tokens + r.graded.output_tokens for r in done)
            s.seconds = mean(r.seconds for r in done)
        s.cost_usd = sum(r.cost_usd for r in mine)
        judged = [r.judge for r in done if r.judge is not None]
        s.judge_score = _avg([j.verdict.score for j in judged if j.verdict])
        s.judge_passes = sum(1 for j in judged if j.verdict and j.verdict.verdict == "pass")
        s.judge_errors = sum(1 for j in judged if j.verdict is None)
        out.append(s)
    return out


@dataclass
class Totals:
    """The run over all cases."""

    cases: int
    cases_passing: int
    finished: int
    passes: int
    failed: int
    infra_errors: int
    not_run: int
    k: int
    pass_hat_k: float | None
    pass_at_k: float | None
    pass_hat_1: float | None
    cost_usd: float
    tokens: float


def totals(summaries: list[CaseSummary], trials: int) -> Totals:
    """Totals over the case summaries; pass^k and pass@k are means over finished cases."""
    finished = [s for s in summaries if s.finished]
    return Totals(
        cases=len(summaries),
        cases_passing=sum(1 for s in finished if s.passes == s.finished),
        finished=sum(s.finished for s in summaries),
        passes=sum(s.passes for s in summaries),
        failed=sum(s.finished - s.passes for s in summaries),
        infra_errors=sum(s.infra_errors for s in summaries),
        not_run=sum(s.not_run for s in summaries),
        k=trials,
        pass_hat_k=_avg([s.pass_hat_k for s in finished]),
        pass_at_k=_avg([s.pass_at_k for s in finished]),
        pass_hat_1=_avg([s.pass_rate for s in finished]),
        cost_usd=sum(s.cost_usd for s in summaries),
        tokens=sum(s.tokens * s.finished for s in summaries),
    )


# --- baseline deltas -----------------------------------------------------------------


@dataclass
class Delta:
    """How a case moved against the baseline."""

    kind: str  # "regression", "improvement", "same", "new"
    text: str
    weight: float = 0.0


def _score(s: CaseSummary) -> list[float | None]:
    return [s.pass_rate, s.mention_recall, s.figures, s.grounding]


def compare(current: CaseSummary, before: CaseSummary | None) -> Delta:
    """The delta of a case against its baseline summary (pass rate first, then grades)."""
    if before is None or before.pass_rate is None:
        return Delta("new", "new")
    if current.pass_rate is None:
        return Delta("same", "not finished")
    names = ("pass", "mention", "figures", "grounding")
    parts: list[str] = []
    worst = 0.0
    best = 0.0
    for name, now, then in zip(names, _score(current), _score(before), strict=True):
        if now is None or then is None or abs(now - then) < 1e-9:
            continue
        change = now - then
        weight = change * (10 if name == "pass" else 1)
        worst, best = min(worst, weight), max(best, weight)
        parts.append(f"{name} {then:.2f}→{now:.2f}")
    if worst < 0:
        return Delta("regression", "▼ " + ", ".join(parts), worst)
    if best > 0:
        return Delta("improvement", "▲ " + ", ".join(parts), best)
    return Delta("same", "=")


# --- rendering ----------------------------------------------------------------------


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_report(
    result: RunResult,
    *,
    baseline: tuple[str, list[CaseSummary]] | None = None,
) -> str:
    """The markdown report of a run (``report.md``)."""
    meta = result.meta
    config = meta.config
    summaries = summarize(result.records, meta.case_ids, config.trials, result.not_run)
    t = totals(summaries, config.trials)
    built = [w for w in meta.worlds if not w.reused]
    share = meta.world_seconds / meta.wall_seconds if meta.wall_seconds else 0.0
    lines = [
        f"# Eval run {meta.run_id}",
        "",
        f"- Drafter: {config.drafter} · trials: {config.trials} · concurrency: "
        f"{config.concurrency} · cases: {t.cases}"
        + (" · judge: on" if config.judge else "")
        + (f" · budget: ${config.max_cost:.2f}" if config.max_cost is not None else ""),
        f"- Gating: {t.cases_passing}/{t.cases} cases pass every check · pass^{t.k} "
        f"{_f(t.pass_hat_k, 3)} · pass@{t.k} {_f(t.pass_at_k, 3)}"
        + (f" · pass^1 {_f(t.pass_hat_1, 3)}" if t.k > 1 else ""),
        f"- Trials: {t.passes} passed, {t.failed} failed, {t.infra_errors} infrastructure "
        f"errors (not counted as fails), {t.not_run} not run",
        f"- Wall time: {meta.wall_seconds:.1f} s, of which worlds {meta.world_seconds:.1f} s "
        f"({share:.0%}; {len(built)} built, {len(meta.worlds) - len(built)} reused from "
        f"cache) · model cost ${t.cost_usd:.4f} · tokens {t.tokens:,.0f}",
    ]
    if meta.stopped_by_budget:
        lines.append(
            f"- Budget reached (${meta.spent_usd:.4f} spent): {t.not_run} trial(s) not "
            "started; `--resume` runs them"
        )
    if baseline:
        lines.append(f"- Baseline: {baseline[0]}")
    lines += ["", "## Cases", ""]
    before = {s.case_id: s for s in baseline[1]} if baseline else {}
    rows = []
    for s in summaries:
        delta = compare(s, before.get(s.case_id)) if baseline else None
        rows.append((s, delta))
    if baseline:
        rank = {"regression": 0, "improvement": 1, "new": 2, "same": 3}
        rows.sort(key=lambda pair: (rank[pair[1].kind], pair[1].weight if pair[1] else 0))
    header = [
        "case",
        "pass",
        f"pass^{t.k}",
        "failed checks",
        "mention",
        "figures",
        "grounding",
        "evidence",
        "turns",
        "tools",
        "tokens",
        "cost $",
        "s",
    ]
    if config.judge:
        header.append("judge")
    if baseline:
        header.append("Δ vs baseline")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for s, delta in rows:
        passed = f"{s.passes}/{s.finished}"
        if s.infra_errors:
            passed += f" (+{s.infra_errors} infra)"
        if s.not_run:
            passed += f" ({s.not_run} not run)"
        failed = ", ".join(f"{n}×{c}" if c > 1 else n for n, c in s.failed_checks.items())
        cells = [
            s.case_id,
            passed,
            _f(s.pass_hat_k),
            failed or "–",
            _f(s.mention_recall),
            _f(s.figures),
            _f(s.grounding),
            f"{s.evidence_rows:.0f}",
            f"{s.model_turns:.1f}",
            f"{s.tool_calls:.1f}",
            f"{s.tokens:,.0f}",
            f"{s.cost_usd:.4f}",
            f"{s.seconds:.2f}",
        ]
        if config.judge:
            judge = f"{_f(s.judge_score, 1)} ({s.judge_passes} pass"
            judge += f", {s.judge_errors} err)" if s.judge_errors else ")"
            cells.append(judge)
        if delta is not None:
            cells.append(delta.text)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += _failures(result.records)
    lines += _graded_notes(result.records)
    return "\n".join(lines).rstrip() + "\n"


def _failures(records: list[TrialRecord]) -> list[str]:
    failing = [r for r in records if r.status != "passed"]
    if not failing:
        return ["", "No gating check failed."]
    lines = ["", "## Failures and infrastructure errors", ""]
    for r in failing:
        if r.status == "infra_error":
            lines.append(f"- **{r.case_id}** trial {r.trial}: infrastructure error — {r.error}")
            continue
        for check in r.failed_checks:
            detail = f" — {check.detail}" if check.detail else ""
            lines.append(f"- **{r.case_id}** trial {r.trial}: `{check.name}`{detail}")
    return lines


def _graded_notes(records: list[TrialRecord]) -> list[str]:
    notes = []
    for r in records:
        g = r.graded
        if g.missing_mentions:
            notes.append(
                f"- {r.case_id} #{r.trial}: not mentioned: {', '.join(g.missing_mentions)}"
            )
        for figure in g.figures:
            if not figure.ok:
                notes.append(
                    f"- {r.case_id} #{r.trial}: {figure.name} stated {_f(figure.stated, 0)}, "
                    f"truth {_f(figure.expected, 0)} (±{figure.tolerance:.0%})"
                )
        if g.ungrounded:
            notes.append(
                f"- {r.case_id} #{r.trial}: numbers not in their cited evidence: "
                + ", ".join(g.ungrounded[:6])
            )
        if r.judge and r.judge.error:
            notes.append(f"- {r.case_id} #{r.trial}: judge error — {r.judge.error}")
    if not notes:
        return []
    return ["", "## Graded scores below 1", "", *notes]


def load_baseline(run_dir: Path) -> tuple[str, list[CaseSummary]]:
    """A baseline run's id and case summaries."""
    meta = load_meta(run_dir)
    records = load_records(run_dir)
    return meta.run_id, summarize(records, meta.case_ids, meta.config.trials)


def write_report(
    result: RunResult, *, baseline: tuple[str, list[CaseSummary]] | None = None
) -> Path:
    """Write ``report.md`` into the run folder and return its path."""
    path = result.run_dir / REPORT_FILE
    path.write_text(render_report(result, baseline=baseline), encoding="utf-8")
    return path
