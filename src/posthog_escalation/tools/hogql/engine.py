"""The process's private chDB engine: an in-memory ClickHouse, a writer and read-only readers.

chDB embeds one ClickHouse server per process. This module starts it in memory (its own
temporary folder, removed at exit), so no two processes ever share a chDB folder and any
number of processes can work on one data folder at once. Worlds are not stored here: they
are immutable folders that each process attaches read-only (see :mod:`.world_store`).

Queries from users go through :meth:`ChEngine.read`, which takes a reader connection from
a small pool. Each reader was configured with a time limit, result-size limits and then
``readonly=1``, so it cannot write, change settings or use table functions such as
``file()`` or ``url()`` whatever SQL reaches it. A reader is used by one thread at a time
and is discarded after any error (chDB keeps a failed query's partial output in the
connection and would prepend it to the next answer).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import BackendError, ConfigError, QueryError

if TYPE_CHECKING:
    from chdb.session import Session

log = logging.getLogger(__name__)

CONNECTION = ":memory:?custom_local_disks_base_directory=/"
"""Every session of the process opens this: the in-memory server, allowed to read world
folders anywhere through per-world local disks. All sessions must use the same string."""


def _session() -> Session:
    """A new connection to the process's server (chDB is imported on first use: loading it
    costs hundreds of MB and most commands never query)."""
    from chdb.session import Session

    return Session(CONNECTION)


_CODE = re.compile(r"Code:\s*(\d+)\.\s*DB::Exception:\s*")
_TAIL = re.compile(r"\s*\(([A-Z_]+)\)(?:\s*\(version [^)]*\))?\.?\s*$")
_VERSION = re.compile(r"\s*\(version [^)]*\)")


@dataclass(frozen=True)
class EngineLimits:
    """Limits every read-only query runs under."""

    max_execution_seconds: float = 30.0
    max_result_rows: int = 100_000
    max_result_bytes: int = 256 * 1024 * 1024
    max_memory_bytes: int = 4 * 1024 * 1024 * 1024
    readers: int = 4


@dataclass(frozen=True)
class EngineResult:
    """What a read returned: column names and types, rows, and ClickHouse's statistics."""

    meta: list[tuple[str, str]]
    data: list[list[Any]]
    elapsed: float
    rows_read: int


@dataclass(frozen=True)
class ClickHouseFailure:
    """A ClickHouse error split into its code name (``UNKNOWN_TABLE``) and message."""

    code: str
    message: str


def parse_failure(error: BaseException) -> ClickHouseFailure:
    """Split a chDB exception into ClickHouse's error code name and a clean message."""
    text = str(error).strip()
    text = _CODE.sub("", text)
    text = _VERSION.sub("", text)
    code = ""
    match = _TAIL.search(text)
    if match:
        code = match.group(1)
        text = text[: match.start()]
    return ClickHouseFailure(code=code, message=" ".join(text.split()))


def _decode(result: Any) -> EngineResult:
    payload = json.loads(result.bytes() or b"{}")
    meta = [(m["name"], m["type"]) for m in payload.get("meta", [])]
    stats = payload.get("statistics", {})
    return EngineResult(
        meta=meta,
        data=payload.get("data", []),
        elapsed=float(stats.get("elapsed", 0.0)),
        rows_read=int(stats.get("rows_read", 0)),
    )


