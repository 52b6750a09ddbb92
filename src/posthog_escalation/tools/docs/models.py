"""The docs search contracts: what a search returns and what an index reports about itself."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocHit(_Model):
    """One ranked docs section.

    Attributes:
        id: Stable section id: the page path under ``/docs/`` plus ``#anchor`` when the
            section has a heading (``session-replay/privacy#masking-inputs``).
        title: The page title.
        heading: The section's own heading, or None for the text before the first heading.
        breadcrumb: ``Page title > H2 > H3``.
        url: The public URL of the section, anchor included.
        snippet: A short passage around the best-matching sentence.
        score: The ranking score (comparable within one search only).
        area: The product area, from the top folder (``session-replay``,
            ``libraries/node``, ...).
        route: The playbook route key the area belongs to, when there is one.
        lexical: The section's lexical (bm25s, boosted) score, when ranked lexically.
        dense: The section's cosine similarity to the query, when the index is hybrid.
    """

    id: str
    title: str
    heading: str | None = None
    breadcrumb: str
    url: str
    snippet: str
    score: float
    area: str
    route: str | None = None
    lexical: float | None = None
    dense: float | None = None


class SkipKind(StrEnum):
    """Why a file was left out of the index."""

    FRONTMATTER = "malformed-frontmatter"
    JSX = "unclosed-jsx"
    BINARY = "binary"
    TOO_LARGE = "too-large"
    ENCODING = "not-utf8"
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    DUPLICATE = "duplicate-url"


class SkippedFile(_Model):
    """A docs file that was skipped, with the reason in one line."""

    path: str
    kind: SkipKind
    reason: str


class DocsSource(_Model):
    """Where the indexed docs came from."""

    kind: Literal["shipped", "folder", "git", "local-copy"]
    location: str
    commit: str | None = None
    synced_at: datetime | None = None


class IndexStats(_Model):
    """What an index holds and what building it cost.

    Attributes:
        content_hash: Hash of every docs file's path and bytes plus the index format; the
            persisted index is keyed by it.
        pages: Pages indexed.
        sections: Sections indexed.
        skipped: Files skipped, with their reasons.
        snippets_resolved: Snippet includes inlined from files that were present.
        snippets_missing: Snippet includes whose file was absent (their text is lost).
        build_seconds: Wall time of the build (parse + index).
        index_bytes: Size of the persisted index on disk (0 when held in memory only).
        built_at: When the index was built.
        source: Where the docs came from.
        areas: The product areas, sorted.
    """

    content_hash: str
    pages: int
    sections: int
    skipped: list[SkippedFile] = Field(default_factory=list)
    snippets_resolved: int = 0
    snippets_missing: int = 0
    build_seconds: float = 0.0
    index_bytes: int = 0
    built_at: datetime
    source: DocsSource
    areas: list[str] = Field(default_factory=list)

    @property
    def skipped_by_kind(self) -> dict[str, int]:
        """How many files were skipped for each reason."""
        counts: dict[str, int] = {}
        for item in self.skipped:
            counts[item.kind.value] = counts.get(item.kind.value, 0) + 1
        return dict(sorted(counts.items()))


class SyncResult(_Model):
    """What ``docs sync`` did."""

    source: DocsSource
    stats: IndexStats
    reused_index: bool = False
