"""The embedded issue-search backend: a JSONL snapshot indexed with bm25s and, when the
dense encoder is available, with one embedding per issue.

It answers the same GitHub-style queries as the real backend (see :mod:`.query`):
every free word must occur (after English stemming), quoted phrases must occur as
consecutive words, ``-word`` excludes, and qualifiers filter. Matches are ranked by BM25
over title (counted twice), body and labels.

:meth:`LocalIssues.similar` is what only a local snapshot can do: rank every issue by
similarity to a whole problem description, BM25 (any word may match) and dense cosine
fused by reciprocal rank. The embeddings are cached by the snapshot's content hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from ...loading import load_jsonl
from ..docs.embedding import TextEncoder, cached_embeddings
from ..docs.embedding import reciprocal_rank_fusion as rrf
from .models import IssueHit, IssueRecord, IssueSearchResult, referenced_issues
from .query import STOPWORDS, build_query, parse_query, stem_all, tokenize

SIMILAR_DEPTH = 30
"""How deep each of the two rankings of :meth:`LocalIssues.similar` is read."""
MAX_QUERY_STEMS = 80

DEFAULT_SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "issues" / "snapshot.jsonl"


def load_snapshot(path: Path) -> list[IssueRecord]:
    """Read a snapshot file: one :class:`IssueRecord` as JSON per line.

    Raises:
        InputError: The file is missing or a line is not a valid record; the message
            names the file and line.
    """
    return load_jsonl(
        path,
        IssueRecord,
        what="issue snapshot",
        missing_hint="build one with `posthog-escalation issues snapshot REPO --since DATE`",
        line_hint="each line needs repo, number and title",
    )


def write_snapshot(records: list[IssueRecord], path: Path) -> None:
    """Write records as a snapshot file (sorted by repo and number)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(records, key=lambda r: (r.repo.lower(), r.number))
    lines = [r.model_dump_json(exclude_none=True) for r in ordered]
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


@dataclass
class _Doc:
    record: IssueRecord
    stems: frozenset[str]
    words: str  # " w1 w2 ... " for phrase checks


def _document_tokens(record: IssueRecord) -> list[str]:
    title = tokenize(record.title)
    return title + title + tokenize(record.body) + tokenize(" ".join(record.labels))


def embedding_text(record: IssueRecord) -> str:
    """What an issue's embedding is computed from: the title, then the body."""
    return f"{record.title}\n{record.body}"


