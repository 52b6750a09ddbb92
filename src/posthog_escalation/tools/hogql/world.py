"""Building seeded worlds into the embedded engine, reopening them, and their ground truth.

A world lives in the process's chDB folder (``<home>/chdb``) as one database named after
the spec and its digest (``w_demo_3f2a...``); its ground truth and normalized spec sit in
``<home>/worlds/<database>/``. Building the same spec again reuses the database unless
``force`` is set; a changed spec gets a new database and the old ones of that name are
dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from ...errors import InputError, NotFoundError
from .engine import ChEngine, get_engine
from .generator import WorldSql, names_of
from .models import GroundTruth, IncidentTruth, WorldInfo, WorldTotals
from .schema import create_tables_sql, quote_identifier, sql_string
from .spec import WorldSpec, load_world_spec

Progress = Callable[[str, float], None]
"""Called with a step label and the fraction of the build done (0..1)."""

GROUND_TRUTH_FILE = "ground_truth.json"
SPEC_FILE = "spec.json"


def packaged_world(name: str = "demo") -> Path:
    """Path of a world spec shipped inside the package (``data/worlds/<name>.yaml``)."""
    path = Path(str(resources.files("posthog_escalation") / "data" / "worlds" / f"{name}.yaml"))
    if not path.is_file():
        raise NotFoundError(f"no packaged world named {name!r}", "use 'demo' or pass a spec path")
    return path


def database_name(spec: WorldSpec) -> str:
    """The database a spec's world is stored in: its name plus a digest prefix."""
    return f"w_{spec.name.replace('-', '_')}_{spec.digest()[:12]}"


def world_folder(home: Path, database: str) -> Path:
    """Where a world's ground truth and spec copy are written."""
    return Path(home) / "worlds" / database


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _exists(engine: ChEngine, database: str) -> bool:
    rows = engine.rows(
        "SELECT count() FROM system.tables WHERE database = "
        f"{sql_string(database)} AND name = '_meta'"
    )
    if not rows or not rows[0][0]:
        return False
    done = engine.rows(
        f"SELECT count() FROM {quote_identifier(database)}._meta WHERE key = 'complete'"
    )
    return bool(done and done[0][0])


def _totals(engine: ChEngine, database: str) -> WorldTotals:
    db = quote_identifier(database)
    row = engine.rows(
        f"SELECT (SELECT count() FROM {db}.events), (SELECT count() FROM {db}.persons), "
        f"(SELECT count() FROM {db}.groups), (SELECT count() FROM {db}.sessions), "
        f"(SELECT count() FROM {db}.ingestion_warnings)"
    )[0]
    return WorldTotals(
        events=row[0],
        persons=row[1],
        organizations=row[2],
        sessions=row[3],
        ingestion_warnings=row[4],
    )


def _ground_truth(
    engine: ChEngine, sql: WorldSql, spec: WorldSpec, totals: WorldTotals
) -> GroundTruth:
    incidents: dict[str, IncidentTruth] = {}
    for inc in spec.incidents:
        orgs, persons, events, first, last, sessions = engine.rows(sql.truth_summary(inc))[0]
        keys, names = names_of(orgs, spec)
        incidents[inc.id] = IncidentTruth(
            id=inc.id,
            kind=inc.kind,
            description=inc.description,
            since=inc.since,
            until=inc.until,
            affected_orgs=len(orgs),
            org_keys=sorted(keys),
            org_names=sorted(names),
            affected_persons=persons,
            affected_sessions=sessions,
            events=events,
            first_seen=_parse_time(first) if events else None,
            last_seen=_parse_time(last) if events else None,
            events_by_day={d: n for d, n in engine.rows(sql.truth_by_day(inc))},
            lib_versions=[(lib, v, n) for lib, v, n in engine.rows(sql.truth_by_version(inc))],
        )
    return GroundTruth(
        world=spec.name,
        digest=spec.digest(),
        seed=spec.seed,
        now=spec.now,
        start=spec.start,
        totals=totals,
        incidents=incidents,
    )


