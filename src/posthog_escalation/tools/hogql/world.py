"""Building seeded worlds, opening them in this process, and their ground truth.

A world is built once into an immutable folder, ``<home>/worlds/<database>/`` (the
database name is the spec's name plus a digest prefix, ``w_demo_3f2a...``), and every
process that uses it attaches that folder read-only into its own in-memory engine (see
:mod:`.world_store`). Building the same spec again reuses the folder unless ``force`` is
set; a changed spec gets a new folder and the old ones of that name are deleted once no
process has them open.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from ...errors import BackendError, InputError, NotFoundError
from .engine import ChEngine, get_engine
from .generator import WorldSql, names_of
from .models import GroundTruth, IncidentTruth, WorldInfo, WorldTotals
from .schema import WORLD_TABLES, quote_identifier, sql_string, table_definitions
from .spec import WorldSpec, load_world_spec
from .world_store import (
    FORMAT,
    GROUND_TRUTH_FILE,
    MANIFEST_FILE,
    SPEC_FILE,
    TableManifest,
    WorldLock,
    WorldManifest,
    attachments,
    disk_sql,
    in_use_error,
    manifest_json,
    read_manifest,
    remove_world,
    unwritable_error,
    world_folder,
    worlds_root,
    write_atomically,
)

Progress = Callable[[str, float], None]
"""Called with a step label and the fraction of the build done (0..1)."""


def packaged_world(name: str = "demo") -> Path:
    """Path of a world spec shipped inside the package (``data/worlds/<name>.yaml``)."""
    path = Path(str(resources.files("posthog_escalation") / "data" / "worlds" / f"{name}.yaml"))
    if not path.is_file():
        raise NotFoundError(f"no packaged world named {name!r}", "use 'demo' or pass a spec path")
    return path


def database_name(spec: WorldSpec) -> str:
    """The database a spec's world is stored in: its name plus a digest prefix."""
    return f"w_{spec.name.replace('-', '_')}_{spec.digest()[:12]}"


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


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
    """Open a world in this process, building its folder under ``home`` first if needed.

    Safe to call from several processes at once: one builds while the others wait, then
    all attach the same folder read-only.

    Args:
        spec: A spec, or the path of a spec file.
        home: The world home (worlds live in ``home/worlds/``).
        database: Store under this database name instead of the spec's default.
        force: Rebuild even if the world is already there.
        progress: Called with a step label and the fraction done.

    Raises:
        InputError: The spec file is invalid.
        ConfigError: ``force`` was given while another process has the world open.
    """
    if not isinstance(spec, WorldSpec):
        spec = load_world_spec(spec)
    home = Path(home).resolve()
    database = database or database_name(spec)
    report = progress or (lambda _label, _done: None)
    engine = get_engine()
    entry = attachments.entry(home, database)
    folder = world_folder(home, database)
    with entry.guard:
        if not force:
            manifest = _open_existing(entry.lock, folder, spec, report)
            if manifest is not None:
                _attach(engine, folder, manifest)
                report("reused", 1.0)
                return _info(spec, manifest, home, folder, reused=True)
        manifest = _build_locked(engine, entry.lock, folder, spec, database, force, report)
        if manifest is None:  # another process built it while this one waited
            manifest = _open_existing(entry.lock, folder, spec, report)
            if manifest is None:
                raise BackendError(
                    f"world {database} vanished while it was being opened",
                    "retry; another process may be rebuilding it with --force",
                )
            _attach(engine, folder, manifest)
            report("reused", 1.0)
            return _info(spec, manifest, home, folder, reused=True)
        _attach(engine, folder, manifest)
    if database == database_name(spec):
        _delete_stale(engine, home, spec, database)
    report("done", 1.0)
    return _info(spec, manifest, home, folder, reused=False)


def _open_existing(
    lock: WorldLock, folder: Path, spec: WorldSpec, report: Progress
) -> WorldManifest | None:
    """Hold the world's lock shared and return its manifest, or None (lock released) when
    the folder holds no complete world of this spec."""
    if lock.mode != "shared":
        if lock.mode == "exclusive":
            lock.release()
        if not lock.shared(wait=False):
            report("waiting for another process to build", 0.0)
            lock.shared()
    manifest = read_manifest(folder)
    if manifest is None or manifest.digest != spec.digest():
        lock.release()
        return None
    return manifest


def _attach(engine: ChEngine, folder: Path, manifest: WorldManifest) -> None:
    known = attachments.attached(manifest.database)
    if known is not None:
        if known[1].digest == manifest.digest and known[0].exists():
            return
        attachments.detach(engine, manifest.database)
    attachments.attach(engine, folder, manifest)


