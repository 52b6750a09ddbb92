"""What an eval run writes: one JSONL record per case-trial and the run's metadata.

A run lives in ``runs/<timestamp>/``: ``records.jsonl`` (appended as each trial
finishes, so an interrupted run can be resumed), ``run.json`` (configuration, cases,
world builds, timings) and ``report.md``. A resumed run appends to the same file; the
last record of a case-trial wins.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ..errors import InputError, NotFoundError
from ..lint import Finding
from ..models import Escalation, EscalationRequest, Refusal
from ..outcome import ToolCall, Usage
from .judge import JudgeResult
from .scoring import Check, Graded

RECORDS_FILE = "records.jsonl"
META_FILE = "run.json"
REPORT_FILE = "report.md"

TrialStatus = Literal["passed", "failed", "infra_error"]
DrafterChoice = Literal["offline", "llm"]


class RunConfig(BaseModel):
    """How a run was asked to run."""

    drafter: DrafterChoice = "offline"
    trials: int = Field(1, ge=1, le=100)
    concurrency: int = Field(2, ge=1, le=64)
    max_cost: float | None = Field(None, ge=0, description="Stop starting trials at this USD")
    judge: bool = False


class WorldBuild(BaseModel):
    """One distinct world the run needed: built, or reused from the cache."""

    spec: str
    name: str
    database: str
    digest: str
    events: int
    seconds: float
    reused: bool


class CaseRef(BaseModel):
    """A case of the run: its id and file."""

    id: str
    path: str


class RunMeta(BaseModel):
    """A run's ``run.json``."""

    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    config: RunConfig
    cases: list[CaseRef] = Field(default_factory=list)
    worlds: list[WorldBuild] = Field(default_factory=list)
    world_seconds: float = 0.0
    wall_seconds: float = 0.0
    spent_usd: float = 0.0
    stopped_by_budget: bool = False
    resumes: int = Field(0, description="How many times the run was resumed")

    @property
    def case_ids(self) -> list[str]:
        """Case ids in run order."""
        return [c.id for c in self.cases]


class TrialRecord(BaseModel):
    """Everything one case-trial produced: inputs, tool calls, usage, outputs, scores.

    Attributes:
        status: ``passed`` (every gating check held), ``failed`` (one did not, or the
            run crashed), or ``infra_error`` (an API was down or rate limits ran out;
            never counted as a fail, and re-run by ``--resume``).
    """

    case_id: str
    trial: int = Field(ge=1)
    status: TrialStatus
    started_at: datetime
    seconds: float
    drafter: DrafterChoice
    world: str
    world_digest: str = ""
    docs: str
    issues: str
    request: EscalationRequest
    escalation: Escalation | None = None
    refusal: Refusal | None = None
    findings: list[Finding] = Field(default_factory=list)
    markdown: str = ""
    public_markdown: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    graded: Graded = Field(default_factory=Graded)
    judge: JudgeResult | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        """True when every gating check held."""
        return self.status == "passed"

    @property
    def failed_checks(self) -> list[Check]:
        """The gating checks that did not hold."""
        return [c for c in self.checks if not c.passed]

    @property
    def cost_usd(self) -> float:
        """Model cost of the trial, the judge's included."""
        return self.usage.cost_usd + (self.judge.cost_usd if self.judge else 0.0)


_write_lock = threading.Lock()


@dataclass
class RunResult:
    """A finished (or budget-stopped) run.

    Attributes:
        run_dir: Where the records, ``run.json`` and ``report.md`` are.
        meta: The run's metadata.
        records: The latest record of every case-trial that ran.
        not_run: Case-trials that did not run (the budget was reached).
    """

    run_dir: Path
    meta: RunMeta
    records: list[TrialRecord]
    not_run: list[tuple[str, int]] = field(default_factory=list)

    @property
    def gating_failed(self) -> bool:
        """True when any trial failed a gating check."""
        return any(r.status == "failed" for r in self.records)


def append_record(run_dir: Path, record: TrialRecord) -> None:
    """Append ``record`` to the run's JSONL file (flushed, one line)."""
    line = record.model_dump_json() + "\n"
    with _write_lock, (run_dir / RECORDS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()


def load_records(run_dir: Path) -> list[TrialRecord]:
    """Every record of a run, in file order (a torn last line is skipped).

    Raises:
        InputError: A record line other than the last is not a trial record.
    """
    path = run_dir / RECORDS_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(TrialRecord.model_validate_json(line))
        except ValidationError:
            if number == len(lines):
                break  # the run stopped mid-write; the trial counts as unfinished
            raise InputError(
                f"{path}: line {number} is not a trial record",
                "restore the file or start a new run",
            ) from None
    return records


def latest_records(records: list[TrialRecord]) -> dict[tuple[str, int], TrialRecord]:
    """The last record of each (case, trial)."""
    latest: dict[tuple[str, int], TrialRecord] = {}
    for record in records:
        latest[(record.case_id, record.trial)] = record
    return latest


def write_meta(run_dir: Path, meta: RunMeta) -> None:
    """Write ``run.json`` atomically."""
    path = run_dir / META_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(meta.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_meta(run_dir: Path) -> RunMeta:
    """Read a run's ``run.json``.

    Raises:
        NotFoundError: The folder is not a run.
        InputError: ``run.json`` is not valid.
    """
    path = run_dir / META_FILE
    if not path.is_file():
        raise NotFoundError(
            f"{run_dir}: not an eval run (no {META_FILE})",
            "pass a folder under runs/ written by `posthog-escalation eval`",
        )
    try:
        return RunMeta.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError:
        raise InputError(f"{path}: not a valid run file", "start a new run") from None


def resolve_run(name: str | Path, runs_dir: Path) -> Path:
    """A run folder from a path or a run id under ``runs_dir``.

    Raises:
        NotFoundError: Neither exists.
    """
    candidates = [Path(name), runs_dir / str(name)]
    for candidate in candidates:
        if (candidate / META_FILE).is_file():
            return candidate
    raise NotFoundError(
        f"no eval run '{name}' (looked in {', '.join(str(c) for c in candidates)})",
        f"pass a run folder or the id of one under {runs_dir}",
    )


def new_run_dir(runs_dir: Path, now: datetime | None = None) -> Path:
    """A fresh ``runs_dir/<YYYYmmdd-HHMMSS>`` folder (suffixed when taken)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    runs_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        name = stamp if attempt == 1 else f"{stamp}-{attempt}"
        folder = runs_dir / name
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise InputError(f"{runs_dir}: too many runs named {stamp}", "clean up the runs folder")