class ChEngine:
    """The process's chDB server: a writer connection and a pool of read-only readers.

    Thread-safe: writes serialize on the writer; reads run in parallel, one per reader. An
    anchor connection stays open for the life of the engine, because the in-memory server
    (and every world attached to it) goes away when its last connection closes.
    """

    def __init__(self, limits: EngineLimits | None = None) -> None:
        self.limits = limits or EngineLimits()
        try:
            self._anchor = _session()
            self._writer: Session | None = self._new_writer()
        except Exception as exc:  # chDB raises RuntimeError subclasses
            raise ConfigError(
                f"cannot start the embedded ClickHouse (chDB): {parse_failure(exc).message}",
                "reinstall chdb, or use PostHog's API (POSTHOG_API_KEY and POSTHOG_PROJECT_ID)",
            ) from None
        self._write_lock = threading.Lock()
        self._idle: queue.SimpleQueue[Session] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(self.limits.readers)

    @staticmethod
    def _new_writer() -> Session:
        writer = _session()
        writer.query("SET output_format_json_escape_forward_slashes = 0", "CSV")
        return writer

    # -- writing (world builds and attachments) -----------------------------------------

    def execute(self, sql: str) -> None:
        """Run a statement on the writer connection (DDL, INSERT ... SELECT)."""
        self._write(sql, fmt="CSV")

    def rows(self, sql: str) -> list[list[Any]]:
        """Run a query on the writer connection and return its rows (for builds)."""
        return _decode(self._write(sql, fmt="JSONCompact")).data

    def _write(self, sql: str, *, fmt: str) -> Any:
        with self._write_lock:
            if self._writer is None:
                self._writer = self._new_writer()
            try:
                return self._writer.query(sql, fmt)
            except Exception as exc:
                self._writer.cleanup()
                self._writer = None
                failure = parse_failure(exc)
                raise BackendError(
                    f"chDB failed while building or opening a world: {failure.message}",
                    "this is a bug in the world generator or a damaged world folder; "
                    "rebuild it with `posthog-escalation world build --force`",
                ) from None

    # -- reading (user queries) -------------------------------------------------------

    def read(self, sql: str) -> EngineResult:
        """Run one SELECT on a read-only reader and decode the JSONCompact answer.

        Raises:
            QueryError: ClickHouse refused or failed the query (its message, cleaned).
        """
        with self._slots:
            reader = self._take_reader()
            try:
                result = reader.query(sql, "JSONCompact")
            except Exception as exc:
                reader.cleanup()
                raise _query_error(parse_failure(exc), self.limits) from None
            self._idle.put(reader)
        return _decode(result)

    def _take_reader(self) -> Session:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        reader = _session()
        limits = self.limits
        for statement in (
            f"SET max_execution_time = {limits.max_execution_seconds:g}",
            "SET timeout_overflow_mode = 'throw'",
            f"SET max_result_rows = {limits.max_result_rows}",
            f"SET max_result_bytes = {limits.max_result_bytes}",
            "SET result_overflow_mode = 'throw'",
            f"SET max_memory_usage = {limits.max_memory_bytes}",
            "SET output_format_json_quote_64bit_integers = 0",
            "SET output_format_json_quote_64bit_floats = 0",
            "SET output_format_json_quote_decimals = 0",
            "SET date_time_output_format = 'iso'",
            "SET output_format_json_escape_forward_slashes = 0",
            "SET readonly = 1",
        ):
            reader.query(statement, "CSV")
        return reader

    def close(self) -> None:
        """Close the writer and the idle readers (the anchor keeps the server up)."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.cleanup()
                self._writer = None
        while True:
            try:
                self._idle.get_nowait().cleanup()
            except queue.Empty:
                break


def _query_error(failure: ClickHouseFailure, limits: EngineLimits) -> QueryError:
    code, message = failure.code, failure.message
    if code == "READONLY":
        return QueryError(
            f"refused: the query tried to write, change a setting or use a table function "
            f"({message})",
            "only SELECT over events, persons, groups, sessions and "
            "system.ingestion_warnings is allowed",
        )
    if code == "TIMEOUT_EXCEEDED":
        return QueryError(
            f"query exceeded the {limits.max_execution_seconds:g} s time limit",
            "narrow the time range or add filters",
        )
    if code in {"TOO_MANY_ROWS_OR_BYTES", "TOO_MANY_ROWS", "TOO_MANY_BYTES"}:
        return QueryError(f"result too large: {message}", "aggregate or add a LIMIT")
    if code == "MEMORY_LIMIT_EXCEEDED":
        return QueryError("query needed too much memory", "aggregate earlier or add filters")
    return QueryError(message or "ClickHouse rejected the query", "fix the query and retry")


_process_lock = threading.Lock()
_engine: ChEngine | None = None


def get_engine() -> ChEngine:
    """The process's engine, started on first use.

    Raises:
        ConfigError: chDB could not start.
    """
    global _engine
    with _process_lock:
        if _engine is None:
            _engine = ChEngine()
        return _engine


def current_engine() -> ChEngine | None:
    """The engine, if one was started in this process."""
    return _engine