def _build_locked(
    engine: ChEngine,
    lock: WorldLock,
    folder: Path,
    spec: WorldSpec,
    database: str,
    force: bool,
    report: Progress,
) -> WorldManifest | None:
    """Build the world under the exclusive lock; None when another process built it first."""
    if force:
        had_shared = lock.mode == "shared"
        if not lock.exclusive(wait=False):
            if had_shared:  # a refused upgrade may have dropped the shared lock
                lock.shared()
            raise in_use_error(database)
    else:
        if lock.mode is not None:
            lock.release()
        if not lock.exclusive(wait=False):
            report("waiting for another process to build", 0.0)
            lock.exclusive()
        existing = read_manifest(folder)
        if existing is not None and existing.digest == spec.digest():
            lock.release()
            return None
    known = attachments.attached(database)
    if known is not None and known[0] == folder:
        attachments.detach(engine, database)
    try:
        manifest = _generate(engine, folder, spec, database, report)
    except BaseException as exc:
        remove_world(folder)
        lock.release()
        if isinstance(exc, OSError):
            raise unwritable_error(folder.parent, exc) from None
        raise
    lock.release()
    lock.shared()
    if read_manifest(folder) is None:
        lock.release()
        raise BackendError(
            f"world {database} was replaced while it was being opened",
            "retry; another process rebuilt it with --force",
        )
    return manifest


def _generate(
    engine: ChEngine, folder: Path, spec: WorldSpec, database: str, report: Progress
) -> WorldManifest:
    """Write a world's tables, ground truth, spec and (last) manifest into ``folder``."""
    started = time.perf_counter()
    remove_world(folder)
    folder.mkdir(parents=True)
    build_db = f"_build_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    bdb = quote_identifier(build_db)
    disk = disk_sql(folder)
    definitions = table_definitions()
    uuids = {name: str(uuid.uuid4()) for name in WORLD_TABLES}
    engine.execute(f"CREATE DATABASE {bdb}")
    try:
        for name in WORLD_TABLES:
            engine.execute(
                f"CREATE TABLE {bdb}.{quote_identifier(name)} UUID {sql_string(uuids[name])} "
                f"{definitions[name]} SETTINGS disk = {disk}"
            )
        sql = WorldSql(spec, build_db)
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
        totals = _totals(engine, build_db)
        truth = _ground_truth(engine, sql, spec, totals)
        engine.execute(sql.drop_staging())
        _seal(engine, build_db, folder, uuids)
    finally:
        engine.execute(f"DROP DATABASE IF EXISTS {bdb} SYNC")
    (folder / GROUND_TRUTH_FILE).write_text(
        truth.model_dump_json(indent=2) + "\n", encoding="utf-8"
    )
    (folder / SPEC_FILE).write_text(
        json.dumps(spec.model_dump(mode="json", by_alias=True), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    manifest = WorldManifest(
        format=FORMAT,
        database=database,
        name=spec.name,
        digest=spec.digest(),
        totals=totals,
        tables=[
            TableManifest(name=name, uuid=uuids[name], definition=definitions[name])
            for name in WORLD_TABLES
        ],
        build_seconds=round(time.perf_counter() - started, 3),
    )
    write_atomically(folder / MANIFEST_FILE, manifest_json(manifest))
    return manifest


def _seal(engine: ChEngine, build_db: str, folder: Path, uuids: dict[str, str]) -> None:
    """Detach the built tables and keep only their active parts on disk."""
    bdb = quote_identifier(build_db)
    active: dict[str, set[str]] = {name: set() for name in uuids}
    for name in uuids:
        engine.execute(f"SYSTEM STOP MERGES {bdb}.{quote_identifier(name)}")
    for table, part in engine.rows(
        f"SELECT table, name FROM system.parts WHERE database = {sql_string(build_db)} AND active"
    ):
        active[table].add(part)
    for name, table_uuid in uuids.items():
        engine.execute(f"DETACH TABLE {bdb}.{quote_identifier(name)} SYNC")
        data = folder / "store" / table_uuid[:3] / table_uuid
        keep = active[name] | {"detached", "format_version.txt"}
        (data / "detached").mkdir(exist_ok=True)
        for item in data.iterdir():
            if item.name in keep:
                continue
            if item.is_dir():
                remove_world(item)
            else:
                item.unlink()


def _delete_stale(engine: ChEngine, home: Path, spec: WorldSpec, database: str) -> None:
    """Delete folders of older versions of this spec that no process has open."""
    root = worlds_root(home)
    pattern = re.compile(rf"^w_{re.escape(spec.name.replace('-', '_'))}_[0-9a-f]{{12}}$")
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name == database or not pattern.match(folder.name):
            continue
        entry = attachments.entry(home, folder.name)
        with entry.guard:
            known = attachments.attached(folder.name)
            if known is not None and known[0] == folder:
                attachments.detach(engine, folder.name)
            if entry.lock.mode is not None:
                entry.lock.release()
            if entry.lock.exclusive(wait=False):
                remove_world(folder)
                entry.lock.release()


def _info(
    spec: WorldSpec, manifest: WorldManifest, home: Path, folder: Path, *, reused: bool
) -> WorldInfo:
    return WorldInfo(
        name=spec.name,
        database=manifest.database,
        home=home,
        digest=spec.digest(),
        now=spec.now,
        start=spec.start,
        totals=manifest.totals,
        build_seconds=0.0 if reused else manifest.build_seconds,
        reused=reused,
        ground_truth_path=folder / GROUND_TRUTH_FILE,
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
