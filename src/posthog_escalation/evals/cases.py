"""Eval cases: a ticket, the world it happens in, and what a good escalation must say.

A case file (``evals/cases/*.yaml``) is checked in two steps, so a mistake is reported as
one line naming the file and the field: first against the JSON Schema of
:class:`CaseFile` (the same schema :func:`write_case_schema` writes to
``evals/case.schema.json``), then semantically (a route the playbook knows, files that
exist, ground truth named when a figure asks for it, ids unique across the cases run).
Paths inside a case are relative to the case file.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..loading import describe_validation_error, read_document
from ..models import EscalationRequest, Severity, Ticket, TriageReport
from ..playbook import Playbook, default_playbook
from ..tools.docs import shipped_docs_dir
from ..tools.hogql import load_world_spec
from ..tools.issues import DEFAULT_SNAPSHOT

CASE_ID = r"^[a-z0-9][a-z0-9-]*$"
ISSUE_KEY = r"^[\w.-]+/[\w.-]+#[1-9]\d*$"
SCHEMA_HINT = "see evals/README.md for the case format"

FigureName = Literal[
    "affected_orgs", "affected_persons", "affected_sessions", "events", "ingestion_warnings"
]
"""Numbers a case may check against a world's ground truth."""

DEFAULT_TOLERANCE = 0.1
"""Relative tolerance of a figure against its expected value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FigureSpec(_Strict):
    """An expected number: the world's ground truth, or a fixed value, with a tolerance."""

    value: Literal["truth"] | float = Field(
        "truth", description="'truth' (the ground truth of the case's truth incident) or a number"
    )
    incident: str | None = Field(
        None, description="The incident whose ground truth to use (default: truth_incident)"
    )
    tolerance: float = Field(
        DEFAULT_TOLERANCE, ge=0, description="Allowed relative difference (0.1 = 10%)"
    )


class Expect(_Strict):
    """What a good escalation of the case says.

    Attributes:
        known_issues: ``owner/name#number`` keys that must be listed as matching; ``[]``
            means no issue may be claimed; absent means only invented issues are checked.
        figures: Numbers to compare with ground truth (graded, not gating).
    """

    severity: Severity
    route: str = Field(min_length=1, description="A playbook route key")
    affected_repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    escalate: bool = Field(
        description="false when the right answer is to resolve it in support (docs, config)"
    )
    known_issues: list[str] | None = Field(
        None, description="Issues that must be listed; [] means none may be claimed"
    )
    must_mention: list[str] = Field(
        default_factory=list, description="Facts the internal escalation must state"
    )
    must_not_contain: list[str] = Field(
        default_factory=list,
        description="Secrets or personal data that must not appear in the public flavour",
    )
    truth_incident: str | None = Field(
        None, description="The world incident whose ground truth 'truth' figures use"
    )
    trend: Literal["growing", "shrinking", "steady"] | None = Field(
        None, description="The trend word Breadth must use for the daily counts (gating)"
    )
    figures: dict[FigureName, Literal["truth"] | float | FigureSpec] = Field(
        default_factory=dict,
        description="Numbers the escalation must state, checked against ground truth",
    )

    def figure_specs(self) -> dict[str, FigureSpec]:
        """Every expected figure as a :class:`FigureSpec`."""
        out: dict[str, FigureSpec] = {}
        for name, spec in self.figures.items():
            if isinstance(spec, FigureSpec):
                out[name] = spec
            else:
                out[name] = FigureSpec(value=spec)
        return out


class CaseFile(_Strict):
    """One eval case as written in ``evals/cases/*.yaml``."""

    id: str = Field(pattern=CASE_ID, description="Unique case id (lowercase, dashes)")
    description: str = ""
    world: str = Field(min_length=1, description="World spec path, relative to the case file")
    docs: str = Field("default", description="'default' (the shipped docs) or a docs folder path")
    issues: str | None = Field(
        None, description="Issue snapshot (JSONL) path; the packaged snapshot when omitted"
    )
    ticket: Ticket
    triage: TriageReport | None = None
    expect: Expect


class EvalCase(BaseModel):
    """A loaded case with its paths resolved."""

    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    path: Path
    world: Path
    docs: Path
    issues: Path
    request: EscalationRequest
    expect: Expect

    @property
    def name(self) -> str:
        """The case file's name, for messages."""
        return self.path.name


def case_schema() -> dict[str, Any]:
    """The JSON Schema every case file must satisfy."""
    schema = CaseFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "posthog-escalation eval case"
    return schema


