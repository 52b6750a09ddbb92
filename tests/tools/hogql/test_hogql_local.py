"""The embedded backend on the demo world: PostHog semantics, limits, security, concurrency.

Expected numbers come from raw ClickHouse SQL on the world's tables (``JSONExtractString``
and plain columns, written by hand here), never from the translator under test.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from posthog_escalation.errors import QueryError
from posthog_escalation.tools.hogql import HogQLBackend, LocalHogQL

pytestmark = pytest.mark.anyio


def raw(world: LocalHogQL, sql: str) -> list[list]:
    """Rows of hand-written SQL on the world's database (``{db}`` is substituted)."""
    return world.engine.rows(sql.format(db=f"`{world.world.database}`"))


def test_local_backend_satisfies_the_protocol(demo_world: LocalHogQL) -> None:
    assert isinstance(demo_world, HogQLBackend)
    assert demo_world.name == "local"
    assert "demo" in demo_world.description
    assert demo_world.now.isoformat() == "2026-11-20T12:00:00+00:00"


async def test_property_counts_match_the_raw_json(demo_world: LocalHogQL) -> None:
    response = await demo_world.query(
        "SELECT properties.$browser AS browser, count() AS n FROM events "
        "WHERE properties.$lib = 'web' GROUP BY browser ORDER BY browser"
    )
    expected = raw(
        demo_world,
        "SELECT JSONExtractString(properties, '$browser') AS b, count() FROM {db}.events "
        "WHERE JSONExtractString(properties, '$lib') = 'web' GROUP BY b ORDER BY b",
    )
    assert response.results == expected
    assert response.columns == ["browser", "n"]
    assert response.types == [["browser", "Nullable(String)"], ["n", "UInt64"]]


async def test_a_missing_property_is_null_and_never_equal_to_a_value(
    demo_world: LocalHogQL,
) -> None:
    total = raw(demo_world, "SELECT count() FROM {db}.events")[0][0]
    without_browser = raw(
        demo_world, "SELECT count() FROM {db}.events WHERE NOT JSONHas(properties, '$browser')"
    )[0][0]
    safari = raw(
        demo_world,
        "SELECT count() FROM {db}.events "
        "WHERE JSONExtractString(properties, '$browser') = 'Safari'",
    )[0][0]
    assert without_browser > 0
    nulls = await demo_world.query("SELECT count() FROM events WHERE properties.$browser IS NULL")
    not_safari = await demo_world.query(
        "SELECT count() FROM events WHERE properties.$browser != 'Safari'"
    )
    missing_key = await demo_world.query(
        "SELECT properties.no_such_key, count() FROM events GROUP BY properties.no_such_key"
    )
    assert nulls.scalar() == without_browser
    assert not_safari.scalar() == total - safari
    assert missing_key.results == [[None, total]]


async def test_non_string_property_values_come_back_as_their_json_text(
    demo_world: LocalHogQL,
) -> None:
    response = await demo_world.query(
        "SELECT properties.$feature_flag_response AS r, properties.$groups.organization AS org "
        "FROM events WHERE event = '$feature_flag_called' AND properties.$lib = 'web' "
        "ORDER BY timestamp LIMIT 1"
    )
    flag_response, org = response.results[0]
    assert flag_response in {"true", "false"}
    assert org in {o[0] for o in raw(demo_world, "SELECT `key` FROM {db}.groups")}


PREVIOUS_READ = (
    "replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, 'k'), ''), 'null'), '^\"|\"$', '')"
)
"""How properties were read before JSONExtract(..., 'Nullable(String)'): the reference."""
JSON_DOCS = {
    '{"k":"abc"}': "abc",
    '{"k":""}': "",
    '{"k":null}': None,
    "{}": None,
    '{"k":42}': "42",
    '{"k":-1.5e3}': "-1500",
    '{"k":true}': "true",
    '{"k":false}': "false",
    '{"k":{"a":[1,"x"]}}': '{"a":[1,"x"]}',
    '{"k":[1,2]}': "[1,2]",
    '{"k":"null"}': "null",
    '{"k": "spaced" }': "spaced",
    '{"k":"caf\\u00e9"}': "café",
    "not json": None,
    "": None,
}


def _docs_sql() -> str:
    docs = ", ".join("'" + d.replace("\\", "\\\\").replace("'", "\\'") + "'" for d in JSON_DOCS)
    return f"(SELECT arrayJoin([{docs}]) AS properties)"


