"""The process-wide chDB engine: one data folder per process, limits, error parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.errors import ConfigError, QueryError
from posthog_escalation.tools.hogql import LocalHogQL, get_engine, pin_home, world_home
from posthog_escalation.tools.hogql.engine import ChEngine, EngineLimits, parse_failure


def test_a_second_data_folder_is_refused_with_both_folders_named(
    demo_world: LocalHogQL, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        get_engine(tmp_path)
    line = caught.value.one_line()
    assert "only one data folder per process" in line
    assert str(demo_world.engine.folder) in line
    assert str(tmp_path / "chdb") in line


def test_pinning_another_home_once_the_engine_is_open_is_refused(
    demo_world: LocalHogQL, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError):
        pin_home(tmp_path)


def test_the_pinned_home_wins_over_any_data_dir(hogql_home: Path, tmp_path: Path) -> None:
    assert world_home(tmp_path) == hogql_home.resolve()


def test_the_same_folder_gives_the_same_engine(demo_world: LocalHogQL, hogql_home: Path) -> None:
    assert get_engine(hogql_home) is demo_world.engine


def test_clickhouse_errors_split_into_code_and_message() -> None:
    failure = parse_failure(
        RuntimeError(
            "Code: 60. DB::Exception: Unknown table expression identifier 'x' in scope "
            "SELECT * FROM x. (UNKNOWN_TABLE) (version 26.9.2.1)"
        )
    )
    assert failure.code == "UNKNOWN_TABLE"
    assert failure.message == "Unknown table expression identifier 'x' in scope SELECT * FROM x."


def test_queries_over_the_time_limit_are_stopped(demo_world: LocalHogQL, hogql_home: Path) -> None:
    strict = ChEngine(hogql_home, EngineLimits(max_execution_seconds=0.2, readers=1))
    db = f"`{demo_world.world.database}`"
    with pytest.raises(QueryError, match="time limit"):
        strict.read(f"SELECT sum(cityHash64(a.uuid, b.uuid)) FROM {db}.events a, {db}.events b")
    strict.close()


def test_results_over_the_size_limit_are_refused(demo_world: LocalHogQL, hogql_home: Path) -> None:
    strict = ChEngine(hogql_home, EngineLimits(max_result_rows=10, readers=1))
    db = f"`{demo_world.world.database}`"
    with pytest.raises(QueryError, match="result too large"):
        strict.read(f"SELECT uuid FROM {db}.events LIMIT 100000")
    assert strict.read("SELECT 1").data == [[1]]
    strict.close()
