"""Worlds on disk: immutable folders, locks between processes, read-only attachment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fixtures_hogql import small_spec
from posthog_escalation.errors import ConfigError
from posthog_escalation.tools.hogql import LocalHogQL, build_world, get_engine, parse_world_spec
from posthog_escalation.tools.hogql.world_store import (
    MANIFEST_FILE,
    WorldLock,
    read_manifest,
)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``folder``: (size, modification time in ns)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        stat = path.stat()
        out[str(path.relative_to(folder))] = (
            stat.st_size if path.is_file() else 0,
            stat.st_mtime_ns,
        )
    return out


def spec(name: str, **overrides):
    return parse_world_spec(small_spec(name=name, **overrides), source="t")


def test_a_world_folder_holds_its_tables_truth_spec_and_manifest(tmp_path: Path) -> None:
    info = build_world(spec("layout"), home=tmp_path)
    folder = info.ground_truth_path.parent
    manifest = read_manifest(folder)
    assert manifest is not None
    assert manifest.database == info.database
    assert manifest.totals == info.totals
    assert [t.name for t in manifest.tables] == [
        "events",
        "persons",
        "groups",
        "sessions",
        "ingestion_warnings",
    ]
    for table in manifest.tables:
        assert (folder / "store" / table.uuid[:3] / table.uuid / "format_version.txt").is_file()
    assert {p.name for p in folder.iterdir()} == {
        "manifest.json",
        "ground_truth.json",
        "spec.json",
        "store",
    }


def test_attached_tables_refuse_writes_even_from_the_writer(tmp_path: Path) -> None:
    world = LocalHogQL.open(spec("sealed"), home=tmp_path)
    db = f"`{world.world.database}`"
    with pytest.raises(Exception, match="readonly"):
        world.engine.execute(f"INSERT INTO {db}.groups (`index`, `key`) VALUES (0, 'x')")
    assert world.query_sync("SELECT count() FROM groups").scalar() == 3


def test_reopening_and_querying_a_world_changes_none_of_its_files(tmp_path: Path) -> None:
    world = LocalHogQL.open(spec("untouched"), home=tmp_path)
    folder = world.world.ground_truth_path.parent
    before = snapshot(folder)
    again = LocalHogQL.open(spec("untouched"), home=tmp_path)
    again.query_sync("SELECT event, count() FROM events GROUP BY event")
    again.query_sync("SELECT properties.name FROM groups")
    assert again.world.reused
    assert snapshot(folder) == before


def test_an_unfinished_folder_is_built_again(tmp_path: Path) -> None:
    first = build_world(spec("crashed"), home=tmp_path)
    folder = first.ground_truth_path.parent
    (folder / MANIFEST_FILE).unlink()  # what a build killed before its last step leaves
    again = LocalHogQL.open(spec("crashed"), home=tmp_path)
    assert not again.world.reused
    assert again.query_sync("SELECT count() FROM events").scalar() == first.totals.events
    assert read_manifest(folder) is not None


def test_a_manifest_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    first = build_world(spec("old-format"), home=tmp_path)
    path = first.ground_truth_path.parent / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["format"] = 0
    path.write_text(json.dumps(data))
    assert not build_world(spec("old-format"), home=tmp_path).reused


def test_force_is_refused_while_another_holder_has_the_world_open(tmp_path: Path) -> None:
    info = build_world(spec("busy"), home=tmp_path)
    other = WorldLock(tmp_path, info.database)  # its own open file, as another process has
    assert other.shared(wait=False)
    with pytest.raises(ConfigError, match="open in another process"):
        build_world(spec("busy"), home=tmp_path, force=True)
    counted = get_engine().rows(f"SELECT count() FROM `{info.database}`.events")[0][0]
    assert counted == info.totals.events  # still attached and usable here
    other.release()
    rebuilt = build_world(spec("busy"), home=tmp_path, force=True)
    assert not rebuilt.reused
    counted = get_engine().rows(f"SELECT count() FROM `{info.database}`.events")[0][0]
    assert counted == info.totals.events


def test_an_old_version_in_use_elsewhere_is_kept(tmp_path: Path) -> None:
    old = build_world(spec("versioned"), home=tmp_path)
    other = WorldLock(tmp_path, old.database)
    assert other.shared(wait=False)
    new = build_world(spec("versioned", days=5), home=tmp_path)
    assert new.database != old.database
    assert old.ground_truth_path.parent.is_dir()
    other.release()


OPEN_WORLD = """
import json, sys
from posthog_escalation.tools.hogql import LocalHogQL
world = LocalHogQL.open(sys.argv[1], home=sys.argv[2])
count = world.query_sync("SELECT count() FROM events").scalar()
print(json.dumps({"reused": world.world.reused, "count": count}))
"""


@pytest.mark.slow
def test_two_first_users_build_a_world_once_and_both_use_it(tmp_path: Path) -> None:
    spec_file = tmp_path / "race.yaml"
    spec_file.write_text(yaml.safe_dump(small_spec(name="race")), encoding="utf-8")
    home = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-c", OPEN_WORLD, str(spec_file), str(home)]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(2)
    ]
    answers = []
    for run in runs:
        out, err = run.communicate(timeout=240)
        assert run.returncode == 0, err.decode()
        answers.append(json.loads(out))
    assert sorted(a["reused"] for a in answers) == [False, True]
    assert answers[0]["count"] == answers[1]["count"] > 0
    folder = next((home / "worlds").glob("w_race_*"))
    before = snapshot(folder)
    third = subprocess.run(command, capture_output=True, env=env, timeout=240, check=True)
    assert json.loads(third.stdout)["reused"] is True
    assert snapshot(folder) == before


def test_a_data_folder_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot write worlds under"):
        build_world(spec("nowhere"), home=blocker)
