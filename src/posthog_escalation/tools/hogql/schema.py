"""The PostHog-shaped tables of an embedded world, shared by the generator and translator.

Property access follows PostHog: ``properties.$browser`` reads the JSON text, a missing
key or JSON null is NULL, strings come back unquoted and other values as their JSON text
(``JSONExtract(properties, '$browser', 'Nullable(String)')``).
Hot properties are materialized as ``mat_<key>`` columns computed with the very same
expression, so reading them is identical to reading the JSON, only faster.
"""

from __future__ import annotations

from collections.abc import Sequence

HOGQL_TABLES: dict[str, str] = {
    "events": "events",
    "persons": "persons",
    "groups": "groups",
    "sessions": "sessions",
    "system.ingestion_warnings": "ingestion_warnings",
}
"""HogQL table name -> table name inside a world's database."""

JSON_COLUMNS = frozenset({"properties", "person_properties", "details"})
"""Columns holding JSON text, readable with ``column.key.subkey`` paths."""

MATERIALIZED_PROPERTIES: tuple[str, ...] = (
    "$lib",
    "$lib_version",
    "$browser",
    "$os",
    "$device_type",
    "$current_url",
    "$exception_type",
    "$exception_message",
    "$feature_flag",
)
"""Event properties stored as ``mat_<key>`` columns of ``events``."""


PROPERTY_TYPE = "Nullable(String)"
"""The type a property is read as."""


def sql_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def property_sql(column: str, path: Sequence[str | int]) -> str:
    """ClickHouse SQL reading a JSON path from ``column`` with PostHog's NULL rules.

    A missing key or JSON null is NULL, a string comes back unquoted and unescaped, and a
    number, boolean, object or array as its JSON text, all from one JSON extraction.
    """
    keys = ", ".join(str(k) if isinstance(k, int) else sql_string(k) for k in path)
    return f"JSONExtract({column}, {keys}, {sql_string(PROPERTY_TYPE)})"


def materialized_column(key: str) -> str:
    """The column name holding a materialized event property."""
    return f"mat_{key}"


def quote_identifier(name: str) -> str:
    """A ClickHouse identifier in backticks."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


WORLD_TABLES: tuple[str, ...] = ("events", "persons", "groups", "sessions", "ingestion_warnings")
"""The tables of a world, in the order they are written."""


def table_definitions() -> dict[str, str]:
    """Each world table's columns and engine (what follows ``CREATE TABLE db.name``)."""
    groups = ",\n  ".join(f"`$group_{i}` String" for i in range(5))
    materialized = ",\n  ".join(
        f"{quote_identifier(materialized_column(key))} Nullable(String) "
        f"MATERIALIZED {property_sql('properties', [key])}"
        for key in MATERIALIZED_PROPERTIES
    )
    return {
        "events": f"""(
  uuid UUID,
  event LowCardinality(String),
  properties String CODEC(ZSTD(1)),
  timestamp DateTime64(6, 'UTC'),
  distinct_id String,
  elements_chain String,
  created_at DateTime64(6, 'UTC'),
  `$session_id` String,
  `$window_id` String,
  person_id UUID,
  person_properties String CODEC(ZSTD(1)),
  {groups},
  {materialized}
) ENGINE = MergeTree
ORDER BY (toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))""",
        "persons": """(
  id UUID,
  created_at DateTime64(6, 'UTC'),
  properties String,
  is_identified Bool
) ENGINE = MergeTree ORDER BY id""",
        "groups": """(
  `index` UInt8,
  `key` String,
  created_at DateTime64(6, 'UTC'),
  properties String
) ENGINE = MergeTree ORDER BY (`index`, `key`)""",
        "sessions": """(
  session_id String,
  distinct_id String,
  `$start_timestamp` DateTime64(6, 'UTC'),
  `$end_timestamp` DateTime64(6, 'UTC'),
  `$entry_current_url` Nullable(String),
  `$exit_current_url` Nullable(String),
  `$pageview_count` UInt64,
  `$autocapture_count` UInt64,
  `$screen_count` UInt64,
  `$session_duration` Int64,
  `$is_bounce` Bool
) ENGINE = MergeTree ORDER BY session_id""",
        "ingestion_warnings": """(
  source LowCardinality(String),
  type LowCardinality(String),
  details String,
  timestamp DateTime64(6, 'UTC')
) ENGINE = MergeTree ORDER BY timestamp""",
    }
