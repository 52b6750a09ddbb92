"""Known-issue search: from what the ticket is about to ranked, listed duplicates.

Real duplicates are mostly implicit: the same report filed in another repository, or the
same error string from a different user. So the search casts several narrow nets and
the ranking, not the search, decides:

1. **Plan** a handful of searches from the error signature, the SDK version, the
   component and the symptom (:mod:`.plan`); each says why it was run.
2. **Run** them against the candidate repositories (the route's repository, where
   customers often file instead, and each named SDK's repository) and pool the issues
   they return. A local snapshot also contributes its issues most similar to the whole
   problem (bm25s over the snapshot, any word may match; with an encoder, dense nearest
   neighbours too, fused by reciprocal rank).
3. **Resolve** duplicates (an issue closed as a duplicate is folded into its original,
   which is listed instead) and drop the ticket's own issue.
4. **Rank** the pool by a measured weighting of bounded features: lexical similarity
   (TF-IDF cosine over the pool), dense similarity (WordLlama cosine, when an encoder is
   given), the same error string or error identifier, title overlap, the same version,
   SDK family, platform, symptom and area label, how many searches found it, and open
   state and recent activity. The weighted sum is the candidate's confidence; a candidate
   is **listed** as matching when it passes :data:`LISTING_THRESHOLD`, chosen from the
   precision/recall curve that ``benchmarks/bench_issues.py`` prints on the real
   duplicate pairs (dev split). Dense similarity did not improve those figures, so the
   default ranking is lexical.
5. **Link** the PRs that reference the listed top candidates.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import anyio
import numpy as np

from ...errors import BackendError, RateLimitedError
from ...playbook import Playbook
from ...understanding import SYMPTOMS, Signals, default_catalogue, exact_version
from ..docs.embedding import TextEncoder
from .models import (
    IssueHit,
    IssueSearch,
    IssueSearchResult,
    KnownIssueCandidate,
    KnownIssueCandidates,
    own_issue_keys,
)
from .plan import VAGUE_WORDS, PlannedSearch, plan_searches, platform_words, problem_text
from .query import STOPWORDS, stem_all, tokenize

MAX_REPOS = 6
MAIN_REPO = "PostHog/posthog"
PER_SEARCH = 20
SIMILAR_LIMIT = 20
RELATED_FOR = 3
SIMILAR_SEARCH = -1
"""``found_by`` marker of the snapshot's similar-text retrieval."""

LISTING_THRESHOLD = 0.42
"""A candidate at or above this confidence is listed as a matching issue. Chosen on the
dev split of the real duplicate pairs from the precision/recall curve that
``benchmarks/bench_issues.py`` prints: the highest listed recall with listed precision at
least 0.75 (the 0.7 target plus a margin), the best precision among those, the lowest such
threshold (see docs/performance.md, "Known-issue search")."""

_DEFAULT = object()