async def test_property_reads_give_every_json_type_what_they_gave_before(
    demo_world: LocalHogQL,
) -> None:
    """Strings, numbers, booleans, objects, arrays, JSON null and missing keys read the same
    as with the previous JSONExtractRaw + regex expression."""
    ours = await demo_world.query(f"SELECT properties.k FROM {_docs_sql()}")
    before = demo_world.engine.rows(f"SELECT {PREVIOUS_READ} FROM {_docs_sql()}")
    assert [row[0] for row in ours.results] == [row[0] for row in before]
    assert [row[0] for row in ours.results] == list(JSON_DOCS.values())


async def test_escapes_in_string_properties_are_decoded(demo_world: LocalHogQL) -> None:
    response = await demo_world.query(
        'SELECT properties.k FROM (SELECT \'{"k":"say \\\\"hi\\\\""}\' AS properties)'
    )
    assert response.results == [['say "hi"']]


async def test_person_properties_are_read_from_the_event(demo_world: LocalHogQL) -> None:
    response = await demo_world.query(
        "SELECT distinct_id, person.properties.email FROM events "
        "WHERE person.properties.email LIKE '%@northwindhealth.com' ORDER BY distinct_id LIMIT 1"
    )
    distinct_id, email = response.results[0]
    expected = raw(
        demo_world,
        "SELECT JSONExtractString(person_properties, 'email') FROM {db}.events "
        f"WHERE distinct_id = '{distinct_id}' LIMIT 1",
    )
    assert email == expected[0][0]


async def test_groups_persons_sessions_and_ingestion_warnings_are_queryable(
    demo_world: LocalHogQL,
) -> None:
    groups = await demo_world.query(
        "SELECT key, properties.name, toFloat(properties.arr) AS arr, toInt(properties.seats) "
        "FROM groups WHERE index = 0 AND properties.name = 'Northwind Health'"
    )
    assert groups.results == [["northwind-health", "Northwind Health", 186000, 420]]
    persons = await demo_world.query("SELECT count() FROM persons")
    sessions = await demo_world.query("SELECT count() FROM sessions WHERE $session_duration >= 0")
    warnings = await demo_world.query(
        "SELECT type, count() FROM system.ingestion_warnings GROUP BY type"
    )
    assert persons.scalar() == raw(demo_world, "SELECT count() FROM {db}.persons")[0][0]
    assert sessions.scalar() == raw(demo_world, "SELECT count() FROM {db}.sessions")[0][0]
    assert warnings.results == raw(
        demo_world, "SELECT toString(type), count() FROM {db}.ingestion_warnings GROUP BY type"
    )


async def test_now_is_the_worlds_clock(demo_world: LocalHogQL) -> None:
    response = await demo_world.query("SELECT now(), today()")
    assert response.results == [["2026-11-20T12:00:00.000000Z", "2026-11-20"]]


async def test_default_limit_is_100_with_has_more(demo_world: LocalHogQL) -> None:
    response = await demo_world.query("SELECT uuid FROM events")
    assert len(response.results) == 100
    assert (response.limit, response.offset, response.hasMore) == (100, 0, True)


async def test_limit_is_capped_at_fifty_thousand_rows(demo_world: LocalHogQL) -> None:
    response = await demo_world.query("SELECT uuid FROM events LIMIT 60000")
    assert len(response.results) == 50_000
    assert response.limit == 50_000
    assert response.hasMore


async def test_offset_pages_through_the_same_ordering(demo_world: LocalHogQL) -> None:
    query = "SELECT uuid FROM events ORDER BY uuid"
    first = await demo_world.query(query, limit=4)
    second = await demo_world.query(query, limit=2, offset=2)
    assert second.results == first.results[2:4]
    assert second.offset == 2


async def test_a_small_result_has_no_more(demo_world: LocalHogQL) -> None:
    response = await demo_world.query("SELECT DISTINCT event FROM events WHERE event = '$pageview'")
    assert response.results == [["$pageview"]]
    assert not response.hasMore


async def test_response_carries_the_hogql_the_clickhouse_sql_and_timings(
    demo_world: LocalHogQL,
) -> None:
    hogql = "SELECT count() FROM events"
    response = await demo_world.query(hogql)
    assert response.hogql == hogql
    assert response.clickhouse and demo_world.world.database in response.clickhouse
    assert {t.k for t in response.timings} == {"./translate", "./clickhouse_execute", "."}