def build_world(
    spec: WorldSpec | Path | str,
    *,
    home: Path,
    database: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> WorldInfo:
    """Generate a world into the engine at ``home``, or reuse it when already built.

    Args:
        spec: A spec, or the path of a spec file.
        home: The world home (chDB folder ``home/chdb``; one per process).
        database: Store under this database name instead of the spec's default.
        force: Rebuild even if the world is already there.
        progress: Called with a step label and the fraction done.

    Raises:
        InputError: The spec file is invalid.
        ConfigError: The process already uses another chDB folder.
    """
    if not isinstance(spec, WorldSpec):
        spec = load_world_spec(spec)
    home = Path(home).resolve()
    engine = get_engine(home)
    database = database or database_name(spec)
    report = progress or (lambda _label, _done: None)
    truth_path = world_folder(home, database) / GROUND_TRUTH_FILE
    if not force and _exists(engine, database) and truth_path.is_file():
        report("reused", 1.0)
        return _info(engine, spec, database, home, reused=True, seconds=0.0)

    started = time.perf_counter()
    db = quote_identifier(database)
    if database == database_name(spec):
        prefix = f"w_{spec.name.replace('-', '_')}_"
        stale = engine.rows(
            "SELECT name FROM system.databases WHERE match(name, "
            f"{sql_string('^' + prefix + '[0-9a-f]{12}$')}) AND name != {sql_string(database)}"
        )
        for (name,) in stale:
            engine.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)}")
    engine.execute(f"DROP DATABASE IF EXISTS {db}")
    engine.execute(f"CREATE DATABASE {db}")
    for statement in create_tables_sql(database):
        engine.execute(statement)
    sql = WorldSql(spec, database)
    steps: list[tuple[str, str]] = [
        ("staging", sql.create_staging()),
        ("traffic", sql.base_events()),
        *((f"incident {label}", stmt) for label, stmt in sql.incident_statements()),
        ("events", sql.final_events()),
        ("persons", sql.persons_rows()),
        ("groups", sql.groups_rows()),
        ("sessions", sql.sessions_rows()),
    ]
    weights = {"traffic": 4.0, "events": 4.0, "sessions": 1.0}
    total = sum(weights.get(label, 0.2) for label, _ in steps) + 1.0
    done = 0.0
    for label, statement in steps:
        report(label, done / total)
        engine.execute(statement)
        done += weights.get(label, 0.2)
    report("ground truth", done / total)
    totals = _totals(engine, database)
    truth = _ground_truth(engine, sql, spec, totals)
    engine.execute(sql.drop_staging())
    folder = world_folder(home, database)
    folder.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(truth.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (folder / SPEC_FILE).write_text(
        json.dumps(spec.model_dump(mode="json", by_alias=True), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    engine.execute(
        f"INSERT INTO {db}._meta VALUES ('digest', {sql_string(spec.digest())}), "
        f"('name', {sql_string(spec.name)}), ('complete', '1')"
    )
    seconds = time.perf_counter() - started
    report("done", 1.0)
    return _info(engine, spec, database, home, reused=False, seconds=seconds, totals=totals)


def _info(
    engine: ChEngine,
    spec: WorldSpec,
    database: str,
    home: Path,
    *,
    reused: bool,
    seconds: float,
    totals: WorldTotals | None = None,
) -> WorldInfo:
    return WorldInfo(
        name=spec.name,
        database=database,
        home=home,
        digest=spec.digest(),
        now=spec.now,
        start=spec.start,
        totals=totals or _totals(engine, database),
        build_seconds=seconds,
        reused=reused,
        ground_truth_path=world_folder(home, database) / GROUND_TRUTH_FILE,
    )


def load_ground_truth(source: WorldInfo | Path | str) -> GroundTruth:
    """Read a world's ground truth (from its :class:`WorldInfo` or the file's path).

    Raises:
        NotFoundError: The file does not exist (the world was not built here).
        InputError: The file is not a ground-truth document.
    """
    path = source.ground_truth_path if isinstance(source, WorldInfo) else Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(
            f"{path}: no ground truth here",
            "build the world first: posthog-escalation world build SPEC",
        ) from None
    try:
        return GroundTruth.model_validate_json(text)
    except ValueError as exc:
        raise InputError(
            f"{path}: not a ground-truth file ({exc.__class__.__name__})",
            "rebuild the world with --force",
        ) from None
