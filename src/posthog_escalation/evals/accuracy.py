"""The accuracy suite: the offline pipeline on labeled real reports, scored field by field.

Each report becomes a ticket (its title and body) with a triage report that says only
"escalate to engineering". :func:`run_accuracy` runs the offline pipeline on each with no
HogQL project (HogQL evidence is simply absent), the shipped or a given docs index, and the
dataset itself as the known-issue snapshot (a report never matches itself). It then
compares route, affected repository, the "not a bug" recommendation, the docs link and
the duplicate with the labels, and keeps, for every miss, the cue that decided it.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import anyio
from pydantic import BaseModel, Field

from ..backends import Backends
from ..config import Settings
from ..models import SourceKind
from ..outcome import Outcome
from ..pipeline import escalate
from ..playbook import Playbook, default_playbook
from ..tools.docs import DocsSearch
from ..tools.incidents import StaticIncidents
from ..tools.issues import LocalIssues
from .dataset import LabeledReport, Split, report_records, report_request, split_of

TOP_K = 5


class ReportScore(BaseModel):
    """What the pipeline decided for one report, beside the labels."""

    id: str
    split: str
    area: str
    route: str | None = Field(None, description="The product route the escalation states")
    team_route: str | None = Field(None, description="The route that receives it")
    repo: str
    affected_repo: str | None = None
    accepted_repos: list[str]
    not_a_bug: bool | None = None
    recommendation: str | None = None
    severity: str | None = None
    passed_gate: bool = False
    gate_errors: list[str] = Field(default_factory=list)
    gate_findings: list[str] = Field(
        default_factory=list, description="Each failing check: 'rule (field): message'"
    )
    docs_url: str | None = None
    docs_links: list[str] = Field(default_factory=list)
    duplicate_of: str | None = None
    matching: list[str] = Field(default_factory=list)
    reasons: dict[str, str] = Field(
        default_factory=dict, description="The cue that decided each field"
    )
    error: str | None = None

    @property
    def route_right(self) -> bool:
        """The route is the labeled area."""
        return self.route == self.area

    @property
    def repo_right(self) -> bool:
        """The affected repository is where it was filed (or where that repo moved)."""
        return self.affected_repo in self.accepted_repos

    @property
    def said_not_a_bug(self) -> bool:
        """The pipeline recommended resolving it in support."""
        return self.recommendation == "resolve_in_support"


class Rate(BaseModel):
    """A share with its counts."""

    hits: int
    total: int

    @property
    def value(self) -> float | None:
        """hits / total, or None when there is nothing to count."""
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        if not self.total:
            return "n/a"
        return f"{self.value:.1%} ({self.hits}/{self.total})"


class AccuracySummary(BaseModel):
    """The suite's figures for one split."""

    dataset: str
    split: str
    reports: int
    route: Rate
    repo: Rate
    not_a_bug_precision: Rate
    not_a_bug_recall: Rate
    bugs_called_not_a_bug: Rate = Field(
        description="Reports confirmed as bugs (not_a_bug false) recommended resolve_in_support"
    )
    unlabeled_called_not_a_bug: Rate = Field(
        description="Reports with no known outcome recommended resolve_in_support"
    )
    docs_recall_at_5: Rate
    duplicate_recall_at_5: Rate
    gate_pass: Rate
    severity: dict[str, int]
    route_confusion: dict[str, dict[str, int]]
    repo_confusion: dict[str, dict[str, int]]
    errors: int
    seconds: float


@dataclass
class AccuracyRun:
    """A finished run: per-report scores and the summary."""

    scores: list[ReportScore]
    summary: AccuracySummary
    run_dir: Path | None = None
    misses: list[ReportScore] = field(default_factory=list)


_URL = re.compile(r"https?://[^\s)\]>\"']+")


def _docs_links(outcome: Outcome) -> list[str]:
    """The docs pages the escalation surfaced, best first: each docs row's link, then the
    ranked sections its result lists."""
    links: list[str] = []
    for e in outcome.evidence:
        if e.source is not SourceKind.DOCS or e.status != "ok":
            continue
        links += [e.url] if e.url else []
        links += _URL.findall(e.result)
    return list(dict.fromkeys(_page(u) for u in links))[:TOP_K]


def _page(url: str) -> str:
    """A docs URL without its anchor or trailing slash, for comparing pages."""
    return url.split("#", 1)[0].rstrip("/").lower()


