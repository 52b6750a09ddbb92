"""The escalation store: real SQLite files, real processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from posthog_escalation.errors import ConfigError, InputError, NotFoundError
from posthog_escalation.models import Cadence, Customer, Escalation, FollowUpPlan, Ticket
from posthog_escalation.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    EscalationStore,
    Schedule,
    Status,
    format_id,
    idempotency_key,
    migrate,
    parse_id,
    schedule_from_plan,
    store_escalation,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def ticket() -> Ticket:
    return Ticket(
        id="ZD-48213",
        subject="Blank recordings in Safari",
        customer=Customer(org_name="Northwind Health", contacts=["Dana Whitfield"]),
    )


@pytest.fixture
def store(tmp_path: Path):
    with EscalationStore.in_data_dir(tmp_path) as opened:
        yield opened


def _for_ticket(escalation: Escalation, ticket_id: str) -> Escalation:
    return escalation.model_copy(update={"ticket_id": ticket_id})


def test_a_new_store_is_a_wal_database_at_the_current_schema_version(tmp_path: Path) -> None:
    with EscalationStore.in_data_dir(tmp_path / "nested") as store:
        assert store.path == tmp_path / "nested" / "escalations.db"
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    raw = sqlite3.connect(tmp_path / "nested" / "escalations.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


def test_storing_an_escalation_keeps_its_json_markdown_evidence_schedule_and_a_log_entry(
    store: EscalationStore, example_escalation: Escalation, ticket: Ticket
) -> None:
    result = store_escalation(store, example_escalation, ticket=ticket, now=NOW)
    stored = result.stored
    assert result.created is True
    assert stored.id == "ESC-1"
    assert stored.status is Status.DRAFT
    assert stored.escalation == example_escalation
    assert stored.ticket == ticket
    assert stored.internal_markdown.startswith("## ESCALATION: Session replay")
    assert "Northwind" in stored.internal_markdown
    assert "Northwind" not in stored.public_markdown
    assert store.evidence_ids("ESC-1") == ["E1", "E2", "E3", "E4", "E5", "E6"]
    assert stored.schedule.team_due == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert stored.schedule.team_deadline == datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    assert stored.schedule.customer_due == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert stored.idempotency_key == idempotency_key("ZD-48213", store.secret)
    assert [(e.kind, e.at) for e in store.events("ESC-1")] == [("stored", NOW)]


def test_storing_the_same_ticket_again_revises_the_one_escalation_instead_of_duplicating(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    store_escalation(store, example_escalation, now=NOW)
    changed = example_escalation.model_copy(
        update={"summary": "Blank Safari recordings (revised)", "evidence": []}
    )
    later = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    result = store_escalation(store, changed, now=later)
    assert result.created is False
    assert result.stored.id == "ESC-1"
    assert result.stored.revision == 2
    assert result.stored.summary == "Blank Safari recordings (revised)"
    assert [s.id for s in store.list()] == ["ESC-1"]
    assert store.evidence_ids("ESC-1") == []
    revised = store.events("ESC-1")[-1]
    assert revised.kind == "revised"
    assert revised.data == {"revision": 2, "changed": ["summary", "evidence"]}


def test_different_tickets_get_consecutive_short_ids(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    for number in range(3):
        store_escalation(store, _for_ticket(example_escalation, f"T-{number}"), now=NOW)
    assert [s.id for s in store.list()] == ["ESC-1", "ESC-2", "ESC-3"]
    assert store.find_by_ticket("T-1").id == "ESC-2"
    assert store.find_by_ticket("T-9") is None


@pytest.mark.parametrize("text", ["ESC-12", "esc-12", "ESC12", " 12 ", "12"])
def test_escalation_ids_are_read_in_any_common_spelling(text: str) -> None:
    assert parse_id(text) == 12
    assert format_id(12) == "ESC-12"


def test_a_malformed_id_is_an_input_error_that_shows_the_expected_shape() -> None:
    with pytest.raises(InputError, match=r"'ticket-9' is not an escalation id.*ESC-1"):
        parse_id("ticket-9")


def test_an_unknown_id_is_not_found_and_named(store: EscalationStore) -> None:
    with pytest.raises(NotFoundError, match="no escalation ESC-9 in the store"):
        store.get("ESC-9")


def test_storing_a_closed_escalation_again_reopens_it_and_logs_why(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    store_escalation(store, example_escalation, now=NOW)
    with store.transaction() as tx:
        tx.update("ESC-1", NOW, status=Status.CLOSED, closed_at=NOW, schedule=Schedule())
    result = store_escalation(store, example_escalation, now=NOW)
    assert result.reopened is True
    assert result.stored.status is Status.DRAFT
    assert result.stored.closed_at is None
    assert [e.kind for e in store.events("ESC-1")][-2:] == ["revised", "reopened"]


def test_the_event_log_rejects_updates_and_deletes(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    store_escalation(store, example_escalation, now=NOW)
    raw = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE events SET detail = 'rewritten'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM events")
    raw.close()
    assert store.events("ESC-1")[0].detail.startswith("stored as a draft")


def test_a_failure_inside_a_transaction_leaves_nothing_behind(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    store_escalation(store, example_escalation, now=NOW)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.update("ESC-1", NOW, status=Status.FILED, issue_url="https://example.invalid/1")
        tx.log("ESC-1", "filed", NOW)
        raise RuntimeError("crash before commit")
    stored = store.get("ESC-1")
    assert stored.status is Status.DRAFT and stored.issue_url is None
    assert [e.kind for e in store.events("ESC-1")] == ["stored"]


def test_filing_attempts_are_recorded_with_their_outcome_and_logged(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    store_escalation(store, example_escalation, now=NOW)
    with store.transaction() as tx:
        tx.record_attempt("ESC-1", NOW, repo="PostHog/posthog-js", outcome="timeout")
        tx.record_attempt(
            "ESC-1",
            NOW,
            repo="PostHog/posthog-js",
            outcome="created",
            issue_url="https://github.com/PostHog/posthog-js/issues/1",
            http_status=201,
        )
    attempts = store.filing_attempts("ESC-1")
    assert [(a.outcome, a.http_status) for a in attempts] == [("timeout", None), ("created", 201)]
    assert [e.kind for e in store.events("ESC-1")][-2:] == ["filing_timeout", "filing_created"]


def test_schedule_from_a_business_day_plan_skips_the_weekend() -> None:
    plan = FollowUpPlan(
        team_cadence=Cadence(low=24, high=24),
        customer_cadence=Cadence(low=2, high=3, unit="business_days"),
        next_team_check=datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        next_customer_update=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),  # a Friday
    )
    schedule = schedule_from_plan(plan)
    assert schedule.team_due == schedule.team_deadline  # "daily": due and overdue at once
    assert schedule.customer_due == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert schedule.customer_deadline == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday


def test_migrate_upgrades_an_older_file_step_by_step(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    assert migrate(conn, MIGRATIONS) == len(MIGRATIONS)
    extra = (*MIGRATIONS, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")
    assert migrate(conn, extra) == len(extra)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(extra)
    conn.execute("INSERT INTO notes (body) VALUES ('kept')")
    assert migrate(conn, extra) == len(extra)
    conn.close()


def test_a_store_written_by_a_newer_version_is_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "escalations.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ConfigError, match="newer than this posthog-escalation understands"):
        EscalationStore(path)


def test_a_store_path_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot open the escalation store"):
        EscalationStore(blocker / "escalations.db")


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from posthog_escalation.loading import load_model
    from posthog_escalation.models import Escalation
    from posthog_escalation import store as store_module

    def crash(self, number, escalation):
        os._exit(3)  # the process dies after the row is inserted, before the commit

    store_module.Transaction._replace_evidence = crash
    escalation = load_model(Path(sys.argv[2]), Escalation)
    with store_module.EscalationStore.in_data_dir(Path(sys.argv[1])) as store:
        store_module.store_escalation(store, escalation, now=datetime(2026, 11, 20, tzinfo=UTC))
    """
)