def write_case_schema(path: Path) -> Path:
    """Write :func:`case_schema` as JSON to ``path`` (``evals/case.schema.json``)."""
    path.write_text(json.dumps(case_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _jsonable(value: Any) -> Any:
    """YAML values as JSON would carry them (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_VALIDATOR: jsonschema.protocols.Validator | None = None


def _validator() -> jsonschema.protocols.Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        schema = case_schema()
        cls = jsonschema.validators.validator_for(schema)
        _VALIDATOR = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return _VALIDATOR


def _schema_problem(data: Any) -> str | None:
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message
    if len(message) > 160:
        message = message[:157] + "..."
    return f"{where}: {message}"


def _resolve(base: Path, relative: str, what: str, source: str, *, folder: bool = False) -> Path:
    path = (base / relative).resolve()
    ok = path.is_dir() if folder else path.is_file()
    if not ok:
        kind = "folder" if folder else "file"
        raise InputError(
            f"{source}: {what} '{relative}' is not a {kind} ({path})",
            "fix the path; it is relative to the case file",
        )
    return path


def _check_semantics(case: CaseFile, source: str, playbook: Playbook, world: Path) -> None:
    expect = case.expect
    if expect.route not in playbook.routes:
        raise InputError(
            f"{source}: expect.route '{expect.route}' is not a playbook route",
            f"use one of: {', '.join(sorted(playbook.routes))}",
        )
    for key in expect.known_issues or []:
        if not re.match(ISSUE_KEY, key):
            raise InputError(
                f"{source}: expect.known_issues entry '{key}' is not owner/name#number",
                "write issues as e.g. PostHog/posthog-js#2871",
            )
    specs = expect.figure_specs()
    wanted = {s.incident or expect.truth_incident for s in specs.values() if s.value == "truth"}
    if not specs and expect.truth_incident is None:
        return
    incidents = {i.id for i in load_world_spec(world).incidents}
    if None in wanted:
        raise InputError(
            f"{source}: expect.figures uses 'truth' but no incident is named",
            "set expect.truth_incident to the world incident the ground truth comes from",
        )
    named = {i for i in wanted if i} | ({expect.truth_incident} if expect.truth_incident else set())
    for incident in sorted(named):
        if incident not in incidents:
            raise InputError(
                f"{source}: incident '{incident}' is not in world {world.name}",
                f"use one of: {', '.join(sorted(incidents)) or 'none (the world has none)'}",
            )


def parse_case(data: Any, *, path: Path, playbook: Playbook | None = None) -> EvalCase:
    """Validate a parsed case document and resolve its paths.

    Raises:
        InputError: The document breaks the schema or names something that does not exist.
    """
    source = str(path)
    if not isinstance(data, dict):
        raise InputError(f"{source}: a case must be a mapping", SCHEMA_HINT)
    problem = _schema_problem(_jsonable(data))
    if problem:
        raise InputError(f"{source}: {problem}", SCHEMA_HINT)
    try:
        case = CaseFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {describe_validation_error(exc)}", SCHEMA_HINT) from None
    base = path.resolve().parent
    world = _resolve(base, case.world, "world", source)
    docs = (
        shipped_docs_dir()
        if case.docs == "default"
        else _resolve(base, case.docs, "docs", source, folder=True)
    )
    issues = _resolve(base, case.issues, "issues", source) if case.issues else DEFAULT_SNAPSHOT
    _check_semantics(case, source, playbook or default_playbook(), world)
    return EvalCase(
        id=case.id,
        description=case.description,
        path=path.resolve(),
        world=world,
        docs=Path(docs),
        issues=Path(issues),
        request=EscalationRequest(ticket=case.ticket, triage=case.triage),
        expect=case.expect,
    )


def load_case(path: Path, *, playbook: Playbook | None = None) -> EvalCase:
    """Read and validate one case file."""
    return parse_case(read_document(path), path=path, playbook=playbook)


def case_files(targets: list[Path]) -> list[Path]:
    """The case files named by ``targets`` (files, or folders of ``*.yaml``/``*.yml``)."""
    files: list[Path] = []
    for target in targets:
        if target.is_dir():
            files += sorted(
                p for p in target.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
            )
        elif target.is_file():
            files.append(target)
        else:
            raise InputError(
                f"{target}: no such case file or folder",
                "pass case files or a folder of them (default: evals/cases)",
            )
    if not files:
        raise InputError(
            f"no case files in {', '.join(str(t) for t in targets)}",
            "add evals/cases/*.yaml (see evals/README.md)",
        )
    return list(dict.fromkeys(files))


def load_cases(targets: list[Path], *, playbook: Playbook | None = None) -> list[EvalCase]:
    """Load every case under ``targets``; case ids must be unique.

    Raises:
        InputError: A case is invalid, or two cases share an id.
    """
    book = playbook or default_playbook()
    cases = [load_case(p, playbook=book) for p in case_files(targets)]
    seen: dict[str, Path] = {}
    for case in cases:
        if case.id in seen:
            raise InputError(
                f"{case.path}: case id '{case.id}' is also used by {seen[case.id]}",
                "give every case a unique id",
            )
        seen[case.id] = case.path
    return cases