def _score(report: LabeledReport, outcome: Outcome, book: Playbook) -> ReportScore:
    escalation = outcome.escalation
    score = ReportScore(
        id=report.id,
        split=split_of(report.id),
        area=report.area,
        repo=report.repo,
        accepted_repos=sorted(report.accepted_repos),
        not_a_bug=report.not_a_bug,
        docs_url=report.docs_url,
        duplicate_of=report.duplicate_of,
    )
    if escalation is None:
        score.error = "no escalation was produced"
        return score
    score.route = next(
        (k for k, r in book.routes.items() if r.area == escalation.product_area),
        escalation.routing.route,
    )
    score.team_route = escalation.routing.route
    score.affected_repo = escalation.affected_repo
    score.recommendation = escalation.recommendation
    score.severity = escalation.severity.value
    score.passed_gate = outcome.passed_gate
    errors = [f for f in outcome.findings if f.level == "error"]
    score.gate_errors = [f.rule for f in errors]
    score.gate_findings = [f"{f.rule} ({f.field}): {f.message}"[:200] for f in errors]
    score.docs_links = _docs_links(outcome)
    score.matching = [m.key for m in escalation.known_issues.matching_issues][:TOP_K]
    for line in escalation.routing.context:
        for name, prefix in (("route", "Routed by: "), ("repo", "Repository: ")):
            if line.startswith(prefix):
                score.reasons[name] = line[len(prefix) :]
    score.reasons["recommendation"] = escalation.recommendation_reason or "escalate"
    return score


