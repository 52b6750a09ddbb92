"""Persisting and reopening the docs index: keyed by content, rebuilt only when stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posthog_escalation.errors import ConfigError
from posthog_escalation.tools.docs import (
    RankingParams,
    build_index,
    content_hash,
    load_index,
    open_docs_index,
    open_folder_index,
    shipped_docs_dir,
)

QUERIES = ["recordings are blank", "posthog.shutdown()", "person properties", "merge"]


def _saved(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir() if p.is_dir())


def test_a_saved_index_answers_exactly_like_the_built_one(
    fixture_docs: Path, tmp_path: Path
) -> None:
    built = build_index(fixture_docs, store=tmp_path / "store")
    loaded = load_index(tmp_path / "store" / built.stats.content_hash[:24])
    for query in QUERIES:
        assert loaded.search(query, limit=10) == built.search(query, limit=10)
    assert loaded.areas() == built.areas()
    assert loaded.stats.pages == built.stats.pages
    assert loaded.stats.index_bytes > 0


def test_opening_twice_builds_once(fixture_docs: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = open_folder_index(fixture_docs, store)
    second = open_folder_index(fixture_docs, store)
    assert second.stats.built_at == first.stats.built_at
    assert _saved(store) == [first.stats.content_hash[:24]]


def test_changing_a_page_rebuilds_with_a_new_hash(fixture_docs: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = open_folder_index(fixture_docs, store)
    page = fixture_docs / "contents" / "docs" / "libraries" / "python" / "index.mdx"
    page.write_text(page.read_text() + "\n## Celery\n\nCreate the client after the fork.\n")
    second = open_folder_index(fixture_docs, store)
    assert second.stats.content_hash != first.stats.content_hash
    assert second.search("celery fork")[0].url.endswith("/libraries/python#celery")


def test_touching_files_without_changing_them_reuses_the_index(
    fixture_docs: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    first = open_folder_index(fixture_docs, store)
    for path in (fixture_docs / "contents" / "docs").rglob("*.mdx"):
        path.write_bytes(path.read_bytes())
    second = open_folder_index(fixture_docs, store)
    assert second.stats.built_at == first.stats.built_at


def test_the_hash_covers_content_and_ranking_parameters(fixture_docs: Path) -> None:
    default = content_hash(fixture_docs, RankingParams())
    assert content_hash(fixture_docs, RankingParams()) == default
    assert content_hash(fixture_docs, RankingParams(heading=3.0)) != default


def test_a_damaged_saved_index_is_rebuilt(fixture_docs: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = open_folder_index(fixture_docs, store)
    saved = store / first.stats.content_hash[:24]
    (saved / "data.npy").write_bytes(b"garbage")
    (saved / "meta.json").write_text(json.dumps({"format": -1}))
    again = open_folder_index(fixture_docs, store)
    assert again.search("recordings are blank")[0].heading == "Recordings are blank"


def test_an_unwritable_store_falls_back_to_memory(fixture_docs: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store folder should be")
    index = open_folder_index(fixture_docs, blocker / "store")
    assert index.stats.index_bytes == 0
    assert index.search("recordings are blank")[0].heading == "Recordings are blank"


def test_old_indexes_are_pruned(tmp_path: Path, docs_writer) -> None:
    store = tmp_path / "store"
    root = docs_writer(tmp_path / "site", {"a/p.mdx": "---\ntitle: P\n---\n\nversion 0\n"})
    page = root / "contents" / "docs" / "a" / "p.mdx"
    for version in range(1, 6):
        page.write_text(f"---\ntitle: P\n---\n\nversion {version}\n")
        latest = open_folder_index(root, store)
    names = _saved(store)
    assert len(names) == 3
    assert latest.stats.content_hash[:24] in names


def test_settings_docs_dir_wins(fixture_docs: Path, settings_for) -> None:
    index = open_docs_index(settings_for(docs_dir=fixture_docs))
    assert index.stats.source.kind == "folder"
    assert "libraries/python" in index.areas()


def test_a_missing_docs_dir_is_a_config_error(tmp_path: Path, settings_for) -> None:
    with pytest.raises(ConfigError) as caught:
        open_docs_index(settings_for(docs_dir=tmp_path / "missing"))
    assert "POSTHOG_ESCALATION_DOCS_DIR" in caught.value.one_line()


def test_without_synced_docs_the_shipped_default_is_used(settings_for) -> None:
    settings = settings_for()
    index = open_docs_index(settings)
    assert index.stats.source.kind == "shipped"
    assert index.stats.skipped == []
    assert (settings.data_dir / "docs" / "index").is_dir()


def test_synced_docs_under_the_data_folder_come_before_the_shipped_ones(
    fixture_docs: Path, settings_for
) -> None:
    settings = settings_for()
    synced = settings.data_dir / "docs" / "source"
    synced.mkdir(parents=True)
    (synced / "contents").symlink_to(fixture_docs / "contents", target_is_directory=True)
    index = open_docs_index(settings)
    assert index.stats.pages == 7
    assert index.stats.source.kind == "local-copy"


def test_the_shipped_docs_folder_is_inside_the_package() -> None:
    assert (shipped_docs_dir() / "contents" / "docs" / "session-replay" / "privacy.mdx").is_file()
