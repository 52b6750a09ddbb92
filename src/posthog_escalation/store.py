"""The escalation store: SQLite under the data folder (``escalations.db``).

It keeps every stored escalation (its JSON, the ticket it came from, the internal and
public markdown), the evidence behind it, its status, the follow-up schedule, each
attempt to file it and an append-only event log.

Guarantees:

- **One escalation per ticket.** Storing an escalation for a ticket that already has one
  updates it in place: same short id (``ESC-3``), revision + 1, evidence replaced, status,
  filing record and history kept, and a ``revised`` event logged. A second ``run`` for
  the same ticket therefore never creates a second escalation to follow up on, and an
  issue that was filed stays linked. Storing over a closed escalation reopens it (the
  problem came back), which is logged too.
- **Atomic writes.** Each operation is one ``BEGIN IMMEDIATE`` transaction; a crash in
  the middle leaves the database as it was before the operation.
- **Concurrent writers.** WAL journal plus a busy timeout: two processes (two CLI
  commands, the CLI and the MCP server) can write at the same time; one waits for the
  other. Read-modify-write operations run inside one :meth:`EscalationStore.transaction`.
- **Append-only log.** Triggers reject any ``UPDATE`` or ``DELETE`` on ``events``.
- **One filing at a time.** Before anything is sent to GitHub the filer claims the
  escalation in ``filing_claims`` (a row with a state: ``claimed``, ``filed`` or
  ``released``, its owner and a lease). A second filer waits for the claim to end and
  reads its result; a claim whose lease ran out (the filer died) may be taken over.
- **Keys nobody else can compute.** The idempotency key hidden in a filed issue is an
  HMAC of the ticket id under a per-installation secret (``installation.key``, 0600,
  created on first use), so another GitHub user cannot plant a matching marker.
- **Private files.** The data folder is 0700, ``escalations.db`` and the secret 0600.
- **Schema versions.** ``PRAGMA user_version`` holds the schema version; :data:`MIGRATIONS`
  upgrades older files in order; a file newer than this code is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .config import ensure_private_dir
from .errors import ConfigError, InputError, NotFoundError
from .models import Cadence, Escalation, FollowUpPlan, Ticket
from .playbook import add_cadence
from .render import render_markdown
from .scrub import scrub_credentials, scrub_model

DB_NAME = "escalations.db"
INSTALLATION_SECRET = "installation.key"
KEY_PREFIX = "pe2-"
ID_PREFIX = "ESC-"
_ID = re.compile(r"^\s*(?:esc-?)?(\d+)\s*$", re.IGNORECASE)
MAX_NUMBER = 2**63 - 1  # SQLite's largest integer


class Status(StrEnum):
    """Where an escalation is in its life."""

    DRAFT = "draft"
    FILED = "filed"
    FOLLOWING_UP = "following_up"
    DOWNGRADED = "downgraded"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """True until the escalation is closed."""
        return self is not Status.CLOSED


FilingOutcome = Literal["created", "found_existing", "failed", "timeout", "refused"]
ClaimState = Literal["claimed", "filed", "released"]

MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema.
    """
    CREATE TABLE escalations (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN
            ('draft', 'filed', 'following_up', 'downgraded', 'closed')),
        severity TEXT NOT NULL CHECK (severity IN ('Critical', 'High', 'Medium')),
        route TEXT NOT NULL,
        summary TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        escalation_json TEXT NOT NULL,
        ticket_json TEXT,
        internal_md TEXT NOT NULL,
        public_md TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        issue_url TEXT,
        issue_number INTEGER,
        private_channel TEXT,
        team_due TEXT,
        team_deadline TEXT,
        customer_due TEXT,
        customer_deadline TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at TEXT
    );
    CREATE INDEX escalations_status ON escalations (status);
    CREATE TABLE evidence (
        escalation_number INTEGER NOT NULL REFERENCES escalations (number),
        evidence_id TEXT NOT NULL,
        source TEXT NOT NULL,
        query TEXT NOT NULL,
        finding TEXT NOT NULL,
        result TEXT NOT NULL,
        status TEXT NOT NULL,
        url TEXT,
        collected_at TEXT NOT NULL,
        PRIMARY KEY (escalation_number, evidence_id)
    );
    CREATE TABLE filing_attempts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        escalation_number INTEGER NOT NULL REFERENCES escalations (number),
        at TEXT NOT NULL,
        repo TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN
            ('created', 'found_existing', 'failed', 'timeout', 'refused')),
        issue_url TEXT,
        http_status INTEGER,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX filing_attempts_escalation ON filing_attempts (escalation_number);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        escalation_number INTEGER NOT NULL REFERENCES escalations (number),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_escalation ON events (escalation_number);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    """,
    # 2: one filing at a time.
    """
    CREATE TABLE filing_claims (
        escalation_number INTEGER PRIMARY KEY REFERENCES escalations (number),
        state TEXT NOT NULL CHECK (state IN ('claimed', 'filed', 'released')),
        owner TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Schedule(_Record):
    """When the next follow-ups are due (from) and overdue (after), in UTC."""

    team_due: datetime | None = None
    team_deadline: datetime | None = None
    customer_due: datetime | None = None
    customer_deadline: datetime | None = None


class StoredEscalation(_Record):
    """An escalation as the store holds it."""

    id: str
    number: int
    ticket_id: str
    status: Status
    severity: str
    route: str
    summary: str
    revision: int
    escalation: Escalation
    ticket: Ticket | None
    internal_markdown: str
    public_markdown: str
    idempotency_key: str
    issue_url: str | None
    issue_number: int | None
    private_channel: str | None
    schedule: Schedule
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class Event(_Record):
    """One entry of the append-only log."""

    seq: int
    escalation_id: str
    at: datetime
    kind: str
    detail: str
    data: dict[str, Any]


class FilingAttempt(_Record):
    """One attempt to file an escalation, and how it ended."""

    seq: int
    escalation_id: str
    at: datetime
    repo: str
    outcome: FilingOutcome
    issue_url: str | None
    http_status: int | None
    detail: str


class FilingClaim(_Record):
    """Who is filing an escalation, or last filed it, and until when the claim holds."""

    escalation_id: str
    state: ClaimState
    owner: str
    claimed_at: datetime
    expires_at: datetime

    def held_by_other(self, owner: str, now: datetime) -> bool:
        """True while another filer holds a live claim."""
        return self.state == "claimed" and self.owner != owner and utc(now) < self.expires_at


class SaveResult(_Record):
    """What :meth:`EscalationStore.save` did."""

    stored: StoredEscalation
    created: bool
    reopened: bool = False


def format_id(number: int) -> str:
    """``ESC-<number>``."""
    return f"{ID_PREFIX}{number}"


def parse_id(escalation_id: str | int) -> int:
    """The number in ``ESC-12`` (also accepts ``esc-12``, ``12`` and an int).

    Raises:
        InputError: The text is not an escalation id.
    """
    match = None if isinstance(escalation_id, int) else _ID.match(escalation_id)
    if not isinstance(escalation_id, int) and not match:
        raise InputError(
            f"'{escalation_id}' is not an escalation id",
            "use the id shown by `posthog-escalation list`, e.g. ESC-1",
        )
    digits = match.group(1) if match else str(escalation_id)
    number = int(digits) if len(digits) <= 19 else MAX_NUMBER + 1
    if not 0 <= number <= MAX_NUMBER:
        raise InputError(
            f"'{escalation_id}' is not an escalation id (no escalation number is that large)",
            "use the id shown by `posthog-escalation list`, e.g. ESC-1",
        )
    return number


def installation_secret(data_dir: Path) -> bytes:
    """This installation's secret (``<data_dir>/installation.key``), created on first use
    with 32 random bytes, readable by the owner only.

    Raises:
        ConfigError: The file cannot be created or read, or is too short to be a secret.
    """
    path = Path(data_dir) / INSTALLATION_SECRET
    try:
        ensure_private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        value = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot create or read the installation secret ({exc.strerror})",
            "check --data-dir / POSTHOG_ESCALATION_DATA_DIR and its permissions",
        ) from None
    if len(value) < 32:
        raise ConfigError(
            f"{path}: the installation secret is damaged (shorter than 32 bytes)",
            "delete the file; a new one is created (issues filed before cannot be relinked "
            "by their marker, but the store keeps their URLs)",
        )
    return value