class LocalIssues:
    """Issue search over a snapshot, with the :class:`~.models.IssueSearch` interface.

    Args:
        path: A snapshot JSONL file; the shipped snapshot when omitted.
        records: Records to index instead of reading a file (tests, benchmarks).
        encoder: A dense encoder (e.g. :func:`~..docs.embedding.default_encoder`) for
            hybrid retrieval; None (the default: lexical won on the real pairs) for BM25
            only.
        cache_dir: Where the issue embeddings are cached (by content hash); not cached
            when None.
    """

    backend_name = "local"

    def __init__(
        self,
        path: Path | None = None,
        *,
        records: list[IssueRecord] | None = None,
        encoder: TextEncoder | None = None,
        cache_dir: Path | None = None,
    ):
        self.path = path or DEFAULT_SNAPSHOT
        self.records = records if records is not None else load_snapshot(self.path)
        self.encoder = encoder
        self.cache_dir = cache_dir
        self._vectors: np.ndarray | None = None
        self._docs: list[_Doc] = []
        corpus: list[list[str]] = []
        for record in self.records:
            tokens = _document_tokens(record)
            stems = stem_all(tokens)
            corpus.append(stems or ["_empty_"])
            self._docs.append(
                _Doc(record=record, stems=frozenset(stems), words=f" {' '.join(tokens)} ")
            )
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._by_key = {(r.repo.lower(), r.number): r for r in self.records}
        self._row = {r.key.lower(): i for i, r in enumerate(self.records)}
        self._issue_rows = np.array([r.kind == "issue" for r in self.records], dtype=bool)

    # -- dense side --------------------------------------------------------------------

    @property
    def vectors(self) -> np.ndarray | None:
        """One unit vector per record (computed once, cached by content hash), or None
        without an encoder."""
        if self.encoder is None:
            return None
        if self._vectors is None:
            texts = [embedding_text(r) for r in self.records]
            self._vectors = cached_embeddings(texts, self.encoder, self.cache_dir)
        return self._vectors

    def vector_of(self, key: str) -> np.ndarray | None:
        """The embedding of ``owner/name#number``, if the snapshot holds it."""
        vectors = self.vectors
        row = self._row.get(key.lower())
        return None if vectors is None or row is None else vectors[row]

    def similar(
        self, text: str, *, limit: int = 20, exclude: set[str] | None = None
    ) -> list[IssueHit]:
        """Issues (not PRs) most similar to a problem description, best first.

        Two rankings over the whole snapshot, BM25 of the text's words (any may match)
        and dense cosine, each read to :data:`SIMILAR_DEPTH`, fused by reciprocal rank.
        ``score`` is the fused score. ``exclude`` holds lower-cased ``owner/name#number``
        keys left out (the ticket's own issue).
        """
        if not self._docs or not text.strip():
            return []
        allowed = self._issue_rows.copy()
        for key in exclude or ():
            row = self._row.get(key.lower())
            if row is not None:
                allowed[row] = False
        stems = [s for s in stem_all([t for t in tokenize(text) if t not in STOPWORDS])]
        stems = list(dict.fromkeys(stems))[:MAX_QUERY_STEMS]
        rankings: list[list[int]] = []
        if stems:
            lexical = np.asarray(self._bm25.get_scores(stems), dtype=float)
            lexical = np.where(allowed, lexical, 0.0)
            rankings.append(_top(lexical, SIMILAR_DEPTH))
        vectors = self.vectors
        if vectors is not None and self.encoder is not None:
            query = self.encoder.encode([text])[0]
            dense = np.where(allowed, np.einsum("ij,j->i", vectors, query), -1.0)
            rankings.append(_top(dense, SIMILAR_DEPTH, floor=-1.0))
        fused = rrf(rankings)
        order = sorted(fused, key=lambda i: (-fused[i], i))[:limit]
        return [
            IssueHit(**self._docs[i].record.model_dump(), score=round(fused[i], 5)) for i in order
        ]

    def _mask(
        self,
        *,
        kinds: set[str],
        repos: set[str],
        states: set[str],
        labels: set[str],
        terms: list[str],
        phrases: list[list[str]],
        excluded: list[str],
        among: np.ndarray | None = None,
    ) -> np.ndarray:
        mask = np.zeros(len(self._docs), dtype=bool)
        indexes = range(len(self._docs)) if among is None else among.tolist()
        for index in indexes:
            doc = self._docs[index]
            record = doc.record
            if kinds and record.kind not in kinds:
                continue
            if repos and record.repo.lower() not in repos:
                continue
            if states and record.state not in states:
                continue
            if labels and not labels <= {label.lower() for label in record.labels}:
                continue
            if any(term not in doc.stems for term in terms):
                continue
            if any(f" {' '.join(p)} " not in doc.words for p in phrases):
                continue
            if any(term in doc.stems for term in excluded):
                continue
            mask[index] = True
        return mask

    async def search(
        self,
        query: str,
        *,
        repos: list[str] | None = None,
        state: str | None = None,
        labels: list[str] | None = None,
        limit: int = 10,
    ) -> IssueSearchResult:
        """Issues matching ``query`` (GitHub semantics), best first."""
        sent = build_query(query, kind="issue", repos=repos, state=state, labels=labels)
        return self._run(sent, limit=limit)

    def _run(self, sent: str, *, limit: int) -> IssueSearchResult:
        parsed = parse_query(sent)
        words = [t for t in tokenize(" ".join(parsed.terms)) if t not in STOPWORDS]
        terms = stem_all(words)
        phrases = [tokenize(p) for p in parsed.phrases]
        phrases = [p for p in phrases if p]
        excluded = stem_all(tokenize(" ".join(parsed.excluded)))
        query_stems = terms + [s for p in phrases for s in stem_all(p)]
        if query_stems and self._docs:
            scores = np.asarray(self._bm25.get_scores(query_stems), dtype=float)
            among = np.flatnonzero(scores > 0)  # every match holds a query word
        else:
            scores = np.zeros(len(self._docs))
            among = None
        mask = self._mask(
            kinds=set(parsed.kinds),
            repos={r.lower() for r in parsed.repos},
            states=set(parsed.states),
            labels={label.lower() for label in parsed.labels},
            terms=terms,
            phrases=phrases,
            excluded=excluded,
            among=among,
        )
        matched = np.flatnonzero(mask)
        recency = [self._docs[i].record.last_activity for i in matched]
        order = sorted(
            range(len(matched)),
            key=lambda k: (
                -scores[matched[k]],
                -(recency[k].timestamp() if recency[k] else 0.0),
                self._docs[matched[k]].record.number,
            ),
        )
        hits = []
        for k in order[: max(limit, 0)]:
            index = int(matched[k])
            record = self._docs[index].record
            hits.append(IssueHit(**record.model_dump(), score=round(float(scores[index]), 4)))
        return IssueSearchResult(
            queries=[sent], hits=hits, total_count=len(matched), backend=self.backend_name
        )

    async def related_prs(self, repo: str, number: int) -> list[IssueHit]:
        """PRs in ``repo`` that link or mention issue ``number``, newest first."""
        found = []
        for doc in self._docs:
            record = doc.record
            if record.kind != "pr" or record.repo.lower() != repo.lower():
                continue
            linked = set(record.linked_issues) | set(
                referenced_issues(f"{record.title}\n{record.body}", record.repo)
            )
            if number in linked:
                found.append(record)
        found.sort(key=lambda r: r.created_at.timestamp() if r.created_at else 0, reverse=True)
        return [IssueHit(**r.model_dump()) for r in found]

    def get(self, repo: str, number: int) -> IssueRecord | None:
        """The record for ``repo#number``, if the snapshot has it."""
        return self._by_key.get((repo.lower(), number))

    async def aclose(self) -> None:
        """Nothing to release; present for the protocol."""


def _top(scores: np.ndarray, count: int, floor: float = 0.0) -> list[int]:
    """Indexes of the ``count`` highest scores above ``floor``, best first."""
    candidates = np.flatnonzero(scores > floor)
    if candidates.size > count:
        part = np.argpartition(scores[candidates], -count)[-count:]
        candidates = candidates[part]
    return sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