# The SDK a platform word points at, when the ticket names no SDK package.
PLATFORM_PACKAGES = {
    "web": "posthog-js",
    "ios": "posthog-ios",
    "android": "posthog-android",
    "react-native": "posthog-react-native",
    "flutter": "posthog-flutter",
}
# The server SDK a framework or runtime points at, when the ticket names no SDK package.
RUNTIME_PACKAGES = {
    "python": "posthog-python",
    "django": "posthog-python",
    "flask": "posthog-python",
    "fastapi": "posthog-python",
    "celery": "posthog-python",
    "go": "posthog-go",
    "golang": "posthog-go",
    "ruby": "posthog-ruby",
    "rails": "posthog-ruby",
    "php": "posthog-php",
    "laravel": "posthog-php",
    "dotnet": "posthog-dotnet",
    ".net": "posthog-dotnet",
    "elixir": "posthog-elixir",
    "phoenix": "posthog-elixir",
    "rust": "posthog-rs",
    "java": "posthog-java",
    "spring": "posthog-java",
    "node": "posthog-node",
    "nodejs": "posthog-node",
}
# Label patterns per route: an issue's area, read from its GitHub labels.
AREA_LABELS = {
    "session_replay": r"replay|recording|toolbar|heatmap",
    "feature_flags": r"flag|cohort",
    "experiments": r"experiment",
    "error_tracking": r"error.?tracking|exception",
    "surveys": r"survey",
    "product_analytics": r"insight|funnel|paths|trends|dashboard|product.?analytics",
    "web_analytics": r"web.?analytics",
    "data_warehouse": r"warehouse|hogql|sql",
    "cdp": r"cdp|destination|pipeline|batch.?export|webhook|plugin",
    "billing": r"billing",
    "ingestion": r"ingestion|persons?\b",
}
REPO_FAMILY = {
    "posthog/posthog-ios": "ios",
    "posthog/posthog-android": "android",
    "posthog/posthog-flutter": "flutter",
    "posthog/posthog-python": "python",
    "posthog/posthog-go": "go",
    "posthog/posthog-ruby": "ruby",
    "posthog/posthog-php": "php",
    "posthog/posthog-dotnet": "dotnet",
    "posthog/posthog-elixir": "elixir",
    "posthog/posthog-rs": "rust",
    "posthog/posthog-unity": "unity",
    "posthog/posthog-react-native-session-replay": "react-native",
}


@dataclass
class PooledHit:
    """A search hit and the searches that returned it."""

    hit: IssueHit
    found_by: list[int] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Route and repositories
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    words = sorted((re.escape(w.lower()) for w in keywords), key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(words) or '(?!)'})(?!\w)")


def guess_route(signals: Signals, playbook: Playbook) -> str | None:
    """The playbook route whose keywords the problem uses most (the triage product area,
    when it names a route's area, wins). Greetings and signatures are not read."""
    if signals.product_area:
        wanted = signals.product_area.strip().lower()
        for key, route in playbook.routes.items():
            if wanted in {key.lower(), route.area.lower(), key.replace("_", " ").lower()}:
                return key
    problem = problem_text(signals.text)
    text = f" {signals.subject} {signals.subject} {problem} ".lower()
    best: tuple[int, str] | None = None
    for key, route in playbook.routes.items():
        if key == "security":
            continue
        score = len(_keyword_pattern(tuple(route.keywords)).findall(text))
        if score and (best is None or score > best[0]):
            best = (score, key)
    return best[1] if best else None


def _runtime_packages(signals: Signals) -> list[str]:
    words = [w.lower() for w in [*signals.runtimes, *signals.frameworks]]
    return list(dict.fromkeys(RUNTIME_PACKAGES[w] for w in words if w in RUNTIME_PACKAGES))


def candidate_repositories(signals: Signals, playbook: Playbook, route: str | None) -> list[str]:
    """Where to search: the route's repositories for the main SDK, each named SDK's
    repository and where customers file instead, the SDK a runtime or platform points at
    when no SDK is named (and the native SDKs under React Native and Flutter), and always
    PostHog/posthog, where customers file every kind of report. At most six."""
    repos: list[str] = []
    main = [s for s in signals.sdks if not s.plugin] or list(signals.sdks)
    primary = next((s for s in main if s.version), main[0] if main else None)
    if route is not None:
        repos += playbook.candidate_repos(
            playbook.route(route), primary.package if primary else None
        )
    for sdk in signals.sdks:
        owner = playbook.sdk_repos.get(sdk.package.lower())
        if owner:
            repos += [owner, *playbook.also_filed_in.get(owner, [])]
    if not signals.sdks:
        for package in _runtime_packages(signals):
            owner = playbook.sdk_repos.get(package)
            if owner:
                repos.append(owner)
    families = {s.family for s in signals.sdks}
    for platform in signals.platforms:
        package = PLATFORM_PACKAGES.get(platform)
        if package is None:
            continue
        if not signals.sdks or families & {"react-native", "flutter"}:
            # No SDK named, or a cross-platform SDK whose native layer may hold the bug.
            owner = playbook.sdk_repos.get(package)
            if owner:
                repos.append(owner)
    if not repos:
        repos = [MAIN_REPO, "PostHog/posthog-js"]
    repos = list(dict.fromkeys(repos))
    if MAIN_REPO not in repos:
        repos.insert(min(1, len(repos)), MAIN_REPO)
    return repos[:MAX_REPOS]


