"""HogQL -> ClickHouse translation, without running anything."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from posthog_escalation.errors import QueryError
from posthog_escalation.tools.hogql import translate, validate_expression
from posthog_escalation.tools.hogql.functions import allowed_functions
from posthog_escalation.tools.hogql.translate import has_limit, quote_dollar_identifiers

DB = "w_test"


def sql(hogql: str, **kwargs) -> str:
    return translate(hogql, database=DB, **kwargs).clickhouse


def test_dollar_identifiers_are_quoted_outside_strings_and_comments() -> None:
    text = (
        "SELECT properties.$browser, '$not_me' -- $nor_me\n"
        "FROM events /* $x */ WHERE $session_id = ''"
    )
    assert quote_dollar_identifiers(text) == (
        "SELECT properties.`$browser`, '$not_me' -- $nor_me\nFROM events /* $x */ "
        "WHERE `$session_id` = ''"
    )


def test_tables_are_qualified_with_the_world_database_and_keep_their_names() -> None:
    out = sql("SELECT events.event FROM events")
    assert f"FROM {DB}.events AS events" in out
    assert "events.event" in out


def test_ingestion_warnings_is_the_only_system_table() -> None:
    assert f"FROM {DB}.ingestion_warnings AS ingestion_warnings" in sql(
        "SELECT type FROM system.ingestion_warnings"
    )
    with pytest.raises(QueryError, match='Unknown table "system.tables"'):
        sql("SELECT * FROM system.tables")


def test_unknown_table_names_the_table_and_suggests_a_near_one() -> None:
    with pytest.raises(QueryError) as caught:
        sql("SELECT * FROM evnts")
    assert caught.value.message == 'Unknown table "evnts". Did you mean "events"?'


@pytest.mark.parametrize("name", ["default.events", "other.persons"])
def test_tables_of_other_databases_are_unknown(name: str) -> None:
    with pytest.raises(QueryError, match="Unknown table"):
        sql(f"SELECT * FROM {name}")


def test_properties_are_read_with_one_json_extraction() -> None:
    out = sql("SELECT properties.plan FROM persons")
    assert "JSONExtract(properties, 'plan', 'Nullable(String)')" in out
    assert "replaceRegexpAll" not in out and "JSONExtractRaw" not in out


def test_nested_and_indexed_property_paths_become_json_paths() -> None:
    out = sql("SELECT e.properties.$exception_list.1.type, properties.a.b FROM events e")
    assert "JSONExtract(e.properties, '$exception_list', 1, 'type', 'Nullable(String)')" in out
    assert "JSONExtract(properties, 'a', 'b', 'Nullable(String)')" in out


def test_hot_event_properties_read_their_materialized_column() -> None:
    out = sql("SELECT properties.$browser FROM events")
    assert 'events."mat_$browser"' not in out
    assert '"mat_$browser"' in out
    assert "JSONExtract" not in out


def test_materialized_columns_are_used_only_for_the_events_table() -> None:
    joined = sql(
        "SELECT e.properties.$browser, g.properties.$browser FROM events e "
        "JOIN groups g ON g.key = e.$group_0"
    )
    assert 'e."mat_$browser"' in joined
    assert "JSONExtract(g.properties, '$browser', 'Nullable(String)')" in joined


def test_person_properties_read_the_persons_on_events_column() -> None:
    out = sql("SELECT person.properties.email, e.person.properties.name FROM events e")
    assert "JSONExtract(person_properties, 'email', 'Nullable(String)')" in out
    assert "JSONExtract(e.person_properties, 'name', 'Nullable(String)')" in out


def test_comparisons_with_properties_are_null_safe() -> None:
    out = sql(
        "SELECT count() FROM events WHERE properties.$browser != 'Safari' "
        "AND properties.plan = 'x' AND properties.n > 1"
    )
    assert "ifNull(\"mat_$browser\" <> 'Safari', 1)" in out
    assert "= 'x', 0)" in out
    assert "> 1, 0)" in out


def test_comparing_with_null_becomes_is_null() -> None:
    out = sql("SELECT count() FROM events WHERE properties.x = NULL OR properties.y != NULL")
    assert "IS NULL" in out
    assert "NOT" in out and "= NULL" not in out


def test_plain_column_comparisons_are_left_alone() -> None:
    assert "WHERE event = '$pageview'" in sql("SELECT 1 FROM events WHERE event = '$pageview'")


@pytest.mark.parametrize(
    ("hogql", "expected"),
    [
        ("toFloat(properties.arr)", "accurateCastOrNull("),
        ("toInt('3')", "accurateCastOrNull('3', 'Int64')"),
        (
            "toDateTime('2026-11-14 09:00:00')",
            "parseDateTime64BestEffortOrNull('2026-11-14 09:00:00', 6, 'UTC')",
        ),
        ("toDate('2026-11-14')", "toDateOrNull('2026-11-14')"),
        ("toDate(timestamp)", "toDate(timestamp)"),
        ("now()", "now64(6, 'UTC')"),
    ],
)
def test_hogql_functions_map_to_what_posthog_maps_them_to(hogql: str, expected: str) -> None:
    assert expected in sql(f"SELECT {hogql} FROM events")


def test_now_today_and_yesterday_follow_the_worlds_clock() -> None:
    clock = datetime(2026, 11, 20, 12, tzinfo=UTC)
    out = sql("SELECT now(), today(), yesterday()", now=clock)
    assert out.count("toDateTime64('2026-11-20 12:00:00.000000', 6, 'UTC')") == 3


def test_query_without_limit_fetches_the_default_plus_one_row() -> None:
    t = translate("SELECT event FROM events", database=DB)
    assert (t.limit, t.offset) == (100, 0)
    assert t.clickhouse.endswith("LIMIT 101")


def test_limits_are_capped_at_fifty_thousand() -> None:
    assert translate("SELECT event FROM events LIMIT 999999", database=DB).limit == 50_000
    assert translate("SELECT event FROM events", database=DB, limit=70_000).limit == 50_000


def test_the_querys_own_limit_and_offset_win_over_the_callers() -> None:
    t = translate("SELECT event FROM events LIMIT 5 OFFSET 2", database=DB, limit=50, offset=9)
    assert (t.limit, t.offset) == (5, 2)
    assert t.clickhouse.endswith("LIMIT 6 OFFSET 2")


def test_caller_limit_and_offset_apply_to_queries_without_them() -> None:
    t = translate("SELECT event FROM events", database=DB, limit=10, offset=20)
    assert t.clickhouse.endswith("LIMIT 11 OFFSET 20")


def test_unions_are_wrapped_so_the_limit_applies_to_the_whole_result() -> None:
    out = sql("SELECT event FROM events UNION ALL SELECT event FROM events")
    assert out.startswith("SELECT * FROM (")
    assert out.endswith("LIMIT 101")


def test_ctes_are_allowed_and_not_mistaken_for_tables() -> None:
    out = sql("WITH x AS (SELECT event FROM events) SELECT event FROM x")
    assert "FROM x" in out
    assert f"{DB}.events" in out


def test_display_names_follow_aliases_and_property_keys() -> None:
    t = translate(
        "SELECT event, properties.$browser, count() AS n, countIf(properties.$os = 'iOS') "
        "FROM events GROUP BY event, properties.$browser",
        database=DB,
    )
    assert t.columns == ("event", "$browser", "n", "countIf(properties.$os = 'iOS')")


def test_star_leaves_column_names_to_clickhouse() -> None:
    assert translate("SELECT * FROM events", database=DB).columns is None


@pytest.mark.parametrize(
    ("hogql", "message"),
    [
        ("", "Empty query"),
        ("SELECT 1; SELECT 2", "Only one statement is allowed, got 2"),
        ("INSERT INTO events SELECT * FROM events", "Only SELECT queries are allowed, got INSERT"),
        ("DROP TABLE events", "Only SELECT queries are allowed"),
        ("ALTER TABLE events DELETE WHERE 1", "Only SELECT queries are allowed"),
        ("SET readonly = 0", "Only SELECT queries are allowed"),
        ("SHOW TABLES", "Only SELECT queries are allowed"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS is not allowed"),
        ("SELECT event FROM events FORMAT JSON", "FORMAT is not allowed"),
        ("SELECT * FROM file('/etc/passwd', 'LineAsString')", "Table functions are not allowed"),
        ("SELECT * FROM url('http://example.com', 'CSV')", "Table functions are not allowed"),
        ("SELECT * FROM remote('h', 'db', 't')", "Table functions are not allowed"),
        ("SELECT * FROM events JOIN numbers(10) AS n ON 1", "Table functions are not allowed"),
        ("SELECT file('/etc/hostname')", "Function 'file' is not allowed"),
        ("SELECT dictGet('d', 'a', 1)", "is not allowed"),
        ("SELECT count() FROM events WHERE 1 IN (SELECT 1 FROM s3('x'))", "Table functions"),
        ("SELECT * FROM events WHERE event = {name}", "Placeholders are not supported"),
        ("SELECT * FROM events WHERE event = 'open", "Unterminated string"),
        ("SELECT FROM WHERE", "Syntax error"),
        ("SELECT event FROM events LIMIT x", "LIMIT must be a whole number"),
    ],
)
def test_forbidden_or_broken_queries_are_refused_with_a_clear_message(
    hogql: str, message: str
) -> None:
    with pytest.raises(QueryError) as caught:
        translate(hogql, database=DB)
    assert message in caught.value.message
    assert "\n" not in caught.value.one_line()


def test_has_limit_sees_only_the_outermost_limit() -> None:
    assert has_limit("SELECT event FROM events LIMIT 3")
    assert not has_limit("SELECT event FROM (SELECT event FROM events LIMIT 3)")


def test_validate_expression_accepts_one_condition() -> None:
    validate_expression("event = '$exception' AND properties.$exception_message ILIKE '%x%'")


@pytest.mark.parametrize(
    "expression",
    ["", "1) OR (1", "event = 'a'; DROP TABLE events", "x IN (SELECT 1 FROM file('a'))"],
)
def test_validate_expression_refuses_anything_but_one_condition(expression: str) -> None:
    with pytest.raises(QueryError):
        validate_expression(expression)


# -- HogQL stays inside its tables -------------------------------------------------------


@pytest.mark.parametrize(
    "hogql",
    [
        "SELECT count() FROM events WHERE 0 IN system.one",
        "SELECT count() FROM events WHERE 0 IN (system.one)",
        "SELECT count() FROM events WHERE 0 IN ((system.one))",
        "SELECT count() FROM events WHERE 0 GLOBAL NOT IN system.one",
        "SELECT count() FROM events WHERE 0 IN `system.one`",
        "SELECT count() FROM events WHERE event IN (SELECT name FROM system.tables)",
        "SELECT count() FROM events e JOIN system.one o ON 1 = 1",
        "WITH x AS (SELECT dummy FROM system.one) SELECT count() FROM x",
        "SELECT count() FROM (SELECT * FROM (SELECT dummy FROM system.one))",
        "SELECT count() FROM events ARRAY JOIN [1] AS a WHERE a IN system.one",
    ],
)
def test_every_table_reference_is_checked_wherever_it_stands(hogql: str) -> None:
    with pytest.raises(QueryError, match=r'Unknown table "system\.(one|tables)"'):
        translate(hogql, database=DB)


def test_an_unknown_database_gets_the_same_answer_as_a_real_one() -> None:
    with pytest.raises(QueryError) as real:
        translate("SELECT count() FROM events WHERE 0 IN system.one", database=DB)
    with pytest.raises(QueryError) as unknown:
        translate("SELECT count() FROM events WHERE 0 IN nosuchdb.x", database=DB)
    assert real.value.message == 'Unknown table "system.one".'
    assert unknown.value.message == 'Unknown table "nosuchdb.x".'
    assert real.value.hint == unknown.value.hint


def test_in_may_name_a_hogql_table_a_cte_or_a_column() -> None:
    warnings = sql("SELECT count() FROM events WHERE 'x' IN system.ingestion_warnings")
    assert f"IN {DB}.ingestion_warnings" in warnings
    cte = sql("WITH t AS (SELECT event FROM events) SELECT 1 FROM events WHERE event IN t")
    assert "event IN t" in cte
    assert "1 IN arr" in sql("SELECT 1 IN arr FROM (SELECT [1] AS arr)")


@pytest.mark.parametrize(
    ("hogql", "name"),
    [
        ("SELECT fullHostName()", "fullHostName"),
        ("SELECT hostName()", "hostName"),
        ("SELECT user()", "user"),
        ("SELECT current_user()", "current_user"),
        ("SELECT current_user", "CURRENT_USER"),
        ("SELECT currentUser()", "currentUser"),
        ("SELECT currentDatabase()", "currentDatabase"),
        ("SELECT initial_query_id()", "initial_query_id"),
        ("SELECT currentQueryID()", "currentQueryID"),
        ("SELECT queryID()", "queryID"),
        ("SELECT getServerSetting('path')", "getServerSetting"),
        ("SELECT getSetting('max_threads')", "getSetting"),
        ("SELECT version()", "version"),
        ("SELECT uptime()", "uptime"),
        ("SELECT `user`()", "user"),
        ("SELECT count() FROM events WHERE event = toString(serverUUID())", "serverUUID"),
        ("SELECT dictGet('d', 'a', 1)", "dictGet"),
        ("SELECT joinGet('system.one', 'dummy', 0)", "joinGet"),
        ("SELECT file('/etc/hostname')", "file"),
        ("SELECT sleep(3)", "sleep"),
        ("SELECT throwIf(1)", "throwIf"),
    ],
)
def test_functions_outside_the_allow_list_are_refused_by_name(hogql: str, name: str) -> None:
    with pytest.raises(QueryError) as caught:
        translate(hogql, database=DB)
    assert caught.value.message == f"Function '{name}' is not allowed in HogQL"


def test_validate_expression_applies_the_same_allow_lists() -> None:
    with pytest.raises(QueryError, match="Function 'currentDatabase' is not allowed"):
        validate_expression("event = currentDatabase()")
    with pytest.raises(QueryError, match='Unknown table "system.one"'):
        validate_expression("0 IN system.one")


def test_a_misspelt_function_gets_a_suggestion() -> None:
    with pytest.raises(QueryError) as caught:
        translate("SELECT coutn() FROM events", database=DB)
    assert caught.value.hint == "did you mean count()?"


def test_every_allowed_function_survives_translation() -> None:
    """Each allowed function, called with any number of arguments that parses, is refused
    neither by the call check on the query nor by the one on the generated ClickHouse SQL
    (which sees the names the SQL generator writes, such as LTRIM for trimLeft)."""
    refused, translated = [], set()
    for name in allowed_functions():
        for args in ("", "x", "x, y", "x, y, z", "x, y, z, w", "x, y, z, w, v, u"):
            try:
                translate(f"SELECT {name}({args}) FROM events", database=DB)
                translated.add(name)
            except QueryError as exc:
                if "is not allowed" in exc.message:
                    refused.append((name, args, exc.message))
    assert refused == []
    assert set(allowed_functions()) - translated <= {"cast"}


@pytest.mark.parametrize(
    "hogql",
    [
        "SELECT uniqExactIf(person_id, event = 'x'), countDistinctIf(x, y) FROM events",
        "SELECT quantile(0.5)(toFloat(properties.n)), arrayMap(x -> x + 1, [1, 2]) FROM events",
        "SELECT CAST(event AS Nullable(String)), event::LowCardinality(String) FROM events",
        "SELECT if(event = 'a', 1, 0), multiIf(1, 2, 3), dateDiff('day', timestamp, now())",
        "SELECT row_number() OVER (PARTITION BY event ORDER BY timestamp) FROM events",
        "SELECT count() FROM events WHERE match(properties.$current_url, '^https')",
    ],
)
def test_ordinary_hogql_calls_are_allowed(hogql: str) -> None:
    assert translate(hogql, database=DB).clickhouse


# -- parsing limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hogql", "message"),
    [
        ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "nests brackets 3000 deep"),
        ("SELECT " + "[" * 3000 + "1" + "]" * 3000, "nests brackets 3000 deep"),
        ("SELECT " + "abs(" * 3000 + "1" + ")" * 3000, "nests brackets 3000 deep"),
        ("SELECT " + "NOT " * 3000 + "1", "nested too deeply"),
        ("SELECT " + "CASE WHEN 1 THEN " * 1000 + "1" + " END" * 1000, "nested too deeply"),
        ("SELECT properties." + ".".join(["a"] * 3000) + " FROM events", "nested too deeply"),
    ],
)
def test_deep_nesting_is_one_clear_error_not_a_recursion_error(hogql: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        translate(hogql, database=DB)
    assert message in caught.value.message
    assert "\n" not in caught.value.one_line()


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert translate("SELECT " + "(" * 100 + "1" + ")" * 100, database=DB).clickhouse


def test_deep_nesting_in_an_expression_is_one_clear_error() -> None:
    with pytest.raises(QueryError, match="nests brackets 3000 deep"):
        validate_expression("(" * 3000 + "1" + ")" * 3000)