async def test_clickhouse_errors_become_query_errors_without_the_database_name(
    demo_world: LocalHogQL,
) -> None:
    with pytest.raises(QueryError) as caught:
        await demo_world.query("SELECT no_such_column FROM events")
    assert "no_such_column" in caught.value.message
    assert demo_world.world.database not in caught.value.one_line()


# -- defence in depth: the engine refuses what the translator would never send -----------


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO {db}.events (event) VALUES ('x')",
        "CREATE TABLE {db}.x (a UInt8) ENGINE = Memory",
        "DROP TABLE {db}.events",
        "ALTER TABLE {db}.events DELETE WHERE 1",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')",
        "SELECT * FROM remote('127.0.0.1:9', 'system', 'one')",
        "SET readonly = 0",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT 1 SETTINGS max_execution_time = 1000",
    ],
)
def test_engine_readers_are_read_only_even_for_raw_sql(demo_world: LocalHogQL, sql: str) -> None:
    with pytest.raises(QueryError, match="refused"):
        demo_world.engine.read(sql.format(db=f"`{demo_world.world.database}`"))
    events = demo_world.engine.read(f"SELECT count() FROM `{demo_world.world.database}`.events")
    assert events.data[0][0] == demo_world.world.totals.events


@pytest.mark.parametrize(
    "hogql",
    [
        "INSERT INTO events SELECT * FROM events",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT file('/etc/hostname')",
        "SELECT * FROM system.tables",
        "SELECT name FROM system.settings",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT 1; DROP TABLE events",
        "SET readonly = 0",
        "SELECT count() FROM events WHERE 0 IN system.one",
        "SELECT count() FROM events WHERE 0 IN (system.one)",
        "SELECT count() FROM events WHERE 0 IN nosuchdb.x",
        "SELECT fullHostName(), user(), current_user(), currentDatabase()",
        "SELECT initial_query_id(), currentQueryID()",
        "SELECT getServerSetting('path')",
        "SELECT current_user",
    ],
)
async def test_hogql_writes_table_functions_system_tables_settings_and_multi_statements_fail(
    demo_world: LocalHogQL, hogql: str
) -> None:
    with pytest.raises(QueryError):
        await demo_world.query(hogql)


@pytest.mark.parametrize(
    "hogql",
    [
        "SELECT getServerSetting('path')",
        "SELECT count() FROM events WHERE 0 IN system.one",
        "SELECT count() FROM events WHERE 0 IN nosuchdb.x",
        "SELECT currentDatabase()",
    ],
)
async def test_refusals_reveal_neither_the_data_folder_nor_the_database(
    demo_world: LocalHogQL, hogql_home, hogql: str
) -> None:
    with pytest.raises(QueryError) as caught:
        await demo_world.query(hogql)
    line = caught.value.one_line()
    assert str(hogql_home) not in line
    assert demo_world.world.database not in line
    assert "does not exist" not in line


def test_a_failed_query_does_not_leak_into_the_next_answer(demo_world: LocalHogQL) -> None:
    with pytest.raises(QueryError):
        demo_world.engine.read("SELECT throwIf(number = 70000) FROM numbers(100000)")
    assert demo_world.engine.read("SELECT 42 AS answer").data == [[42]]


# -- concurrency ----------------------------------------------------------------------------


async def test_parallel_tasks_each_get_their_own_answer(demo_world: LocalHogQL) -> None:
    """Sixteen tasks query at once (anyio task group -> worker threads -> pooled readers).

    Each query asks for a different day; every answer must be that day's own count.
    """
    days = raw(
        demo_world,
        "SELECT toString(toDate(timestamp)) AS d, count() FROM {db}.events GROUP BY d ORDER BY d",
    )[:16]
    answers: dict[str, list] = {}

    async def ask(day: str) -> None:
        response = await demo_world.query(
            f"SELECT '{day}' AS day, count() FROM events WHERE toDate(timestamp) = '{day}'"
        )
        answers[day] = response.results

    async with anyio.create_task_group() as group:
        for day, _ in days:
            group.start_soon(ask, day)
    assert answers == {day: [[day, count]] for day, count in days}


def test_parallel_threads_each_get_their_own_answer(demo_world: LocalHogQL) -> None:
    """Eight OS threads call the synchronous entry point at once, released together."""
    barrier = threading.Barrier(8)

    def ask(n: int) -> list:
        barrier.wait()
        return demo_world.query_sync(f"SELECT {n} AS n, count() > 0 FROM events").results

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, range(8)))
    assert results == [[[n, True]] for n in range(8)]
