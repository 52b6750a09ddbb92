"""Ranking docs sections for a support question: lexical (bm25s) and dense, fused.

The index holds one sparse term-by-section matrix. Each entry is a weighted sum of bm25s
scores over the section's fields: page title, section heading, body text, code, and
adjacent-word pairs (a shingle field that rewards phrases). At query time the matching
rows are summed; the best candidates then get boosts for literal matches of identifiers or
quoted error text and for runs of three query words found verbatim.

When the index carries section embeddings (WordLlama, see :mod:`.embedding`), the
sections nearest the query in meaning join the candidates, and each candidate's score is
its lexical score relative to the best candidate's plus ``dense_weight`` times its
cosine similarity to the query (a measured weighting; see docs/performance.md). The top
sections come back with a snippet around the best-matching sentence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ...errors import QueryError
from .embedding import TextEncoder
from .models import DocHit, IndexStats
from .routing import route_for_area
from .tokens import exact_strings, query_terms

MAX_LIMIT = 50
MAX_QUERY_CHARS = 2000
CANDIDATES = 60
SNIPPET_CHARS = 280
_FIELDS = ("id", "title", "heading", "breadcrumb", "url", "prose", "code")
FIELD_COUNT = len(_FIELDS)
_FIELD_POSITION = {name: i for i, name in enumerate(_FIELDS)}
_WORDS = re.compile(r"[a-z0-9_$]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(])|\n+")


@dataclass(frozen=True)
class RankingParams:
    """The ranking knobs. Field weights multiply each field's BM25 score; boosts multiply
    a candidate's score per literal match (capped).

    The title field also holds the page's URL path words. Defaults were chosen on the odd
    half of benchmarks/data/docs_queries.yaml only (see docs/performance.md, "Docs search").
    """

    k1: float = 1.2
    b: float = 0.75
    title: float = 1.0
    heading: float = 1.5
    body: float = 1.0
    code: float = 0.5
    phrase: float = 0.25
    exact_boost: float = 0.3
    exact_cap: int = 3
    run_length: int = 4
    run_boost: float = 0.2
    run_cap: int = 5
    dense_weight: float = 0.3
    dense_depth: int = 20

    def field_weights(self) -> dict[str, float]:
        """Weight per indexed field."""
        return {
            "title": self.title,
            "heading": self.heading,
            "body": self.body,
            "code": self.code,
            "phrase": self.phrase,
        }


@runtime_checkable
class DocsSearch(Protocol):
    """What evidence gathering and the MCP server need from a docs backend."""

    def search(self, query: str, *, area: str | None = None, limit: int = 5) -> list[DocHit]:
        """The best sections for ``query``, optionally within one product area."""
        ...

    def areas(self) -> list[str]:
        """The product areas a search can be limited to."""
        ...


class StringTable:
    """Many strings in one UTF-8 buffer with an offsets array (cheap to load, read lazily)."""

    def __init__(self, blob: bytes | memoryview, offsets: np.ndarray) -> None:
        self._blob = blob
        self._offsets = np.asarray(offsets)

    @classmethod
    def from_strings(cls, strings: Sequence[str]) -> StringTable:
        encoded = [s.encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    @property
    def blob(self) -> bytes | memoryview:
        return self._blob

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def get(self, index: int) -> str:
        start, end = self._offsets[index : index + 2].tolist()
        return bytes(self._blob[start:end]).decode("utf-8")


@dataclass
class IndexArrays:
    """The numeric part of an index: vocabulary and the combined term-by-section matrix.

    Attributes:
        vocab: Sorted 64-bit term hashes (:func:`term_keys`); a term's id is its position.
        data: Scores, grouped by term.
        indices: Section number of each score.
        indptr: ``data[indptr[t]:indptr[t+1]]`` are the scores of term ``t``.
        section_area: Area number of each section (into ``areas``).
    """

    vocab: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    section_area: np.ndarray


class DocsIndex:
    """A loaded docs index: implements :class:`DocsSearch`."""

    def __init__(
        self,
        arrays: IndexArrays,
        strings: StringTable,
        area_names: list[str],
        stats: IndexStats,
        params: RankingParams,
        *,
        dense: np.ndarray | None = None,
        encoder: TextEncoder | None = None,
    ) -> None:
        self.arrays = arrays
        self.strings = strings
        self.area_names = area_names
        self.stats = stats
        self.params = params
        self.section_count = len(arrays.section_area)
        usable = dense is not None and encoder is not None and len(dense) == self.section_count
        self.dense = dense if usable else None
        self.encoder = encoder if usable else None
        self._section_ids: dict[str, int] | None = None

    def passage(self, hit: DocHit) -> str:
        """The full prose (or, without prose, the code) of a hit's section."""
        if self._section_ids is None:
            self._section_ids = {self._field(i, "id"): i for i in range(self.section_count)}
        section = self._section_ids.get(hit.id)
        if section is None:
            return hit.snippet
        return self._field(section, "prose") or self._field(section, "code")

    @property
    def hybrid(self) -> bool:
        """True when dense similarity takes part in the ranking."""
        return self.dense is not None

    # -- DocsSearch -----------------------------------------------------------------

    def areas(self) -> list[str]:
        """The product areas present in the index, sorted."""
        return list(self.area_names)

    def search(self, query: str, *, area: str | None = None, limit: int = 5) -> list[DocHit]:
        """Rank sections for ``query``.

        Args:
            query: A support question, an error message, or keywords (only the first
                2,000 characters are used, so a pasted log stays cheap).
            area: Limit to one product area (``session-replay``); ``libraries`` matches
                every ``libraries/<sdk>`` area.
            limit: How many hits to return (1-50).

        Raises:
            QueryError: Empty query, bad limit, or an unknown area (the message lists the
                valid ones).
        """
        if not query or not query.strip():
            raise QueryError("docs search: the query is empty", "pass a question or keywords")
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"docs search: limit {limit} is out of range", f"use 1 to {MAX_LIMIT}")
        allowed = self._area_mask(area)
        query = query[:MAX_QUERY_CHARS]
        ranked = self._rank(query, allowed, limit)
        terms, _ = query_terms(query)
        exact = exact_strings(query)
        return [
            self._hit(section, score, set(terms), exact, lexical, cosine)
            for score, section, lexical, cosine in ranked[:limit]
        ]

    def _rank(
        self, query: str, allowed: np.ndarray | None, limit: int
    ) -> list[tuple[float, int, float, float | None]]:
        """``(score, section, lexical score, cosine or None)``, best first."""
        terms, grams = query_terms(query)
        scores = self._scores(terms, grams)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        candidates = _top(scores, max(CANDIDATES, limit * 4))
        cosines: np.ndarray | None = None
        if candidates.size and self.dense is not None and self.encoder is not None:
            # Dense neighbours join a query that matches something: a query of stop
            # words or unknown words still finds nothing.
            vector = self.encoder.encode([query])[0]
            # einsum, not BLAS gemv: on a busy 2-core machine the threaded BLAS call was
            # 10x slower for one query vector (docs/performance.md, "Docs search").
            cosines = np.einsum("ij,j->i", self.dense, vector).astype(np.float32, copy=False)
            if allowed is not None:
                cosines = np.where(allowed, cosines, -1.0)
            nearest = _top(cosines + 1.0, self.params.dense_depth)
            candidates = np.union1d(candidates, nearest)
        if candidates.size == 0:
            return []
        exact = exact_strings(query)
        runs = [_Run(run.split()) for run in _word_runs(query, self.params.run_length)]
        lexical: list[tuple[float, int]] = []
        for section in candidates.tolist():
            score = float(scores[section])
            if score > 0 and (exact or runs):
                score *= self._boost(section, exact, runs)
            lexical.append((score, section))
        best = max((score for score, _ in lexical), default=0.0) or 1.0
        ranked = []
        for score, section in lexical:
            cosine = None if cosines is None else float(cosines[section])
            fused = score / best + (self.params.dense_weight * cosine if cosine is not None else 0)
            ranked.append((fused, section, score, cosine))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return ranked

    # -- ranking --------------------------------------------------------------------

    def _area_mask(self, area: str | None) -> np.ndarray | None:
        if area is None or not area.strip():
            return None
        wanted = area.strip().strip("/").lower()
        ids = [
            i
            for i, name in enumerate(self.area_names)
            if name == wanted or name.startswith(f"{wanted}/")
        ]
        if not ids:
            valid = ", ".join(self.area_names) or "(none: the index is empty)"
            raise QueryError(f"docs search: unknown area '{area}'", f"use one of: {valid}")
        return np.isin(self.arrays.section_area, np.asarray(ids, dtype=np.int16))

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        vocab = self.arrays.vocab
        if not len(vocab) or not terms:
            return []
        keys = term_keys(terms)
        spots = np.searchsorted(vocab, keys)
        return [
            spot
            for key, spot in zip(keys.tolist(), spots.tolist(), strict=True)
            if spot < len(vocab) and int(vocab[spot]) == key
        ]

    def _scores(self, terms: Sequence[str], grams: Sequence[str]) -> np.ndarray:
        ids = self._term_ids([*terms, *grams])
        arrays = self.arrays
        if not ids:
            return np.zeros(self.section_count, dtype=np.float32)
        starts = arrays.indptr[ids]
        ends = arrays.indptr[np.asarray(ids) + 1]
        rows = [np.asarray(arrays.indices[s:e]) for s, e in zip(starts, ends, strict=True)]
        vals = [np.asarray(arrays.data[s:e]) for s, e in zip(starts, ends, strict=True)]
        return np.bincount(
            np.concatenate(rows), weights=np.concatenate(vals), minlength=self.section_count
        ).astype(np.float32)

    def _field(self, section: int, name: str) -> str:
        return self.strings.get(section * FIELD_COUNT + _FIELD_POSITION[name])

    def _boost(self, section: int, exact: list[str], runs: list[_Run]) -> float:
        params = self.params
        raw = " ".join(
            (
                self._field(section, "heading"),
                self._field(section, "prose"),
                self._field(section, "code"),
            )
        ).lower()
        factor = 1.0
        if exact:
            hits = sum(1 for s in exact if s in raw)
            factor *= 1.0 + params.exact_boost * min(hits, params.exact_cap)
        if runs:
            hits = sum(1 for run in runs if run.found_in(raw))
            factor *= 1.0 + params.run_boost * min(hits, params.run_cap)
        return factor

    def _hit(
        self,
        section: int,
        score: float,
        stems: set[str],
        exact: list[str],
        lexical: float | None = None,
        cosine: float | None = None,
    ) -> DocHit:
        area = self.area_names[int(self.arrays.section_area[section])]
        heading = self._field(section, "heading")
        return DocHit(
            id=self._field(section, "id"),
            title=self._field(section, "title"),
            heading=heading or None,
            breadcrumb=self._field(section, "breadcrumb"),
            url=self._field(section, "url"),
            snippet=make_snippet(
                self._field(section, "prose"), self._field(section, "code"), stems, exact
            )
            or self._field(section, "breadcrumb"),
            score=round(score, 4),
            area=area,
            route=route_for_area(area),
            lexical=None if lexical is None else round(lexical, 4),
            dense=None if cosine is None else round(cosine, 4),
        )