def _confusion(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {}
    for truth, guess in pairs:
        table.setdefault(truth, Counter())[guess] += 1
    return {t: dict(c.most_common()) for t, c in sorted(table.items())}


def summarize(
    scores: list[ReportScore], dataset: str, split: str, seconds: float
) -> AccuracySummary:
    """The suite's figures over ``scores``."""
    done = [s for s in scores if s.error is None]
    said = [s for s in done if s.said_not_a_bug]
    nab = [s for s in done if s.not_a_bug is True]
    bugs = [s for s in done if s.not_a_bug is False]
    unknown = [s for s in done if s.not_a_bug is None]
    with_docs = [s for s in done if s.docs_url]
    with_dup = [s for s in done if s.duplicate_of]
    return AccuracySummary(
        dataset=dataset,
        split=split,
        reports=len(scores),
        route=Rate(hits=sum(s.route_right for s in done), total=len(scores)),
        repo=Rate(hits=sum(s.repo_right for s in done), total=len(scores)),
        not_a_bug_precision=Rate(hits=sum(s.not_a_bug is True for s in said), total=len(said)),
        not_a_bug_recall=Rate(hits=sum(s.said_not_a_bug for s in nab), total=len(nab)),
        bugs_called_not_a_bug=Rate(hits=sum(s.said_not_a_bug for s in bugs), total=len(bugs)),
        unlabeled_called_not_a_bug=Rate(
            hits=sum(s.said_not_a_bug for s in unknown), total=len(unknown)
        ),
        docs_recall_at_5=Rate(
            hits=sum(_page(s.docs_url or "") in s.docs_links for s in with_docs),
            total=len(with_docs),
        ),
        duplicate_recall_at_5=Rate(
            hits=sum(
                (s.duplicate_of or "").lower() in [m.lower() for m in s.matching] for s in with_dup
            ),
            total=len(with_dup),
        ),
        gate_pass=Rate(hits=sum(s.passed_gate for s in done), total=len(scores)),
        severity=dict(Counter(s.severity or "none" for s in done).most_common()),
        route_confusion=_confusion([(s.area, s.route or "none") for s in done]),
        repo_confusion=_confusion(
            [(s.repo, s.affected_repo or "none") for s in done if not s.repo_right]
        ),
        errors=len(scores) - len(done),
        seconds=round(seconds, 2),
    )


Progress = Callable[[ReportScore], None]


async def run_accuracy(
    reports: list[LabeledReport],
    *,
    docs: DocsSearch,
    snapshot: list[LabeledReport] | None = None,
    settings: Settings | None = None,
    playbook: Playbook | None = None,
    concurrency: int = 4,
    progress: Progress | None = None,
    dataset: str = "",
    split: Split = "all",
) -> AccuracyRun:
    """Run the offline pipeline on every report and score it.

    Args:
        reports: The reports to run.
        docs: The docs index the pipeline searches.
        snapshot: The reports that make up the known-issue snapshot (all of the dataset's,
            so a report's original can be found whatever its split); ``reports`` when
            omitted.
        settings: Settings for the pipeline (no key is used: the drafter is offline).
        playbook: The playbook (the packaged one when omitted).
        concurrency: Reports run at once.
        progress: Called with each report's score as it lands.
        dataset: The dataset's name, for the summary.
        split: The split's name, for the summary.
    """
    settings = settings or Settings(backend="local")
    book = playbook or default_playbook()
    issues = LocalIssues(records=report_records(snapshot or reports))
    backends = Backends(hogql=None, docs=docs, issues=issues, incidents=StaticIncidents([]))
    scores: dict[str, ReportScore] = {}
    limiter = anyio.CapacityLimiter(concurrency)
    started = time.perf_counter()

    async def one(report: LabeledReport) -> None:
        async with limiter:
            request = report_request(report)
            clock = request.ticket.created_at or datetime.now(UTC)
            try:
                outcome = await escalate(
                    request,
                    settings=settings,
                    backends=backends,
                    drafter="offline",
                    playbook=book,
                    now=clock,
                )
                score = _score(report, outcome, book)
            except Exception as exc:  # one broken report must not stop the suite
                score = _score(report, Outcome(ticket_id=report.id, drafter="offline"), book)
                score.error = f"{type(exc).__name__}: {exc}"[:300]
            scores[report.id] = score
            if progress is not None:
                progress(score)

    async with anyio.create_task_group() as group:
        for report in reports:
            group.start_soon(one, report)
    ordered = [scores[r.id] for r in reports]
    summary = summarize(ordered, dataset, split, time.perf_counter() - started)
    misses = [s for s in ordered if s.error or not s.route_right or not s.repo_right]
    return AccuracyRun(scores=ordered, summary=summary, misses=misses)


def _row(name: str, rate: Rate) -> str:
    return f"| {name} | {rate} |"


def _table(title: str, key: str, table: dict[str, dict[str, int]]) -> list[str]:
    rows = [
        f"| {k} | {', '.join(f'{c} {n}' for c, n in chosen.items())} |"
        for k, chosen in table.items()
    ]
    return ["", f"## {title}", "", f"| {key} | chosen |", "|---|---|", *rows]


def render_markdown(run: AccuracyRun) -> str:
    """The suite's report: figures, severity distribution, confusion and every miss."""
    s = run.summary
    lines = [
        f"# Accuracy on {s.dataset} ({s.split} split, {s.reports} reports)",
        "",
        "| figure | value |",
        "|---|---|",
        _row("route equals the labeled area", s.route),
        _row("affected repo equals where it was filed", s.repo),
        _row("'not a bug' precision", s.not_a_bug_precision),
        _row("'not a bug' recall", s.not_a_bug_recall),
        _row("confirmed bugs called 'not a bug'", s.bugs_called_not_a_bug),
        _row("unlabeled reports called 'not a bug'", s.unlabeled_called_not_a_bug),
        _row("docs link recall@5", s.docs_recall_at_5),
        _row("duplicate recall@5", s.duplicate_recall_at_5),
        _row("quality gate passes", s.gate_pass),
        f"| errors | {s.errors} |",
        f"| seconds | {s.seconds} |",
        "",
        "## Severity",
        "",
        ", ".join(f"{k}: {v}" for k, v in s.severity.items()),
    ]
    lines += _table("Route confusion (labeled area → chosen route)", "area", s.route_confusion)
    lines += _table("Repository misses (filed in → chosen)", "filed in", s.repo_confusion)
    lines += [
        "",
        "## Misses",
        "",
        "| report | field | labeled | chosen | cue |",
        "|---|---|---|---|---|",
    ]
    for score in run.scores:
        if score.error:
            lines.append(f"| {score.id} | error | | | {score.error} |")
            continue
        if not score.route_right:
            cue = score.reasons.get("route", "")
            lines.append(f"| {score.id} | route | {score.area} | {score.route} | {cue} |")
        if not score.repo_right:
            cue = score.reasons.get("repo", "")
            lines.append(f"| {score.id} | repo | {score.repo} | {score.affected_repo} | {cue} |")
        if score.said_not_a_bug and score.not_a_bug is not True:
            cue = score.reasons.get("recommendation", "")
            lines.append(f"| {score.id} | not a bug | {score.not_a_bug} | resolve | {cue} |")
        if score.not_a_bug is True and not score.said_not_a_bug:
            cue = score.reasons.get("recommendation", "")
            lines.append(f"| {score.id} | not a bug | true | escalate | {cue} |")
        if not score.passed_gate:
            cue = "; ".join(score.gate_findings).replace("|", "\\|")
            lines.append(f"| {score.id} | gate | pass | {', '.join(score.gate_errors)} | {cue} |")
    return "\n".join(lines) + "\n"


def write_run(run: AccuracyRun, runs_dir: Path) -> Path:
    """Write ``accuracy.md`` and ``accuracy.json`` into a new folder under ``runs_dir``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = runs_dir / f"accuracy-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = runs_dir / f"accuracy-{stamp}-{suffix}"
    folder.mkdir(parents=True)
    (folder / "accuracy.md").write_text(render_markdown(run), encoding="utf-8")
    payload = {
        "summary": json.loads(run.summary.model_dump_json()),
        "reports": [json.loads(s.model_dump_json()) for s in run.scores],
    }
    (folder / "accuracy.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    run.run_dir = folder
    return folder
