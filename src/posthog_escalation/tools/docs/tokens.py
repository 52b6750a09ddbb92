"""Text to search terms: English stemming, stop words, and identifier-aware splitting.

Support questions mix prose with identifiers (``posthog.shutdown()``, ``flushAt``,
``$feature_flag_called``, ``ERR_BLOCKED_BY_CLIENT``). Each identifier yields its stemmed
parts (so ``flushAt`` matches "flush") plus the whole identifier as one unstemmed term (so
an exact identifier outranks a page that merely uses the same words).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
MAX_TERM_LENGTH = 40
BIGRAM_JOINER = "+"

_RAW = re.compile(r"[$A-Za-z0-9_]+(?:[.\-/:][$A-Za-z0-9_]+)*")
_SEPARATORS = re.compile(r"[._\-/:$]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_NO_SPLIT = frozenset(
    {"posthog", "hogql", "github", "javascript", "typescript", "clickhouse", "graphql", "ios"}
)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


@lru_cache(maxsize=200_000)
def _analyze_raw(raw: str) -> tuple[tuple[str, ...], str | None]:
    """The stemmed parts of one raw token and, for a compound, the whole identifier."""
    pieces: list[str] = []
    for chunk in _SEPARATORS.split(raw):
        if not chunk:
            continue
        if chunk.lower() in _NO_SPLIT or chunk.islower() or chunk.isupper():
            pieces.append(chunk.lower())
        else:
            pieces.extend(p.lower() for p in _CAMEL.findall(chunk))
    stems = tuple(_stem(p) for p in pieces if p not in STOPWORDS and (len(p) > 1 or p.isdigit()))
    compound = None
    if len(pieces) > 1:
        whole = raw.lower().strip("$.-/:_")
        if 1 < len(whole) <= MAX_TERM_LENGTH:
            compound = whole
    return stems, compound


def analyze(text: str) -> tuple[list[str], list[str]]:
    """Split text into search terms.

    Returns:
        ``(terms, sequence)``: ``terms`` holds every stem plus whole identifiers (for the
        term index); ``sequence`` holds only the stems in reading order (for bigrams).
    """
    terms: list[str] = []
    sequence: list[str] = []
    for match in _RAW.finditer(text):
        stems, compound = _analyze_raw(match.group())
        terms.extend(stems)
        sequence.extend(stems)
        if compound:
            terms.append(compound)
    return terms, sequence


def bigrams(sequence: list[str]) -> list[str]:
    """Adjacent stem pairs, the index's phrase terms."""
    return [f"{a}{BIGRAM_JOINER}{b}" for a, b in pairwise(sequence)]


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """The distinct terms and bigrams of a query, in first-seen order."""
    terms, sequence = analyze(text)
    return list(dict.fromkeys(terms)), list(dict.fromkeys(bigrams(sequence)))


_IDENTIFIER = re.compile(r"[$A-Za-z0-9_]+(?:[.:/\-][$A-Za-z0-9_]+)*(?:\(\))?")
_QUOTED = re.compile(r"\"([^\"]{3,200})\"|`([^`]{2,200})`|“([^”]{3,200})”")


def exact_strings(query: str) -> list[str]:
    """Strings in a query that should match the docs literally (lowercased).

    Quoted or backticked text, and identifier-like words: ones with ``_``, ``$``, ``.``,
    ``()`` or inner capitals (``posthog.shutdown()``, ``flushAt``, ``ERR_BLOCKED``).
    """
    found: list[str] = []
    for match in _QUOTED.finditer(query):
        text = next(g for g in match.groups() if g)
        found.append(" ".join(text.lower().split()))
    for match in _IDENTIFIER.finditer(query):
        word = match.group()
        inner_caps = any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)
        shouty = word.isupper() and len(word) >= 4 and "_" in word
        special = any(c in word for c in "_$") or word.endswith("()") or "." in word.strip(".")
        if (inner_caps or shouty or special) and len(word) >= 4:
            found.append(word.lower())
    return list(dict.fromkeys(found))
