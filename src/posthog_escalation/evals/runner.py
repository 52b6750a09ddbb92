"""Running eval cases: worlds built once, trials in parallel, scores recorded as they land.

:func:`run_eval` builds each distinct world once (a world is cached in the engine's data
folder under its spec's digest, so a second run reuses it), then runs every case-trial
with at most ``concurrency`` at a time. Each trial opens its own backends on the case's
world, docs and issue snapshot, calls :func:`~posthog_escalation.pipeline.escalate`,
scores the outcome and appends a record. Infrastructure errors (an API down, rate limits
exhausted) are recorded apart and never count as fails; ``resume`` re-runs those and the
trials that never finished. With ``max_cost`` no new trial starts once the money spent
reaches it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio
from pydantic import BaseModel

from ..backends import Backends, open_backends
from ..config import Settings
from ..errors import ConfigError, RateLimitedError, UnavailableError
from ..outcome import Outcome
from ..pipeline import escalate
from ..tools.hogql import GroundTruth, LocalHogQL, build_world, load_world_spec, world_home
from .cases import EvalCase, load_case
from .judge import Judge, model_api_errors
from .records import (
    CaseRef,
    RunConfig,
    RunMeta,
    RunResult,
    TrialRecord,
    WorldBuild,
    append_record,
    latest_records,
    load_meta,
    load_records,
    new_run_dir,
    write_meta,
)
from .report import load_baseline, write_report
from .scoring import Check, gating_checks, graded_scores

log = logging.getLogger(__name__)


def infra_errors() -> tuple[type[BaseException], ...]:
    """Errors that say a service was unavailable, not that the escalation was wrong."""
    return (RateLimitedError, UnavailableError, TimeoutError, *model_api_errors())


Escalate = Callable[..., object]


def fell_back_on_infra(outcome: Outcome) -> str | None:
    """The note saying the Claude drafter fell back because the API was unavailable."""
    if not (outcome.fell_back and outcome.unavailable):
        return None
    return next(iter(outcome.notes), "the model API was unavailable")


@dataclass
class Progress:
    """Callbacks while a run goes; every one optional."""

    world: Callable[[WorldBuild], None] | None = None
    planned: Callable[[int], None] | None = None
    trial: Callable[[TrialRecord], None] | None = None


class _Spend(BaseModel):
    usd: float = 0.0
    stopped: bool = False


def build_worlds(
    cases: list[EvalCase], settings: Settings, on_world: Callable[[WorldBuild], None] | None
) -> tuple[dict[Path, WorldBuild], float]:
    """Build (or reuse) every distinct world of ``cases``, once per spec digest.

    Returns:
        The build of each case's world path, and the seconds spent.
    """
    home = world_home(settings.data_dir)
    by_digest: dict[str, WorldBuild] = {}
    by_path: dict[Path, WorldBuild] = {}
    started = time.perf_counter()
    for path in dict.fromkeys(c.world for c in cases):
        spec = load_world_spec(path)
        digest = spec.digest()
        if digest not in by_digest:
            mark = time.perf_counter()
            info = build_world(spec, home=home)
            build = WorldBuild(
                spec=str(path),
                name=info.name,
                database=info.database,
                digest=digest,
                events=info.totals.events,
                seconds=time.perf_counter() - mark,
                reused=info.reused,
            )
            by_digest[digest] = build
            if on_world:
                on_world(build)
        by_path[path] = by_digest[digest]
    return by_path, time.perf_counter() - started


def _backends(case: EvalCase, settings: Settings) -> Backends:
    return open_backends(
        settings, world=case.world, docs_dir=case.docs, issues_snapshot=case.issues
    )


def _truth(backends: Backends, case: EvalCase) -> GroundTruth | None:
    if not case.expect.figures or not isinstance(backends.hogql, LocalHogQL):
        return None
    return backends.hogql.ground_truth()


def _expectations(case: EvalCase) -> dict[str, object]:
    return case.expect.model_dump(mode="json", exclude={"figures", "truth_incident"})


async def run_trial(
    case: EvalCase,
    trial: int,
    *,
    settings: Settings,
    drafter: str,
    world: WorldBuild | None = None,
    judge: Judge | None = None,
    escalate_fn: Escalate = escalate,
) -> TrialRecord:
    """Run one trial of ``case`` and score it.

    ``escalate_fn`` is the pipeline (replaceable in tests). Infrastructure errors become an
    ``infra_error`` record; any other exception a ``failed`` one with a ``ran`` check.
    """
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    base = {
        "case_id": case.id,
        "trial": trial,
        "started_at": started_at,
        "drafter": drafter,
        "world": str(case.world),
        "world_digest": world.digest if world else "",
        "docs": str(case.docs),
        "issues": str(case.issues),
        "request": case.request,
    }
    backends: Backends | None = None
    try:
        backends = await anyio.to_thread.run_sync(_backends, case, settings)
        outcome: Outcome = await escalate_fn(  # type: ignore[misc]
            case.request, settings=settings, backends=backends, drafter=drafter
        )
        truth = _truth(backends, case)
    except infra_errors() as exc:
        return TrialRecord(
            **base,
            status="infra_error",
            seconds=time.perf_counter() - started,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
    except ConfigError:
        raise
    except Exception as exc:
        log.exception("eval case %s trial %d crashed", case.id, trial)
        return TrialRecord(
            **base,
            status="failed",
            seconds=time.perf_counter() - started,
            checks=[Check(name="ran", passed=False, detail=f"{type(exc).__name__}: {exc}")],
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
    finally:
        if backends is not None:
            await backends.aclose()
    seconds = time.perf_counter() - started
    unavailable = fell_back_on_infra(outcome) if drafter == "llm" else None
    if unavailable:
        return TrialRecord(
            **base, status="infra_error", seconds=seconds, usage=outcome.usage, error=unavailable
        )
    checks = gating_checks(case, outcome)
    record = TrialRecord(
        **base,
        status="passed" if all(c.passed for c in checks) else "failed",
        seconds=seconds,
        escalation=outcome.escalation,
        refusal=outcome.refusal,
        findings=outcome.findings,
        markdown=outcome.markdown,
        public_markdown=outcome.public_markdown,
        tool_calls=outcome.tool_calls,
        usage=outcome.usage,
        stage_seconds=outcome.stage_seconds,
        checks=checks,
        graded=graded_scores(case, outcome, truth, seconds),
    )
    if judge is not None:
        record.judge = await judge.judge(
            case.request.ticket.full_text(), _expectations(case), outcome
        )
    return record


def _units(cases: list[EvalCase], trials: int) -> list[tuple[EvalCase, int]]:
    return [(case, trial) for case in cases for trial in range(1, trials + 1)]


async def run_eval(
    cases: list[EvalCase],
    settings: Settings,
    config: RunConfig,
    *,
    runs_dir: Path,
    resume: Path | None = None,
    baseline: Path | None = None,
    judge: Judge | None = None,
    progress: Progress | None = None,
    escalate_fn: Escalate = escalate,
) -> RunResult:
    """Run ``cases`` (or resume the run in ``resume``) and write its records and report.

    Args:
        cases: The cases to run (ignored when resuming: the run's own cases are used).
        settings: Where worlds and indexes live (``settings.data_dir``), and the keys.
        config: Drafter, trials, concurrency, budget and judge (a resumed run keeps its
            drafter, trials and judge).
        runs_dir: Where new runs are written.
        resume: A run folder to finish: infrastructure errors and missing trials re-run.
        baseline: A run folder to compare with; the report gets a delta per case.
        judge: The LLM judge, when ``config.judge`` is set.
        progress: Callbacks for a progress display.
        escalate_fn: The pipeline (tests replace it).

    Raises:
        ConfigError: The Claude drafter or the judge was asked for without a key.
    """
    before = load_baseline(baseline) if baseline is not None else None
    progress = progress or Progress()
    started = time.perf_counter()
    kept: dict[tuple[str, int], TrialRecord] = {}
    previous_meta = load_meta(resume) if resume is not None else None
    run_config = previous_meta.config if previous_meta is not None else config
    if run_config.drafter == "llm" and settings.anthropic_api_key is None:
        raise ConfigError(
            "the Claude drafter needs ANTHROPIC_API_KEY",
            "set ANTHROPIC_API_KEY, or run the eval with --drafter offline",
        )
    if run_config.judge and judge is None:
        judge = Judge.from_settings(settings)
    if resume is not None and previous_meta is not None:
        meta = previous_meta
        run_dir = resume
        meta.resumes += 1
        meta.config.concurrency = config.concurrency
        meta.config.max_cost = config.max_cost
        meta.stopped_by_budget = False
        cases = [load_case(Path(ref.path)) for ref in meta.cases]
        previous = latest_records(load_records(run_dir))
        kept = {k: r for k, r in previous.items() if r.status != "infra_error"}
        wall_before = meta.wall_seconds
    else:
        run_dir = new_run_dir(runs_dir)
        meta = RunMeta(
            run_id=run_dir.name,
            started_at=datetime.now(UTC),
            config=config,
            cases=[CaseRef(id=c.id, path=str(c.path)) for c in cases],
        )
        wall_before = 0.0
    write_meta(run_dir, meta)

    worlds, world_seconds = await anyio.to_thread.run_sync(
        build_worlds, cases, settings, progress.world
    )
    meta.worlds = list({w.digest: w for w in worlds.values()}.values())
    meta.world_seconds = world_seconds

    todo = [(c, t) for c, t in _units(cases, run_config.trials) if (c.id, t) not in kept]
    if progress.planned:
        progress.planned(len(todo))
    spend = _Spend(usd=sum(r.cost_usd for r in kept.values()))
    limiter = anyio.CapacityLimiter(run_config.concurrency)
    fresh: dict[tuple[str, int], TrialRecord] = {}
    not_run: list[tuple[str, int]] = []

    async def one(case: EvalCase, trial: int) -> None:
        async with limiter:
            if run_config.max_cost is not None and spend.usd >= run_config.max_cost:
                spend.stopped = True
                not_run.append((case.id, trial))
                return
            record = await run_trial(
                case,
                trial,
                settings=settings,
                drafter=run_config.drafter,
                world=worlds.get(case.world),
                judge=judge if run_config.judge else None,
                escalate_fn=escalate_fn,
            )
            spend.usd += record.cost_usd
            append_record(run_dir, record)
            fresh[(case.id, trial)] = record
            if progress.trial:
                progress.trial(record)

    async with anyio.create_task_group() as group:
        for case, trial in todo:
            group.start_soon(one, case, trial)

    merged = {**kept, **fresh}
    order = {c.id: i for i, c in enumerate(cases)}
    records = sorted(merged.values(), key=lambda r: (order.get(r.case_id, 0), r.trial))
    meta.finished_at = datetime.now(UTC)
    meta.wall_seconds = wall_before + (time.perf_counter() - started)
    meta.spent_usd = spend.usd
    meta.stopped_by_budget = spend.stopped
    write_meta(run_dir, meta)
    not_run.sort(key=lambda u: (order.get(u[0], 0), u[1]))
    result = RunResult(run_dir=run_dir, meta=meta, records=records, not_run=not_run)
    write_report(result, baseline=before)
    return result