def area_of_labels(labels: list[str]) -> str | None:
    """The route an issue's labels name (``feature/replay`` -> ``session_replay``)."""
    for label in labels:
        lowered = label.lower()
        for route, pattern in AREA_LABELS.items():
            if re.search(pattern, lowered):
                return route
    return None


# ---------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------


def _content_tokens(text: str) -> list[str]:
    return [
        t
        for t in tokenize(text)
        if t not in STOPWORDS and t not in VAGUE_WORDS and len(t) > 1 and not t.isdigit()
    ]


def _content_stems(text: str) -> list[str]:
    return stem_all(_content_tokens(text))


def _surface_words(text: str) -> dict[str, str]:
    """Content stems of ``text`` mapped to the first word that produced each."""
    tokens = _content_tokens(text)
    surface: dict[str, str] = {}
    for token, stem in zip(tokens, stem_all(tokens), strict=True):
        surface.setdefault(stem, token)
    return surface


def _tfidf(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vector = {t: (1 + math.log(c)) * idf.get(t, 1.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def _contains_words(haystack: str, needle: str) -> bool:
    words = tokenize(needle)
    return bool(words) and f" {' '.join(words)} " in haystack


_IDENTIFIER = re.compile(
    r"(?<![\w$.])(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[a-z]+[A-Z][\w$]*|\w+_\w+)"
)


def _identifiers(phrases: list[str]) -> list[str]:
    """Code identifiers in an error's phrases (``adoptedStyleSheets``, ``getItem``,
    ``ERR_BLOCKED``): camelCase or snake_case parts of six characters or more, longest
    first (plain words such as a package segment ``android`` are not identifiers)."""
    found: list[str] = []
    for phrase in phrases:
        for match in _IDENTIFIER.finditer(phrase or ""):
            parts = [
                p
                for p in match.group(0).split(".")
                if len(p) >= 6 and (re.search(r"[a-z][A-Z]", p) or "_" in p.strip("_"))
            ]
            found += sorted(parts, key=len, reverse=True)
    return list(dict.fromkeys(found))


@lru_cache(maxsize=64)
def _symptom_pattern(name: str) -> re.Pattern[str]:
    return re.compile(SYMPTOMS[name], re.I)


def symptoms_in(text: str, names: list[str] | None = None) -> set[str]:
    """Which of the symptom names (:data:`~posthog_escalation.understanding.SYMPTOMS`; all
    when ``names`` is None) a text shows."""
    return {
        n for n in names or list(SYMPTOMS) if n in SYMPTOMS and _symptom_pattern(n).search(text)
    }


SDK_PACKAGES = {entry.package: entry for entry in default_catalogue().sdk}
"""Every catalogued SDK by its canonical package name."""

_PACKAGE_SCAN = re.compile(
    r"(?<![\w@/.-])(?:@posthog/)?("
    + "|".join(
        sorted(
            {re.escape(p.removeprefix("@posthog/")) for p in SDK_PACKAGES}
            | {re.escape(p.replace("-", "_")) for p in SDK_PACKAGES if p.startswith("posthog-")},
            key=len,
            reverse=True,
        )
    )
    + r")(?![\w-])",
    re.I,
)
_PACKAGE_FAMILY = {
    **{p.removeprefix("@posthog/").lower(): pkg.family for p, pkg in SDK_PACKAGES.items()},
    **{p.replace("-", "_"): pkg.family for p, pkg in SDK_PACKAGES.items()},
}


def _families_of(hit: IssueHit, text: str) -> set[str]:
    """The SDK families an issue names by package (one pass), else its repository's."""
    families = {
        _PACKAGE_FAMILY[m.group(1).lower()]
        for m in _PACKAGE_SCAN.finditer(text)
        if m.group(1).lower() in _PACKAGE_FAMILY
    }
    if families:
        return families
    family = REPO_FAMILY.get(hit.repo.lower())
    return {family} if family else set()


@dataclass
class _Features:
    text: float = 0.0
    dense: float = 0.0
    title: float = 0.0
    error: float = 0.0
    version: float = 0.0
    sdk: float = 0.0
    platform: float = 0.0
    symptom: float = 0.0
    area: float = 0.0
    found: float = 0.0
    open: float = 0.0
    recent: float = 0.0
    reasons: list[tuple[float, str]] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)


WEIGHTS = {
    "text": 0.26,
    "dense": 0.10,
    "title": 0.12,
    "error": 0.20,
    "version": 0.06,
    "sdk": 0.06,
    "platform": 0.04,
    "symptom": 0.04,
    "area": 0.05,
    "found": 0.03,
    "open": 0.02,
    "recent": 0.02,
}
"""Feature weights with a dense encoder (they sum to 1), measured on the dev split."""
LEXICAL_WEIGHTS = {**WEIGHTS, "text": WEIGHTS["text"] + WEIGHTS["dense"], "dense": 0.0}
"""The weights without a dense encoder (the default): the dense weight moves to lexical
similarity. Measured on the real pairs, dense similarity did not improve recall or
listed precision (docs/performance.md), so issue matching runs lexical unless a caller
passes an encoder."""
TEXT_SATURATION = 0.5
DENSE_FLOOR = 0.65
DENSE_CEILING = 0.95
"""Dense cosine is mapped linearly from [floor, ceiling] to [0, 1]: WordLlama gives
unrelated reports about 0.35 (0.5 at the 90th percentile) and two reports of one problem
0.52 to 0.96 on the real pairs; the floor keeps the many half-similar reports at zero."""
RECENT_DAYS = 120
GENERIC_SYMPTOMS = frozenset({"error", "broken", "wrong"})
"""Symptoms too common in reports to tell two of them apart."""


def _dense_feature(cosine: float) -> float:
    return min(1.0, max(0.0, (cosine - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR)))


def rank_candidates(
    signals: Signals,
    pool: dict[str, PooledHit] | list[IssueHit],
    *,
    searches: int = 1,
    now: datetime | None = None,
    route: str | None = None,
    encoder: TextEncoder | None = None,
    vectors: dict[str, np.ndarray] | None = None,
    threshold: float = LISTING_THRESHOLD,
) -> list[KnownIssueCandidate]:
    """Rank pooled hits by similarity to the ticket, best first, with reasons.

    Args:
        signals: The ticket as understood.
        pool: The hits to rank (with the searches that found each).
        searches: How many searches ran (for the "found by several" feature).
        now: Reference time for recent activity.
        route: The ticket's route, compared with each issue's area label.
        encoder: The dense encoder; None (the default) for lexical ranking only.
        vectors: Precomputed unit embeddings by issue key (from a local snapshot); the
            rest are encoded here.
        threshold: Candidates at or above it are marked ``listed``.
    """
    if isinstance(pool, list):
        pool = {h.key: PooledHit(hit=h, found_by=[0]) for h in pool}
    if not pool:
        return []
    model = encoder
    weights = WEIGHTS if model is not None else LEXICAL_WEIGHTS
    problem = problem_text(signals.text)
    ticket_stems = _content_stems(f"{signals.subject}\n{signals.subject}\n{problem}")
    docs = {
        key: _content_stems(f"{p.hit.title}\n{p.hit.title}\n{p.hit.body}")
        for key, p in pool.items()
    }
    n_docs = len(docs) + 1
    df: Counter[str] = Counter()
    for stems in [ticket_stems, *docs.values()]:
        df.update(set(stems))
    idf = {t: math.log((n_docs + 1) / (c + 0.5)) for t, c in df.items()}
    ticket_vec = _tfidf(Counter(ticket_stems), idf)
    ticket_set = set(ticket_stems)
    subject_set = set(_content_stems(signals.subject))
    reference = now or datetime.now(UTC)

    dense: dict[str, float] = {}
    if model is not None:
        query = model.encode([f"{signals.subject}\n{problem}"])[0]
        known = vectors or {}
        missing = [k for k in pool if k not in known]
        fresh = (
            model.encode([f"{pool[k].hit.title}\n{pool[k].hit.body}" for k in missing])
            if missing
            else np.zeros((0, len(query)), dtype=np.float32)
        )
        table = {**known, **dict(zip(missing, fresh, strict=True))}
        dense = {k: float(table[k] @ query) for k in pool}

    versions_bad = {
        v
        for v in [
            *(exact_version(s.version) for s in signals.sdks),
            *(exact_version(c.first_bad) for c in signals.version_changes),
        ]
        if v
    }
    versions_good = {
        v for v in (exact_version(c.last_good) for c in signals.version_changes) if v
    } - versions_bad
    ticket_families = {s.family for s in signals.sdks}
    ticket_platforms = platform_words(signals)
    ticket_symptoms = [n for n in signals.symptoms if n not in GENERIC_SYMPTOMS]

    ranked: list[KnownIssueCandidate] = []
    for key, pooled in pool.items():
        hit = pooled.hit
        full = f"{hit.title}\n{hit.body}"
        words = f" {' '.join(tokenize(full))} "
        words_raw = full.lower()
        f = _Features()

        cosine = _cosine(ticket_vec, _tfidf(Counter(docs[key]), idf))
        f.text = min(1.0, cosine / TEXT_SATURATION)
        if cosine >= 0.15:
            f.reasons.append((f.text * weights["text"], f"similar words (cosine {cosine:.2f})"))
        if key in dense:
            f.dense = _dense_feature(dense[key])
            if f.dense > 0.3:
                f.reasons.append(
                    (f.dense * weights["dense"], f"similar meaning (dense {dense[key]:.2f})")
                )

        error_stems: set[str] = set()
        for error in signals.errors:
            phrases = [error.key_phrase, *error.search_phrases]
            phrase = next((p for p in phrases if p and _contains_words(words, p)), None)
            if phrase:
                f.error = 1.0
                error_stems = set(_content_stems(phrase))
                f.matched.append(phrase)
                f.reasons.append((weights["error"], f"same error string: '{phrase}'"))
                break
            named = [i for i in _identifiers(phrases) if i.lower() in words_raw]
            if named:
                f.error = max(f.error, 0.6)
                f.matched += named
                f.reasons.append(
                    (0.6 * weights["error"], f"names the error's identifier: {named[0]}")
                )
                continue
            if error.type and _contains_words(words, error.type) and error.message:
                msg = set(tokenize(error.message)) - STOPWORDS
                have = {t for t in msg if f" {t} " in words}
                if msg and len(have) / len(msg) >= 0.5:
                    f.error = max(f.error, 0.5)
                    f.reasons.append((0.5 * weights["error"], f"same error type: {error.type}"))

        surface = _surface_words(hit.title)
        title_stems = set(surface) - error_stems
        shared = sorted(title_stems & ticket_set, key=lambda stem: surface[stem])
        in_subject = title_stems & subject_set
        f.title = (len(shared) + len(in_subject)) / (2 * len(title_stems)) if title_stems else 0.0
        if shared:
            words_shared = [surface[stem] for stem in shared]
            f.reasons.append(
                (f.title * weights["title"], f"title shares: {', '.join(words_shared)}")
            )
            f.matched += words_shared

        seen_versions = [v for v in sorted(versions_bad) if _contains_words(words, v)]
        good_versions = [v for v in sorted(versions_good) if _contains_words(words, v)]
        if seen_versions:
            f.version = 1.0
        elif good_versions:
            f.version = 0.5
        if seen_versions or good_versions:
            shown = ", ".join(seen_versions + good_versions)
            f.matched += seen_versions + good_versions
            f.reasons.append((f.version * weights["version"], f"same version: {shown}"))

        families = _families_of(hit, full)
        if ticket_families and families:
            common = ticket_families & families
            f.sdk = 1.0 if common else 0.0
            if common:
                f.reasons.append((weights["sdk"], f"same SDK family: {', '.join(sorted(common))}"))
        elif ticket_families:
            f.sdk = 0.5

        if ticket_platforms:
            found = [w for w in ticket_platforms if f" {w} " in words]
            f.platform = len(found) / len(ticket_platforms)
            if found:
                f.matched += found
                f.reasons.append(
                    (f.platform * weights["platform"], f"same platform: {', '.join(found)}")
                )

        if ticket_symptoms:
            theirs = symptoms_in(full, ticket_symptoms)
            common_symptoms = [name for name in ticket_symptoms if name in theirs]
            f.symptom = len(common_symptoms) / len(ticket_symptoms)
            if common_symptoms:
                f.reasons.append(
                    (f.symptom * weights["symptom"], f"same symptom: {', '.join(common_symptoms)}")
                )

        area = area_of_labels(hit.labels)
        if route is not None and area is not None:
            f.area = 1.0 if area == route else 0.0
            if area == route:
                f.reasons.append((weights["area"], f"labelled for the same area ({route})"))
        else:
            f.area = 0.5

        real_searches = [i for i in pooled.found_by if i >= 0]
        f.found = min(1.0, len(real_searches) / max(1, min(searches, 3)))
        if len(real_searches) > 1:
            f.reasons.append(
                (f.found * weights["found"], f"found by {len(real_searches)} searches")
            )
        f.open = 1.0 if hit.state == "open" else 0.0
        activity = hit.last_activity
        if activity is not None:
            if activity.tzinfo is None:
                activity = activity.replace(tzinfo=UTC)
            age = (reference - activity).days
            if -1 <= age <= RECENT_DAYS:
                f.recent = 1.0 - max(age, 0) / RECENT_DAYS
        status = "open" if hit.state == "open" else f"closed ({hit.state_reason or 'closed'})"
        if activity is not None and f.recent > 0:
            days = max(0, (reference - activity).days)
            status += f", active {days} day{'s' if days != 1 else ''} before the ticket"
        f.reasons.append((f.open * weights["open"] + f.recent * weights["recent"], status))
        if hit.duplicate_of:
            f.reasons.append((1.0, f"closed as a duplicate of {hit.duplicate_of}"))

        confidence = max(0.0, min(1.0, sum(getattr(f, n) * w for n, w in weights.items())))
        reasons = [text for _, text in sorted(f.reasons, key=lambda r: -r[0])]
        ranked.append(
            KnownIssueCandidate(
                repo=hit.repo,
                number=hit.number,
                title=hit.title,
                url=hit.url,
                state=hit.state,
                kind=hit.kind,
                labels=hit.labels,
                confidence=round(confidence, 4),
                listed=hit.kind == "issue" and confidence >= threshold,
                reasons=reasons,
                matched_terms=list(dict.fromkeys(f.matched)),
                found_by=sorted(pooled.found_by),
            )
        )
    ranked.sort(key=lambda c: (-c.confidence, c.repo, c.number))
    return ranked


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------


async def _run_searches(
    backend: IssueSearch,
    plans: list[PlannedSearch],
    repos: list[str],
    *,
    per_search: int,
    concurrency: int,
) -> tuple[list[IssueSearchResult | None], list[BackendError]]:
    results: list[IssueSearchResult | None] = [None] * len(plans)
    failures: list[BackendError | None] = [None] * len(plans)
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    stop = anyio.Event()

    async def one(index: int, plan: PlannedSearch) -> None:
        async with limiter:
            if stop.is_set():
                failures[index] = RateLimitedError(
                    f"search '{plan.text}' skipped after a rate limit", "try again later"
                )
                return
            try:
                results[index] = await backend.search(plan.text, repos=repos, limit=per_search)
            except RateLimitedError as exc:
                stop.set()
                failures[index] = exc
            except BackendError as exc:
                failures[index] = exc

    async with anyio.create_task_group() as group:
        for index, plan in enumerate(plans):
            group.start_soon(one, index, plan)
    return results, [f for f in failures if f is not None]


def _resolve_duplicates(
    pool: dict[str, PooledHit], backend: IssueSearch, own: set[str]
) -> dict[str, str]:
    """Add the original of each pooled issue closed as a duplicate (when the backend can
    fetch it and it is not already pooled); returns duplicate key -> original key. A
    duplicate of the ticket's own issue is left alone: it is the same problem reported
    again, so it is a match itself."""
    lookup = getattr(backend, "get", None)
    lowered = {k.lower(): k for k in pool}
    originals: dict[str, str] = {}
    for key in list(pool):
        target = pool[key].hit.duplicate_of
        if not target or target.lower() in own or target.lower() == key.lower():
            continue
        if target.lower() not in lowered and callable(lookup):
            repo, _, number = target.partition("#")
            record = lookup(repo, int(number))
            if record is not None:
                pool[record.key] = PooledHit(hit=IssueHit(**record.model_dump()))
                lowered[record.key.lower()] = record.key
        if target.lower() in lowered:
            originals[key] = lowered[target.lower()]
    return originals


def _list_originals(
    ranked: list[KnownIssueCandidate], originals: dict[str, str], threshold: float
) -> list[KnownIssueCandidate]:
    """Fold each duplicate into its original: the original takes the better confidence
    (and the duplicate's reasons after its own), and the duplicate leaves the list."""
    if not originals:
        return ranked
    by_key = {c.key: c for c in ranked}
    merged: dict[str, KnownIssueCandidate] = {}
    for duplicate, original in originals.items():
        dup, orig = by_key.get(duplicate), merged.get(original) or by_key.get(original)
        if dup is None or orig is None:
            continue
        confidence = max(orig.confidence, dup.confidence)
        merged[original] = orig.model_copy(
            update={
                "confidence": confidence,
                "listed": orig.kind == "issue" and confidence >= threshold,
                "duplicates": list(dict.fromkeys([*orig.duplicates, duplicate])),
                "reasons": [
                    f"{duplicate}, closed as its duplicate, matches: " + "; ".join(dup.reasons[:2]),
                    *orig.reasons,
                ],
                "found_by": sorted(set(orig.found_by) | set(dup.found_by)),
            }
        )
    folded = {d for d, o in originals.items() if o in merged}
    out = [merged.get(c.key, c) for c in ranked if c.key not in folded]
    out.sort(key=lambda c: (-c.confidence, c.repo, c.number))
    return out


async def find_known_issues(
    signals: Signals,
    backend: IssueSearch,
    playbook: Playbook,
    *,
    route: str | None = None,
    limit: int = 5,
    max_searches: int = 6,
    per_search: int = PER_SEARCH,
    concurrency: int = 2,
    now: datetime | None = None,
    own_issues: Collection[str] | None = None,
    encoder: TextEncoder | object | None = _DEFAULT,
    threshold: float = LISTING_THRESHOLD,
) -> KnownIssueCandidates:
    """Search for issues that describe the ticket's problem, rank them and mark the ones
    to list as matching.

    Args:
        signals: The ticket as understood (see :mod:`.plan` for the fields read).
        backend: The issue search (GitHub or the local snapshot).
        playbook: Routes and SDK repositories, for the candidate repositories.
        route: The playbook route key; guessed from the signals when omitted.
        limit: How many ranked candidates to return.
        max_searches: The most searches to send (GitHub allows about 30 a minute).
        per_search: Results requested per search.
        concurrency: Searches in flight at once.
        now: Reference time for "recent activity"; the current time when omitted.
        own_issues: The ticket's own issues (``owner/name#number``), never candidates;
            when None, read from the ticket id (see :func:`.models.own_issue_keys`).
        encoder: The dense encoder; the backend's when omitted (a local snapshot opened
            with one), else None: lexical ranking only.
        threshold: The listing threshold (calibrated default).

    Returns:
        The planned searches with their reasons and the exact strings sent, the
        repositories, the ranked candidates (listed ones marked) with reasons, the PRs
        that reference the top candidates, and any failed searches.

    Raises:
        BackendError: Every search failed (the first failure is raised).
    """
    route_key = route or guess_route(signals, playbook)
    repos = candidate_repositories(signals, playbook, route_key)
    plans = plan_searches(signals, route=route_key, max_searches=max_searches)
    backend_name = str(getattr(backend, "backend_name", type(backend).__name__))
    if encoder is _DEFAULT:
        encoder = getattr(backend, "encoder", None)
    model: TextEncoder | None = encoder  # type: ignore[assignment]
    own = {k.lower() for k in own_issues} if own_issues is not None else set()
    if own_issues is None:
        own = own_issue_keys(signals.ticket_id)
    outcome = KnownIssueCandidates(
        repos=repos,
        route=route_key,
        backend=backend_name,
        listing_threshold=threshold,
        excluded=sorted(own),
        dense=model is not None,
    )
    similar = getattr(backend, "similar", None)
    if not plans and not callable(similar):
        return outcome

    results, failures = await _run_searches(
        backend, plans, repos, per_search=per_search, concurrency=concurrency
    )
    done = [(plan, r) for plan, r in zip(plans, results, strict=True) if r is not None]
    if plans and not done and failures:
        raise failures[0]

    pool: dict[str, PooledHit] = {}
    terms: list[str] = []
    ran: list[PlannedSearch] = []
    for plan, result in done:
        terms += result.queries
        ran.append(plan.model_copy(update={"sent": result.queries[0] if result.queries else None}))
        for hit in result.hits:
            if hit.kind == "issue":
                pool.setdefault(hit.key, PooledHit(hit=hit)).found_by.append(len(terms) - 1)
    if callable(similar):
        text = f"{signals.subject}\n{problem_text(signals.text)}"
        for hit in similar(text, limit=SIMILAR_LIMIT, exclude=own):
            pool.setdefault(hit.key, PooledHit(hit=hit)).found_by.append(SIMILAR_SEARCH)
    originals = _resolve_duplicates(pool, backend, own)
    for key in [k for k in pool if k.lower() in own]:
        del pool[key]

    vector_of = getattr(backend, "vector_of", None)
    vectors: dict[str, np.ndarray] = {}
    if model is not None and callable(vector_of):
        for key in pool:
            vector = vector_of(key)
            if vector is not None:
                vectors[key] = vector
    ranked = rank_candidates(
        signals,
        pool,
        searches=len(done),
        now=now,
        route=route_key,
        encoder=model,
        vectors=vectors,
        threshold=threshold,
    )
    ranked = _list_originals(ranked, originals, threshold)[:limit]
    related: dict[str, IssueHit] = {}
    top = [c for c in ranked[:RELATED_FOR] if c.listed]
    with_prs: list[KnownIssueCandidate] = []
    for candidate in ranked:
        if candidate in top:
            try:
                prs = await backend.related_prs(candidate.repo, candidate.number)
            except BackendError as exc:
                failures.append(exc)
                prs = []
            for pr in prs:
                related.setdefault(pr.key, pr)
            candidate = candidate.model_copy(update={"related_prs": prs})
        with_prs.append(candidate)

    return outcome.model_copy(
        update={
            "search_terms": terms,
            "searches": ran,
            "candidates": with_prs,
            "related_prs": list(related.values()),
            "errors": [f.one_line() for f in failures],
        }
    )