def idempotency_key(ticket_id: str, secret: bytes) -> str:
    """The key hidden in the issue filed for ``ticket_id``: an HMAC under the installation
    ``secret``, so no one without the secret can compute it (no ticket text in it)."""
    mac = hmac.new(secret, f"posthog-escalation:idempotency:{ticket_id}".encode(), hashlib.sha256)
    return f"{KEY_PREFIX}{mac.hexdigest()[:32]}"


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).isoformat(timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if amount <= 0:
        return moment
    return add_cadence(moment, Cadence(low=amount, high=amount, unit=unit))  # type: ignore[arg-type]


def schedule_after(now: datetime, team: Cadence | None, customer: Cadence | None) -> Schedule:
    """Follow-ups counted from ``now``: due after the cadence's low bound, overdue after
    its high bound (``every 4-8 hours``: due in 4 h, overdue after 8 h). ``None`` leaves
    that follow-up unscheduled."""
    now = utc(now)
    return Schedule(
        team_due=add_cadence(now, team) if team else None,
        team_deadline=add_cadence(now, team, upper=True) if team else None,
        customer_due=add_cadence(now, customer) if customer else None,
        customer_deadline=add_cadence(now, customer, upper=True) if customer else None,
    )


def schedule_from_plan(plan: FollowUpPlan) -> Schedule:
    """The schedule an escalation's follow-up plan sets: due at its next times, overdue
    once the cadence's range has passed."""
    team, customer = plan.team_cadence, plan.customer_cadence
    team_due, customer_due = utc(plan.next_team_check), utc(plan.next_customer_update)
    return Schedule(
        team_due=team_due,
        team_deadline=_shift(team_due, team.high - team.low, team.unit),
        customer_due=customer_due,
        customer_deadline=_shift(customer_due, customer.high - customer.low, customer.unit),
    )


def default_store_path(data_dir: Path) -> Path:
    """Where the store lives under the data folder."""
    return data_dir / DB_NAME


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600, or tighten an existing file of ours to 0600
    (SQLite gives its ``-wal`` and ``-shm`` files the database file's mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists() and companion.stat().st_uid == os.getuid():
            companion.chmod(0o600)


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    try:
        ensure_private_dir(path.parent)
        _private_file(path)
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"{path}: cannot open the escalation store ({exc})",
            "check --data-dir / POSTHOG_ESCALATION_DATA_DIR and its permissions",
        ) from None
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise ConfigError(f"{path}: SQLite WAL mode is unavailable", "use a local folder")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the schema up to ``len(migrations)``; returns the version reached.

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with the version
    bump, so two processes opening an old file at once migrate it exactly once.

    Raises:
        ConfigError: The file was written by a newer version of this package.
    """
    target = len(migrations)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > target:
                raise ConfigError(
                    f"the escalation store has schema version {version}, newer than this "
                    f"posthog-escalation understands ({target})",
                    "upgrade posthog-escalation or point --data-dir at another folder",
                )
            if version == target:
                conn.execute("COMMIT")
                return version
            for statement in _statements(migrations[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit on its own)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


class Transaction:
    """The reads and writes available inside one :meth:`EscalationStore.transaction`."""

    def __init__(self, conn: sqlite3.Connection, secret: bytes) -> None:
        self._conn = conn
        self._secret = secret

    def get(self, escalation_id: str | int) -> StoredEscalation:
        """The stored escalation; raises :class:`NotFoundError` naming the id."""
        number = parse_id(escalation_id)
        row = self._conn.execute("SELECT * FROM escalations WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no escalation {format_id(number)} in the store",
                "see `posthog-escalation list` for the stored ids",
            )
        return _stored(row)

    def find_by_ticket(self, ticket_id: str) -> StoredEscalation | None:
        """The escalation stored for ``ticket_id``, if any."""
        row = self._conn.execute(
            "SELECT * FROM escalations WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        return None if row is None else _stored(row)

    def list(self, statuses: Sequence[Status] | None = None) -> list[StoredEscalation]:
        """Stored escalations, oldest first, optionally only those in ``statuses``."""
        if statuses:
            marks = ", ".join("?" for _ in statuses)
            rows = self._conn.execute(
                f"SELECT * FROM escalations WHERE status IN ({marks}) ORDER BY number",
                [s.value for s in statuses],
            ).fetchall()
        else:
            rows = self._conn.execute("SELECT * FROM escalations ORDER BY number").fetchall()
        return [_stored(row) for row in rows]

    def update(self, escalation_id: str | int, now: datetime, **fields: Any) -> None:
        """Set columns of one escalation (and ``updated_at``).

        Accepted fields: ``status``, ``severity``, ``escalation`` (re-serialized along with
        ``summary``), ``internal_markdown``, ``public_markdown``, ``issue_url``,
        ``issue_number``, ``private_channel``, ``schedule``, ``closed_at``.
        """
        number = parse_id(escalation_id)
        columns: dict[str, Any] = {"updated_at": _iso(now)}
        for name, value in fields.items():
            if name == "status":
                columns["status"] = Status(value).value
            elif name == "severity":
                columns["severity"] = str(value)
            elif name == "escalation":
                columns["escalation_json"] = value.model_dump_json()
                columns["summary"] = value.summary
                columns["severity"] = value.severity.value
            elif name in ("internal_markdown", "public_markdown"):
                columns[name.replace("markdown", "md")] = value
            elif name in ("issue_url", "issue_number", "private_channel"):
                columns[name] = value
            elif name == "schedule":
                columns.update(_schedule_columns(value))
            elif name == "closed_at":
                columns["closed_at"] = _iso(value)
            else:
                raise TypeError(f"unknown escalation field {name!r}")
        assignments = ", ".join(f"{column} = ?" for column in columns)
        self._conn.execute(
            f"UPDATE escalations SET {assignments} WHERE number = ?", [*columns.values(), number]
        )

    def log(
        self,
        escalation_id: str | int,
        kind: str,
        now: datetime,
        detail: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append one event to the log (credentials in ``detail`` and ``data`` replaced)."""
        detail, data = scrub_credentials(detail), scrub_credentials(data or {})
        self._conn.execute(
            "INSERT INTO events (escalation_number, at, kind, detail, data) VALUES (?, ?, ?, ?, ?)",
            (parse_id(escalation_id), _iso(now), kind, detail, json.dumps(data)),
        )

    def record_attempt(
        self,
        escalation_id: str | int,
        now: datetime,
        *,
        repo: str,
        outcome: FilingOutcome,
        issue_url: str | None = None,
        http_status: int | None = None,
        detail: str = "",
    ) -> None:
        """Record one filing attempt and log it (credentials in ``detail`` replaced)."""
        number = parse_id(escalation_id)
        detail = scrub_credentials(detail)
        self._conn.execute(
            "INSERT INTO filing_attempts (escalation_number, at, repo, outcome, issue_url, "
            "http_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (number, _iso(now), repo, outcome, issue_url, http_status, detail),
        )
        self.log(
            number,
            f"filing_{outcome}",
            now,
            detail,
            {"repo": repo, "issue_url": issue_url, "http_status": http_status},
        )

    def filing_claim(self, escalation_id: str | int) -> FilingClaim | None:
        """The filing claim of one escalation, if it was ever claimed."""
        number = parse_id(escalation_id)
        row = self._conn.execute(
            "SELECT * FROM filing_claims WHERE escalation_number = ?", (number,)
        ).fetchone()
        if row is None:
            return None
        return FilingClaim(
            escalation_id=format_id(number),
            state=row["state"],
            owner=row["owner"],
            claimed_at=_parse(row["claimed_at"]),
            expires_at=_parse(row["expires_at"]),
        )

    def claim_filing(
        self, escalation_id: str | int, owner: str, now: datetime, *, lease: timedelta
    ) -> FilingClaim:
        """Claim the filing for ``owner`` unless another filer holds a live claim; returns
        the claim as it stands (check :meth:`FilingClaim.held_by_other`)."""
        number = parse_id(escalation_id)
        current = self.filing_claim(number)
        if current is not None and current.held_by_other(owner, now):
            return current
        self._conn.execute(
            "INSERT INTO filing_claims (escalation_number, state, owner, claimed_at, "
            "expires_at, updated_at) VALUES (?, 'claimed', ?, ?, ?, ?) "
            "ON CONFLICT (escalation_number) DO UPDATE SET state = 'claimed', "
            "owner = excluded.owner, claimed_at = excluded.claimed_at, "
            "expires_at = excluded.expires_at, updated_at = excluded.updated_at",
            (number, owner, _iso(now), _iso(utc(now) + lease), _iso(now)),
        )
        if current is not None and current.state == "claimed" and current.owner != owner:
            self.log(
                number, "filing_claim_taken_over", now, f"the claim of {current.owner} expired"
            )
        claim = self.filing_claim(number)
        assert claim is not None
        return claim

    def end_claim(
        self, escalation_id: str | int, owner: str, state: ClaimState, now: datetime
    ) -> None:
        """End ``owner``'s claim as ``filed`` or ``released`` (another owner's is kept)."""
        self._conn.execute(
            "UPDATE filing_claims SET state = ?, updated_at = ? "
            "WHERE escalation_number = ? AND owner = ?",
            (state, _iso(now), parse_id(escalation_id), owner),
        )

    def events(self, escalation_id: str | int) -> list[Event]:
        """The log of one escalation, oldest first."""
        number = parse_id(escalation_id)
        rows = self._conn.execute(
            "SELECT * FROM events WHERE escalation_number = ? ORDER BY seq", (number,)
        ).fetchall()
        return [
            Event(
                seq=row["seq"],
                escalation_id=format_id(row["escalation_number"]),
                at=_parse(row["at"]),
                kind=row["kind"],
                detail=row["detail"],
                data=json.loads(row["data"]),
            )
            for row in rows
        ]

    def filing_attempts(self, escalation_id: str | int) -> list[FilingAttempt]:
        """Every filing attempt for one escalation, oldest first."""
        number = parse_id(escalation_id)
        rows = self._conn.execute(
            "SELECT * FROM filing_attempts WHERE escalation_number = ? ORDER BY seq", (number,)
        ).fetchall()
        return [
            FilingAttempt(
                seq=row["seq"],
                escalation_id=format_id(row["escalation_number"]),
                at=_parse(row["at"]),
                repo=row["repo"],
                outcome=row["outcome"],
                issue_url=row["issue_url"],
                http_status=row["http_status"],
                detail=row["detail"],
            )
            for row in rows
        ]

    def save(
        self,
        escalation: Escalation,
        *,
        now: datetime,
        internal_markdown: str,
        public_markdown: str,
        ticket: Ticket | None = None,
        schedule: Schedule | None = None,
    ) -> SaveResult:
        """Insert the escalation for its ticket, or revise the one already stored."""
        existing = self.find_by_ticket(escalation.ticket_id)
        schedule = schedule or Schedule()
        if existing is None:
            cursor = self._conn.execute(
                "INSERT INTO escalations (ticket_id, status, severity, route, summary, "
                "escalation_json, ticket_json, internal_md, public_md, idempotency_key, "
                "team_due, team_deadline, customer_due, customer_deadline, created_at, "
                "updated_at) VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    escalation.ticket_id,
                    escalation.severity.value,
                    escalation.routing.route,
                    escalation.summary,
                    escalation.model_dump_json(),
                    ticket.model_dump_json() if ticket else None,
                    internal_markdown,
                    public_markdown,
                    idempotency_key(escalation.ticket_id, self._secret),
                    *_schedule_columns(schedule).values(),
                    _iso(now),
                    _iso(now),
                ),
            )
            number = int(cursor.lastrowid or 0)
            self._replace_evidence(number, escalation)
            self.log(
                number,
                "stored",
                now,
                f"stored as a draft: {escalation.severity.value}, route {escalation.routing.route}",
                {"revision": 1},
            )
            return SaveResult(stored=self.get(number), created=True)
        number = existing.number
        reopened = existing.status is Status.CLOSED
        status = existing.status
        if reopened:
            status = Status.FOLLOWING_UP if existing.issue_url else Status.DRAFT
        changed = _changed_sections(existing.escalation, escalation)
        self._conn.execute(
            "UPDATE escalations SET status = ?, severity = ?, route = ?, summary = ?, "
            "revision = revision + 1, escalation_json = ?, ticket_json = COALESCE(?, ticket_json), "
            "internal_md = ?, public_md = ?, team_due = ?, team_deadline = ?, customer_due = ?, "
            "customer_deadline = ?, updated_at = ?, closed_at = ? WHERE number = ?",
            (
                status.value,
                escalation.severity.value,
                escalation.routing.route,
                escalation.summary,
                escalation.model_dump_json(),
                ticket.model_dump_json() if ticket else None,
                internal_markdown,
                public_markdown,
                *_schedule_columns(schedule).values(),
                _iso(now),
                None if reopened else _iso(existing.closed_at),
                number,
            ),
        )
        self._replace_evidence(number, escalation)
        revision = existing.revision + 1
        self.log(
            number,
            "revised",
            now,
            f"revision {revision}: " + (", ".join(changed) if changed else "no section changed"),
            {"revision": revision, "changed": changed},
        )
        if reopened:
            self.log(number, "reopened", now, "stored again after it was closed", {})
        return SaveResult(stored=self.get(number), created=False, reopened=reopened)

    def _replace_evidence(self, number: int, escalation: Escalation) -> None:
        self._conn.execute("DELETE FROM evidence WHERE escalation_number = ?", (number,))
        self._conn.executemany(
            "INSERT INTO evidence (escalation_number, evidence_id, source, query, finding, "
            "result, status, url, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    number,
                    item.id,
                    item.source.value,
                    item.query,
                    item.finding,
                    item.result,
                    item.status,
                    item.url,
                    _iso(item.collected_at),
                )
                for item in escalation.evidence
            ],
        )