def term_keys(terms: Sequence[str]) -> np.ndarray:
    """64-bit hashes of terms: the index stores these instead of the terms themselves."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            for t in terms
        ),
        dtype=np.uint64,
        count=len(terms),
    )


def _top(scores: np.ndarray, count: int) -> np.ndarray:
    positive = np.flatnonzero(scores > 0)
    if positive.size <= count:
        return positive
    part = np.argpartition(scores[positive], -count)[-count:]
    return positive[part]


class _Run:
    """A run of query words, matched in order with any punctuation or spacing between."""

    def __init__(self, words: list[str]) -> None:
        self.words = sorted(set(words), key=len, reverse=True)
        self.pattern = re.compile(r"(?<![a-z0-9_$])" + r"[^a-z0-9_$]+".join(map(re.escape, words)))

    def found_in(self, text: str) -> bool:
        """True when the run occurs in ``text`` (lowercased); cheap substring checks first."""
        return all(w in text for w in self.words) and self.pattern.search(text) is not None


def _word_runs(query: str, size: int) -> list[str]:
    """Runs of ``size`` consecutive query words with at least ``size - 1`` content words:
    a pasted error message or a quoted sentence matches these verbatim."""
    if size <= 0:
        return []
    words = _WORDS.findall(query.lower())
    runs = []
    for i in range(len(words) - size + 1):
        run = words[i : i + size]
        if sum(1 for w in run if len(w) > 3) >= size - 1:
            runs.append(" ".join(run))
    return list(dict.fromkeys(runs))


def make_snippet(prose: str, code: str, stems: set[str], exact: list[str]) -> str:
    """A passage of about ``SNIPPET_CHARS`` around the sentence that best matches the query.

    Sentences are scored by how many distinct query stems occur in them (as substrings, so
    ``record`` finds "recordings"), with literal matches of identifiers or quoted text
    counting double. Falls back to the start of the code.
    """
    text = prose if prose.strip() else code
    if not text.strip():
        return ""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    probes = [s for s in stems if len(s) >= 3]
    best, best_score = 0, -1.0
    for i, sentence in enumerate(sentences):
        lowered = sentence.lower()
        score = sum(1 for s in probes if s in lowered)
        score += 2 * sum(1 for s in exact if s in lowered)
        if score > best_score:
            best, best_score = i, score
    passage = sentences[best]
    j = best + 1
    while len(passage) < SNIPPET_CHARS * 0.6 and j < len(sentences):
        passage = f"{passage} {sentences[j]}"
        j += 1
    passage = " ".join(passage.split())
    if len(passage) > SNIPPET_CHARS:
        cut = passage.rfind(" ", 0, SNIPPET_CHARS - 1)
        passage = passage[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS - 1] + "…"
    return ("…" if best > 0 else "") + passage