def _python(script: str, *args: str, **kwargs) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env, text=True, **kwargs)


def test_a_process_killed_mid_write_leaves_no_half_written_escalation(
    tmp_path: Path, example_escalation: Escalation
) -> None:
    example = Path(__file__).resolve().parents[1] / "src/posthog_escalation/examples"
    process = _python(CRASHING_WRITER, str(tmp_path), str(example / "escalation.yaml"))
    assert process.wait(timeout=120) == 3
    with EscalationStore.in_data_dir(tmp_path) as store:
        assert store.list() == []
        raw = sqlite3.connect(store.path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT count(*) FROM events").fetchone()[0] == 0
        raw.close()
        result = store_escalation(store, example_escalation, now=NOW)
    assert result.stored.id == "ESC-1"


CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from posthog_escalation.followups import record_update
    from posthog_escalation.loading import load_model
    from posthog_escalation.models import Escalation
    from posthog_escalation.store import EscalationStore, store_escalation

    data_dir, name, count, example = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    escalation = load_model(Path(example), Escalation)
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with EscalationStore.in_data_dir(data_dir, timeout=60) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(count):
            now = start + timedelta(minutes=i)
            own = escalation.model_copy(update={"ticket_id": f"{name}-{i}"})
            store_escalation(store, own, now=now)
            store_escalation(store, escalation, now=now)
            record_update(store, "ESC-1", f"{name} note {i}", now)
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, example_escalation: Escalation
) -> None:
    count = 25
    example = Path(__file__).resolve().parents[1] / "src/posthog_escalation/examples"
    with EscalationStore.in_data_dir(tmp_path) as store:
        store_escalation(store, example_escalation, now=NOW)
    writers = [
        _python(
            CONCURRENT_WRITER,
            str(tmp_path),
            name,
            str(count),
            str(example / "escalation.yaml"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for name in ("alpha", "beta")
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        assert writer.stdout.readline().strip() == "done"
        assert writer.wait(timeout=120) == 0

    with EscalationStore.in_data_dir(tmp_path) as store:
        stored = store.list()
        assert len(stored) == 1 + 2 * count
        assert len({s.id for s in stored}) == len(stored)
        assert sorted(s.ticket_id for s in stored[1:]) == sorted(
            f"{name}-{i}" for name in ("alpha", "beta") for i in range(count)
        )
        shared = store.get("ESC-1")
        assert shared.revision == 1 + 2 * count
        kinds = [e.kind for e in store.events("ESC-1")]
        assert kinds.count("update_team") == 2 * count
        assert kinds.count("revised") == 2 * count
        notes = {e.detail for e in store.events("ESC-1") if e.kind == "update_team"}
        assert notes == {f"{n} note {i}" for n in ("alpha", "beta") for i in range(count)}
        raw = sqlite3.connect(store.path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        raw.close()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_store_is_created_private_in_a_private_data_folder(
    tmp_path: Path, example_escalation: Escalation, ticket: Ticket
) -> None:
    old = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        with EscalationStore.in_data_dir(folder) as store:
            store_escalation(store, example_escalation, ticket=ticket, now=NOW)
            files = [p for p in folder.iterdir() if p.name.startswith("escalations.db")]
            assert {p.name for p in files} >= {"escalations.db", "escalations.db-wal"}
            assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(folder) == 0o700
    finally:
        os.umask(old)


def test_an_existing_world_readable_store_and_folder_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "escalations.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    with EscalationStore.in_data_dir(folder):
        pass
    assert (_mode(folder), _mode(path)) == (0o700, 0o600)


def test_a_store_from_before_secret_keys_is_rekeyed_and_gains_the_claims_table(
    tmp_path: Path, example_escalation: Escalation
) -> None:
    path = tmp_path / "escalations.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:1])
    conn.execute(
        "INSERT INTO escalations (ticket_id, status, severity, route, summary, "
        "escalation_json, internal_md, public_md, idempotency_key, created_at, updated_at) "
        "VALUES ('ZD-1', 'draft', 'High', 'r', 's', ?, '', '', 'pe-0123456789abcdef0123', "
        "'2026-11-20T00:00:00+00:00', '2026-11-20T00:00:00+00:00')",
        (example_escalation.model_copy(update={"ticket_id": "ZD-1"}).model_dump_json(),),
    )
    conn.close()
    with EscalationStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get("ESC-1").idempotency_key == idempotency_key("ZD-1", store.secret)
        assert store.filing_claim("ESC-1") is None


def test_a_note_or_filing_detail_holding_a_credential_is_logged_without_it(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    key = "phx_9kQw2LmN4pR6sT8vX0zB2dF4hJ6kL8nP0rT2vX4zB6dF8hJ"
    store_escalation(store, example_escalation, now=NOW)
    with store.transaction() as tx:
        tx.log("ESC-1", "followup_team", NOW, f"customer sent {key}", {"note": f"key {key}"})
        tx.record_attempt("ESC-1", NOW, repo="r", outcome="failed", detail=f"echo {key}")
    rows = [e.detail + json.dumps(e.data) for e in store.events("ESC-1")]
    rows += [a.detail for a in store.filing_attempts("ESC-1")]
    assert not [row for row in rows if key[:16] in row]
    assert any("[posthog-key-1]" in row for row in rows)