class EscalationStore:
    """The SQLite escalation store at ``path`` (one connection; not shared across threads).

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = path
        self._conn = _connect(path, timeout)
        try:
            self.schema_version = migrate(self._conn)
            self.secret = installation_secret(path.parent)
            self._rekey()
        except BaseException:
            self._conn.close()
            raise

    def _rekey(self) -> None:
        """Give escalations stored before keys were secret a key under this installation's
        secret (a marker anyone could compute is never trusted)."""
        legacy = "SELECT number, ticket_id FROM escalations WHERE idempotency_key NOT LIKE ?"
        if self._conn.execute(legacy, (KEY_PREFIX + "%",)).fetchone() is None:
            return
        with self.transaction():
            for row in self._conn.execute(legacy, (KEY_PREFIX + "%",)).fetchall():
                self._conn.execute(
                    "UPDATE escalations SET idempotency_key = ? WHERE number = ?",
                    (idempotency_key(row["ticket_id"], self.secret), row["number"]),
                )

    @classmethod
    def in_data_dir(cls, data_dir: Path, **kwargs: Any) -> EscalationStore:
        """The store under ``data_dir`` (``settings.data_dir``)."""
        return cls(default_store_path(data_dir), **kwargs)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> EscalationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One atomic unit of work: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK``)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield Transaction(self._conn, self.secret)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _read(self, action: Callable[[Transaction], Any]) -> Any:
        self._conn.execute("BEGIN")
        try:
            return action(Transaction(self._conn, self.secret))
        finally:
            self._conn.execute("COMMIT")

    def save(
        self,
        escalation: Escalation,
        *,
        now: datetime,
        internal_markdown: str,
        public_markdown: str,
        ticket: Ticket | None = None,
        schedule: Schedule | None = None,
    ) -> SaveResult:
        """Store (or revise) the escalation for its ticket in one transaction."""
        with self.transaction() as tx:
            return tx.save(
                escalation,
                now=now,
                internal_markdown=internal_markdown,
                public_markdown=public_markdown,
                ticket=ticket,
                schedule=schedule,
            )

    def get(self, escalation_id: str | int) -> StoredEscalation:
        """The stored escalation; raises :class:`NotFoundError` naming the id."""
        return self._read(lambda tx: tx.get(escalation_id))

    def find_by_ticket(self, ticket_id: str) -> StoredEscalation | None:
        """The escalation stored for ``ticket_id``, if any."""
        return self._read(lambda tx: tx.find_by_ticket(ticket_id))

    def list(self, statuses: Sequence[Status] | None = None) -> list[StoredEscalation]:
        """Stored escalations, oldest first."""
        return self._read(lambda tx: tx.list(statuses))

    def events(self, escalation_id: str | int) -> list[Event]:
        """The append-only log of one escalation."""
        return self._read(lambda tx: (tx.get(escalation_id), tx.events(escalation_id))[1])

    def filing_attempts(self, escalation_id: str | int) -> list[FilingAttempt]:
        """Every filing attempt for one escalation."""
        return self._read(lambda tx: (tx.get(escalation_id), tx.filing_attempts(escalation_id))[1])

    def filing_claim(self, escalation_id: str | int) -> FilingClaim | None:
        """The filing claim of one escalation, if it was ever claimed."""
        return self._read(lambda tx: tx.filing_claim(escalation_id))

    def idempotency_key(self, ticket_id: str) -> str:
        """The filing key of ``ticket_id`` under this installation's secret."""
        return idempotency_key(ticket_id, self.secret)

    def evidence_ids(self, escalation_id: str | int) -> list[str]:
        """The evidence ids stored for one escalation, in order."""
        number = parse_id(escalation_id)
        rows = self._conn.execute(
            "SELECT evidence_id FROM evidence WHERE escalation_number = ? "
            "ORDER BY CAST(SUBSTR(evidence_id, 2) AS INTEGER)",
            (number,),
        ).fetchall()
        return [row[0] for row in rows]


