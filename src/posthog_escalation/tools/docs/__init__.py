"""Docs search: a section-level bm25s index over PostHog docs sources.

``open_docs_index(settings)`` gives a :class:`DocsIndex` (a :class:`DocsSearch`) for the
configured docs: the folder in ``settings.docs_dir``, else the docs ``docs sync`` fetched
into the data folder, else the small docs folder shipped with the package. The index is
hybrid when the shipped WordLlama model loads: bm25s and dense similarity, fused.

``answer_from_docs(index, subject, symptom, error, route=...)`` gives the best section
for a support problem with its answering sentence and a calibrated confidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import lazy

if TYPE_CHECKING:
    from .answer import ANSWER_MIN_CONFIDENCE, DocsAnswer, answer_from_docs, problem_query
    from .embedding import TextEncoder, WordLlamaEncoder, default_encoder
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

__getattr__, __dir__ = lazy.exports(__name__, __file__)

__all__ = [
    "ANSWER_MIN_CONFIDENCE",
    "AREA_ROUTES",
    "DEFAULT_REPO",
    "DocHit",
    "DocsAnswer",
    "DocsIndex",
    "DocsSearch",
    "DocsSource",
    "IndexStats",
    "IndexStoreError",
    "RankingParams",
    "SkipKind",
    "SkippedFile",
    "SyncResult",
    "TextEncoder",
    "WordLlamaEncoder",
    "answer_from_docs",
    "build_index",
    "content_hash",
    "default_encoder",
    "github_slug",
    "load_index",
    "open_docs_index",
    "open_folder_index",
    "page_area",
    "page_url",
    "parse_folder",
    "problem_query",
    "resolve_docs_folder",
    "route_for_area",
    "shipped_docs_dir",
    "sync_docs",
]
