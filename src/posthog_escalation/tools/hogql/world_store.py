"""Worlds on disk: immutable folders, file locks, and read-only attachment to the engine.

A world lives in ``<home>/worlds/<database>/`` (the database name carries the spec's
digest, so the folder is content-addressed)::

    manifest.json       written last: the world is complete when it is there
    ground_truth.json   the generator's account of every incident
    spec.json           the normalized spec
    store/...           ClickHouse MergeTree parts of the five tables

Once its manifest is written a folder never changes. Every process attaches the tables
read-only (``table_readonly``: no merges, no writes) from the folder itself, through a
ClickHouse local disk pointing at it, into its own private in-memory server; nothing is
copied and no two processes share a chDB folder.

``<home>/worlds/.<database>.lock`` coordinates processes with ``flock``: a process holds
it shared while the world is attached, and exclusively while building, so two first users
do not both build, and a world in use is never replaced or deleted.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ...errors import ConfigError
from .engine import ChEngine
from .models import WorldTotals
from .schema import quote_identifier, sql_string

FORMAT = 1
"""Version of the folder layout; a manifest of another version is rebuilt."""
MANIFEST_FILE = "manifest.json"
GROUND_TRUTH_FILE = "ground_truth.json"
SPEC_FILE = "spec.json"


class TableManifest(BaseModel):
    """One stored table: its name, the UUID its data folder is named after, its DDL."""

    name: str
    uuid: str
    definition: str


class WorldManifest(BaseModel):
    """What a complete world folder holds."""

    format: int
    database: str
    name: str
    digest: str
    totals: WorldTotals
    tables: list[TableManifest]
    build_seconds: float = 0.0


def worlds_root(home: Path) -> Path:
    """The folder holding every world of a home."""
    return Path(home) / "worlds"


def world_folder(home: Path, database: str) -> Path:
    """Where a world's files are."""
    return worlds_root(home) / database


def read_manifest(folder: Path) -> WorldManifest | None:
    """The folder's manifest, or None when the world is absent, unfinished or outdated."""
    try:
        manifest = WorldManifest.model_validate_json(
            (folder / MANIFEST_FILE).read_text(encoding="utf-8")
        )
    except (OSError, ValidationError, ValueError):
        return None
    return manifest if manifest.format == FORMAT else None


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, flushed, then renamed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def disk_sql(folder: Path) -> str:
    """A ClickHouse local disk rooted at a world folder (one name per folder)."""
    root = str(Path(folder).resolve()) + "/"
    name = "world_" + hashlib.sha256(root.encode()).hexdigest()[:16]
    return f"disk(name = {sql_string(name)}, type = 'local', path = {sql_string(root)})"


class WorldLock:
    """The ``flock`` of one world folder, held by this process through one descriptor.

    ``flock`` locks belong to an open file, so this process keeps exactly one per world
    and changes its mode (shared, exclusive, none) on that file.
    """

    def __init__(self, home: Path, database: str) -> None:
        root = worlds_root(home)
        self.path = root / f".{database}.lock"
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise unwritable_error(root, exc) from None
        self.mode: str | None = None

    def shared(self, *, wait: bool = True) -> bool:
        """Hold the lock shared (readers); False when ``wait`` is off and it is taken."""
        return self._take(fcntl.LOCK_SH, "shared", wait)

    def exclusive(self, *, wait: bool = True) -> bool:
        """Hold the lock exclusively (a builder); False when ``wait`` is off and it is held."""
        return self._take(fcntl.LOCK_EX, "exclusive", wait)

    def _take(self, operation: int, mode: str, wait: bool) -> bool:
        try:
            fcntl.flock(self._fd, operation | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        self.mode = mode
        return True

    def release(self) -> None:
        """Let go of the lock (the file stays)."""
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.mode = None


@dataclass
class _Entry:
    lock: WorldLock
    folder: Path | None = None
    manifest: WorldManifest | None = None
    guard: threading.Lock = field(default_factory=threading.Lock)


class Attachments:
    """The worlds this process has attached, by database, with their locks.

    A database name is attached from at most one folder at a time; asking for the same
    world from another home reuses the attachment when the content digest is the same.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[Path, str], _Entry] = {}
        self._attached: dict[str, tuple[Path, WorldManifest]] = {}
        self._lock = threading.Lock()

    def entry(self, home: Path, database: str) -> _Entry:
        """The lock and state of one world folder (created on first use)."""
        key = (Path(home).resolve(), database)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = _Entry(lock=WorldLock(key[0], database))
            return self._entries[key]

    def attached(self, database: str) -> tuple[Path, WorldManifest] | None:
        """The folder and manifest a database is attached from, if it is."""
        with self._lock:
            return self._attached.get(database)

    def attach(self, engine: ChEngine, folder: Path, manifest: WorldManifest) -> None:
        """Attach a complete world's tables read-only under its database name."""
        db = quote_identifier(manifest.database)
        disk = disk_sql(folder)
        engine.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
        for table in manifest.tables:
            engine.execute(
                f"ATTACH TABLE IF NOT EXISTS {db}.{quote_identifier(table.name)} "
                f"UUID {sql_string(table.uuid)} {table.definition} "
                f"SETTINGS disk = {disk}, table_readonly = 1"
            )
        with self._lock:
            self._attached[manifest.database] = (Path(folder), manifest)

    def detach(self, engine: ChEngine, database: str) -> None:
        """Detach a world's tables (never DROP: that would delete the folder's data)."""
        with self._lock:
            known = self._attached.pop(database, None)
        if known is None:
            return
        db = quote_identifier(database)
        for table in known[1].tables:
            engine.execute(f"DETACH TABLE IF EXISTS {db}.{quote_identifier(table.name)} SYNC")
        engine.execute(f"DROP DATABASE IF EXISTS {db} SYNC")


attachments = Attachments()
"""This process's attached worlds."""


def remove_world(folder: Path) -> None:
    """Delete a world folder's contents (the caller holds its lock exclusively)."""
    if folder.exists():
        shutil.rmtree(folder)


def unwritable_error(root: Path, exc: OSError) -> ConfigError:
    """The error for a worlds folder this process cannot write."""
    return ConfigError(
        f"cannot write worlds under {root}: {exc.strerror or exc}",
        "check the data folder's permissions, or choose another with --data-dir",
    )


def in_use_error(database: str) -> ConfigError:
    """The error for replacing a world another process has open."""
    return ConfigError(
        f"world {database} is open in another process (a running server or command)",
        "stop that process first, or build under another data folder (--data-dir)",
    )


def manifest_json(manifest: WorldManifest) -> str:
    """The manifest as stored: indented, sorted keys, newline-terminated."""
    return json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


_pinned: Path | None = None


def pin_home(home: Path) -> None:
    """Make ``home`` the world home for whatever data folder callers name.

    The test suite pins one temporary folder so that every test shares its worlds.
    """
    global _pinned
    _pinned = Path(home).resolve()


def pinned_home() -> Path | None:
    """The pinned world home, if any."""
    return _pinned


def world_home(data_dir: Path) -> Path:
    """Where worlds live for this data folder: the pinned home if there is one."""
    return _pinned or Path(data_dir).resolve()
