"""Docs search: a section-level bm25s index over PostHog docs sources.

``open_docs_index(settings)`` gives a :class:`DocsIndex` (a :class:`DocsSearch`) for the
configured docs: the folder in ``settings.docs_dir``, else the docs ``docs sync`` fetched
into the data folder, else the small docs folder shipped with the package.
"""

from .index import (
    IndexStoreError,
    build_index,
    content_hash,
    load_index,
    open_docs_index,
    open_folder_index,
    resolve_docs_folder,
    shipped_docs_dir,
)
from .models import DocHit, DocsSource, IndexStats, SkipKind, SkippedFile, SyncResult
from .parse import github_slug, page_area, page_url, parse_folder
from .routing import AREA_ROUTES, route_for_area
from .search import DocsIndex, DocsSearch, RankingParams
from .sync import DEFAULT_REPO, sync_docs

__all__ = [
    "AREA_ROUTES",
    "DEFAULT_REPO",
    "DocHit",
    "DocsIndex",
    "DocsSearch",
    "DocsSource",
    "IndexStats",
    "IndexStoreError",
    "RankingParams",
    "SkipKind",
    "SkippedFile",
    "SyncResult",
    "build_index",
    "content_hash",
    "github_slug",
    "load_index",
    "open_docs_index",
    "open_folder_index",
    "page_area",
    "page_url",
    "parse_folder",
    "resolve_docs_folder",
    "route_for_area",
    "shipped_docs_dir",
    "sync_docs",
]