def _schedule_columns(schedule: Schedule) -> dict[str, str | None]:
    return {
        "team_due": _iso(schedule.team_due),
        "team_deadline": _iso(schedule.team_deadline),
        "customer_due": _iso(schedule.customer_due),
        "customer_deadline": _iso(schedule.customer_deadline),
    }


def _stored(row: sqlite3.Row) -> StoredEscalation:
    ticket_json = row["ticket_json"]
    return StoredEscalation(
        id=format_id(row["number"]),
        number=row["number"],
        ticket_id=row["ticket_id"],
        status=Status(row["status"]),
        severity=row["severity"],
        route=row["route"],
        summary=row["summary"],
        revision=row["revision"],
        escalation=Escalation.model_validate_json(row["escalation_json"]),
        ticket=Ticket.model_validate_json(ticket_json) if ticket_json else None,
        internal_markdown=row["internal_md"],
        public_markdown=row["public_md"],
        idempotency_key=row["idempotency_key"],
        issue_url=row["issue_url"],
        issue_number=row["issue_number"],
        private_channel=row["private_channel"],
        schedule=Schedule(
            team_due=_parse(row["team_due"]),
            team_deadline=_parse(row["team_deadline"]),
            customer_due=_parse(row["customer_due"]),
            customer_deadline=_parse(row["customer_deadline"]),
        ),
        created_at=_parse(row["created_at"]),
        updated_at=_parse(row["updated_at"]),
        closed_at=_parse(row["closed_at"]),
    )


