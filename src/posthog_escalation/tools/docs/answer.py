"""The docs answer to a support problem: the best section, its answering sentence, and a
calibrated confidence.

:func:`answer_from_docs` is what the "not a bug, resolve in support" decision reads. It is
precision first: the confidence is the share of answers that were right among the
benchmark's dev problems with at least the same match strength (see
:data:`CALIBRATION`), and :data:`ANSWER_MIN_CONFIDENCE` is the level at which an answer
may be relied on, chosen so that wrongly calling a bug "documented" stays rare.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from .models import DocHit
from .search import DocsSearch
from .tokens import analyze, exact_strings

ANSWER_MIN_CONFIDENCE = 0.8
"""Confidence at or above which an answer may be used to resolve a ticket in support."""

CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.60, 0.90),
    (0.52, 0.85),
    (0.40, 0.70),
    (0.0, 0.35),
)
"""``(minimum strength, confidence)``, strongest first. Each band's confidence is the
share of right answers among the dev-half problems and questions whose strength falls in
the band (hybrid index, Laplace-smoothed: right + 1 over answers + 2, rounded down), as
printed by ``benchmarks/bench_docs.py``: 8 of 8, 6 of 6, 7 of 9, 5 of 14. Strength is the
share of the problem's words found in the section, averaged with the rescaled dense
similarity when the index is hybrid."""

DENSE_FLOOR = 0.3
DENSE_CEILING = 0.8
ROUTE_BONUS = 0.1
"""A hit in the route's own docs area gets this much more score (a preference, not a
filter: reverse proxies and ad blockers live outside every product area)."""
MAX_PART_CHARS = 600
_PRODUCT_NAME = re.compile(r"\bpost\s?hog\b", re.I)
_URL = re.compile(r"https?://\S+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(])|\n+")


class DocsAnswer(BaseModel):
    """The docs section that answers a problem.

    Attributes:
        url: The section's public URL (anchor included).
        title: The page title.
        heading: The section heading (None for a page's opening text).
        breadcrumb: ``Page > H2 > H3``.
        sentence: The sentence of the section that best answers the problem.
        confidence: 0..1, calibrated: the share of right answers at this match strength
            on the benchmark's dev problems. Rely on it at :data:`ANSWER_MIN_CONFIDENCE`.
        strength: The uncalibrated match strength the confidence was read from.
        route: The playbook route of the section's docs area, if any.
        query: The search text that was run.
        alternatives: The ranked sections (best first, the answer included).
    """

    model_config = ConfigDict(extra="forbid")

    url: str
    title: str
    heading: str | None = None
    breadcrumb: str
    sentence: str
    confidence: float = Field(ge=0, le=1)
    strength: float = Field(ge=0, le=1)
    route: str | None = None
    query: str
    alternatives: list[DocHit] = Field(default_factory=list)

    @property
    def reliable(self) -> bool:
        """True when the confidence reaches :data:`ANSWER_MIN_CONFIDENCE`."""
        return self.confidence >= ANSWER_MIN_CONFIDENCE


def problem_query(subject: str, symptom: str = "", error: str = "") -> str:
    """The search text for a problem: subject, symptom and error text, without links and
    without the product's own name (every page is about PostHog; the name says nothing)."""
    parts = [p.strip()[:MAX_PART_CHARS] for p in (subject, symptom, error) if p and p.strip()]
    text = _URL.sub(" ", " ".join(parts))
    return " ".join(_PRODUCT_NAME.sub(" ", text).split())


def calibrated(strength: float) -> float:
    """The confidence :data:`CALIBRATION` gives a match strength."""
    return next((conf for floor, conf in CALIBRATION if strength >= floor), 0.0)


def _coverage(query_stems: set[str], text: str) -> float:
    if not query_stems:
        return 0.0
    present = set(analyze(text)[0])
    return len(query_stems & present) / len(query_stems)


def strength_of(hit: DocHit, query: str, passage: str) -> float:
    """How well a section matches: the share of the query's words the section holds,
    averaged with the dense similarity rescaled to 0..1 when there is one."""
    stems = set(analyze(query)[0])
    coverage = _coverage(stems, f"{hit.breadcrumb}\n{passage}")
    if hit.dense is None:
        return round(coverage, 4)
    dense = min(1.0, max(0.0, (hit.dense - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR)))
    return round((coverage + dense) / 2, 4)


def best_sentence(passage: str, query: str) -> str:
    """The sentence of ``passage`` holding the most of the query's words (identifiers and
    quoted text count double); the first sentence when none does."""
    sentences = [s.strip() for s in _SENTENCE.split(passage) if s and s.strip()]
    if not sentences:
        return ""
    stems = set(analyze(query)[0])
    exact = exact_strings(query)

    def score(sentence: str) -> float:
        lowered = sentence.lower()
        words = set(analyze(sentence)[0])
        return len(stems & words) + 2 * sum(1 for s in exact if s in lowered)

    best = max(sentences, key=score)
    return " ".join(best.split())[:400]


def answer_from_docs(
    index: DocsSearch,
    subject: str,
    symptom: str = "",
    error: str = "",
    *,
    route: str | None = None,
    limit: int = 5,
) -> DocsAnswer | None:
    """The docs section that best answers a support problem, with its sentence and a
    calibrated confidence.

    Contract:
        - The search text is the problem only: ``subject``, ``symptom`` and ``error``
          (the product name is dropped; pass no greeting, signature or company text).
        - ``route`` (a playbook route key such as ``session_replay``) is a preference:
          sections of that area rank a little higher; others still can win.
        - Returns None when nothing matches (or the problem is empty); never raises for
          an unknown route.
        - ``confidence`` is precision-first: only treat the answer as resolving the
          ticket when ``answer.reliable`` (confidence >= :data:`ANSWER_MIN_CONFIDENCE`).
          A regression or crash with a quoted error rarely reaches it.

    Args:
        index: A docs index (:class:`~.search.DocsIndex` or anything with its
            ``search``; a ``passage(hit)`` method, when present, supplies the section
            text for the sentence and the strength, else the hit's snippet is used).
        subject: The ticket's subject line.
        symptom: What goes wrong, in the customer's or the triage's words.
        error: The error text the customer quoted, if any.
        route: The playbook route the ticket belongs to, if known.
        limit: How many ranked sections to keep as alternatives (1-50).

    Returns:
        The :class:`DocsAnswer`, or None.
    """
    query = problem_query(subject, symptom, error)
    if not query:
        return None
    hits = index.search(query, limit=max(limit, 5))
    if not hits:
        return None
    if route:
        best = max(h.score for h in hits) or 1.0
        hits = sorted(
            hits,
            key=lambda h: -(h.score + (ROUTE_BONUS * best if h.route == route else 0.0)),
        )
    hits = hits[:limit]
    top = hits[0]
    passage_of = getattr(index, "passage", None)
    passage = passage_of(top) if callable(passage_of) else top.snippet
    strength = strength_of(top, query, passage)
    return DocsAnswer(
        url=top.url,
        title=top.title,
        heading=top.heading,
        breadcrumb=top.breadcrumb,
        sentence=best_sentence(passage, query) or top.snippet,
        confidence=calibrated(strength),
        strength=strength,
        route=top.route,
        query=query,
        alternatives=hits,
    )
