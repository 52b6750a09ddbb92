"""GitHub issue-search syntax: parsing a query and building the exact string sent.

Both backends speak the same language. A query is free words (all must match, as on
GitHub), ``"quoted phrases"`` (matched as consecutive words), ``-word`` exclusions and
the qualifiers ``repo:``, ``state:``, ``label:``, ``is:`` and ``in:``. The real backend
sends the built string to GitHub; the local one parses it and reports the same string,
so the search terms written into an escalation can be pasted into GitHub as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

from ...errors import InputError

STATES = ("open", "closed")
REPO_PATTERN = r"^[\w.-]+/[\w.-]+$"


def _wordlist(text: str) -> list[str]:
    return text.split()


_TOKEN = re.compile(r"[a-z0-9]+")
_QUERY_PART = re.compile(r'(?P<neg>-)?(?:(?P<key>[a-zA-Z]+):)?(?P<value>"[^"]*"?|\S+)')
STOPWORDS = frozenset(
    _wordlist(
        "a an and are as at be but by for from has have i in is it its of on or our so that the "
        "their then there these this to was we were when which while with you your"
    )
)


@dataclass
class ParsedQuery:
    """A search string split into its parts."""

    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    repos: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    other_qualifiers: list[str] = field(default_factory=list)


def tokenize(text: str) -> list[str]:
    """Lower-cased alphanumeric words: ``n.adoptedStyleSheets`` -> ``n``, ``adoptedstylesheets``."""
    return _TOKEN.findall(text.lower())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def stem_all(tokens: list[str]) -> list[str]:
    """English stems of ``tokens`` (``recordings`` -> ``record``)."""
    return _stemmer().stemWords(tokens)


def parse_query(query: str) -> ParsedQuery:
    """Split a GitHub-style query into words, phrases, exclusions and qualifiers."""
    parsed = ParsedQuery()
    for match in _QUERY_PART.finditer(query):
        key = (match.group("key") or "").lower()
        value = match.group("value")
        quoted = value.startswith('"')
        text = value.strip('"')
        if not text:
            continue
        if key == "repo":
            parsed.repos.append(text)
        elif key == "state":
            parsed.states.append(text.lower())
        elif key == "label":
            parsed.labels.extend(v.strip() for v in text.split(",") if v.strip())
        elif key in {"is", "type"}:
            value_lower = text.lower()
            if value_lower in STATES:
                parsed.states.append(value_lower)
            elif value_lower in {"issue", "issues"}:
                parsed.kinds.append("issue")
            elif value_lower in {"pr", "pull-request", "pull_request"}:
                parsed.kinds.append("pr")
            else:
                parsed.other_qualifiers.append(f"{key}:{text}")
        elif key == "in":
            continue
        elif key:
            parsed.other_qualifiers.append(f"{key}:{value}")
        elif match.group("neg"):
            parsed.excluded.append(text)
        elif quoted:
            parsed.phrases.append(text)
        else:
            parsed.terms.append(text)
    return parsed


def _check_repo(repo: str) -> str:
    if not re.match(REPO_PATTERN, repo):
        raise InputError(
            f"repository '{repo}' is not in owner/name form", "pass e.g. PostHog/posthog-js"
        )
    return repo


def _check_state(state: str | None) -> str | None:
    if state is None or state == "all":
        return None
    if state not in STATES:
        raise InputError(f"state '{state}' is not open, closed or all", "use --state open")
    return state


def _label(name: str) -> str:
    return f'label:"{name}"' if re.search(r"[\s,]", name) else f"label:{name}"


def build_query(
    query: str,
    *,
    kind: str = "issue",
    repos: list[str] | None = None,
    state: str | None = None,
    labels: list[str] | None = None,
) -> str:
    """The exact GitHub search string: the text, then ``is:``, ``in:``, ``repo:``,
    ``state:`` and ``label:`` qualifiers (each only once).

    Raises:
        InputError: A repository is not ``owner/name`` or the state is unknown.
    """
    text = " ".join(query.split())
    parsed = parse_query(text)
    parts = [text] if text else []
    if not parsed.kinds:
        parts.append("is:issue" if kind == "issue" else "is:pr")
    if not re.search(r"(?:^|\s)in:", text):
        parts.append("in:title,body")
    present = {r.lower() for r in parsed.repos}
    for repo in repos or []:
        if _check_repo(repo).lower() not in present:
            present.add(repo.lower())
            parts.append(f"repo:{repo}")
    state = _check_state(state)
    if state and state not in parsed.states:
        parts.append(f"state:{state}")
    have = {label.lower() for label in parsed.labels}
    for name in labels or []:
        if name.lower() not in have:
            have.add(name.lower())
            parts.append(_label(name))
    return " ".join(parts)


def quote_phrase(text: str) -> str:
    """``text`` as a GitHub exact phrase (inner double quotes dropped)."""
    return '"' + " ".join(text.replace('"', " ").split()) + '"'