def _changed_sections(old: Escalation, new: Escalation) -> list[str]:
    """Top-level fields that differ, ignoring when it was drafted."""
    ignore = {"created_at", "date"}
    before = old.model_dump(mode="json")
    after = new.model_dump(mode="json")
    return [name for name in after if name not in ignore and before.get(name) != after.get(name)]


def store_escalation(
    store: EscalationStore,
    escalation: Escalation,
    *,
    now: datetime,
    ticket: Ticket | None = None,
    extra_secrets: Sequence[str] = (),
    keep_project_ids: bool = True,
) -> SaveResult:
    """Store what a ``run`` drafted: render both flavours, schedule the follow-ups from the
    escalation's plan, and save (or revise the escalation already stored for the ticket).

    The public markdown is redacted with the ticket's names when ``ticket`` is given
    (``Redactor.for_ticket``) and with the patterns only otherwise. Credentials in the
    ticket and the escalation are replaced before anything is rendered or written
    (:func:`~posthog_escalation.scrub.scrub_model`), whoever called.

    Args:
        store: The open store.
        escalation: The drafted escalation.
        now: The time of the run.
        ticket: The ticket it came from; stored so filing can redact the customer later.
        extra_secrets: Exact values to redact too (``Settings.secrets()``).
        keep_project_ids: ``Settings.keep_project_ids``.
    """
    from .redact import redactor_for

    escalation = scrub_model(escalation, extra_secrets)
    ticket = scrub_model(ticket, extra_secrets) if ticket is not None else None
    redactor = redactor_for(ticket, extra_secrets, keep_project_ids=keep_project_ids)
    return store.save(
        escalation,
        now=now,
        ticket=ticket,
        internal_markdown=render_markdown(escalation, "internal"),
        public_markdown=render_markdown(escalation, "public", redactor=redactor),
        schedule=schedule_from_plan(escalation.follow_up),
    )
