"""Known-issue search: from a ticket's signals to ranked duplicate candidates.

Real duplicates are mostly implicit: the same report filed in another repository, or
the same error string from a different user. So the search casts several narrow nets
(GitHub ANDs every word, so each search has two or three terms) and the ranking, not the
search, decides:

1. **Plan** a handful of searches from the signals: each error's distinctive phrase,
   a distinctive config option, the product-area word with a platform word and with a
   symptom word, the subject's most specific words, and the broken version.
2. **Run** them against the candidate repositories (the playbook route's repository,
   where customers often file instead, and each named SDK's repository), and pool the
   issues they return.
3. **Rank** the pool by similarity to the ticket: TF-IDF cosine of the texts, title
   overlap, the same error string, the same version, the same SDK family, platform and
   config words, how many searches found it, and open state and recent activity.
   Every candidate carries a confidence (0..1) and the reasons behind it.
4. **Link** the PRs that reference the top candidates.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise

import anyio

from ...errors import BackendError, RateLimitedError
from ...playbook import Playbook
from ...understanding import KNOWN_OPTIONS, SYMPTOMS, Signals, exact_version, sdk_mentions
from .models import (
    IssueHit,
    IssueSearch,
    IssueSearchResult,
    KnownIssueCandidate,
    KnownIssueCandidates,
)
from .query import STOPWORDS, quote_phrase, stem_all, tokenize

MAX_REPOS = 6
MAIN_REPO = "PostHog/posthog"
PER_SEARCH = 20
RELATED_FOR = 3
RELATED_MIN_CONFIDENCE = 0.3


def _wordlist(text: str) -> list[str]:
    return text.split()


# Words too common in support tickets and issue reports to tell two reports apart.
GENERIC_WORDS = frozenset(
    _wordlist(
        """
    posthog hi hello hey thanks thank please team issue issues bug bugs problem problems help
    using use used uses work works working worked seems seem see saw also just still get gets
    getting got like would could should can cannot cant don dont doesn doesnt didnt isn
    after since before now new old any some all every other more most much many one two
    way thing things something anything everything really very quite able unable know
    need needs want wanted try tried trying look looks looking happen happens happened
    anyone someone here there when where what which who why how does did done make made
    set sets setting same different appear appears expected actual instead only even
    our my me us they them it its this that these those being been was were is are be
    app apps version versions update updated upgrade upgraded latest sdk code line file
    time times day days week weeks today yesterday users user customers customer people
        """
    )
)

# Everyday English words that say nothing about which problem a report describes; with
# GENERIC_WORDS, what is left over in a ticket is its distinctive vocabulary.
COMMON_WORDS = frozenset(
    _wordlist(
        """
        about above across actually add added again against ago almost already although always
        another around asap ask asked away back bad because become becomes best better between
        big both bring broken call called came case cause caused causes change changed changes
        check checked clear click come comes correct correctly couple current currently data
        default didn doing down during each easy either else end ended enough entire error errors
        etc ever example except fail failed failing fails fine first fix fixed fixes following
        found free full general give given gives going gone good great half hand happening hard
        having high hour hours however idea important include including info information inside
        instead issue keep kept kind large last later least left less let level light likely
        list little live load loaded local long longer lot lots low main many maybe mean means
        might minute minutes miss month months move moved much must name near never next nice
        none normal nothing notice noticed number often okay once open order others otherwise
        out over own page part past per perhaps place point possible pretty previous probably
        proper put quick quickly rather read ready real reason recent recently related report
        reported reports require required right run running runs said say says second seconds
        seen send sending sent several show showing shown shows side similar simple since single
        small someone sometimes soon sort start started starts state still stop stopped such
        suddenly support sure take taken takes tell than then thing think those though through
        thus together told took top total tried true turn turned type under unless until upon
        usual usually value various via wait want way ways well went whole why within without
        won wonder word words work wrong year years yet zero
        """
    )
)

# Product-area words, most specific first: a search pairs the first one the ticket uses
# with a platform or symptom word.
TOPIC_WORDS = _wordlist(
    "replay replays recording recordings masking masked mask bootstrap bootstrapped flag "
    "flags experiment experiments variant survey surveys sourcemap sourcemaps exception "
    "exceptions stacktrace toolbar heatmap heatmaps autocapture identify alias merge merged "
    "cohort cohorts webhook destination destinations export exports bigquery snowflake "
    "hogql sql insight insights funnel funnels dashboard dashboards retention breakdown "
    "pageview pageviews pageleave ingestion flush shutdown decide payload payloads canvas "
    "consent cookie cookies proxy screen screens screenshot capture console network "
    "evaluation session sessions events"
)
# Platform words, most specific first ("react" and "native" say little on their own).
PLATFORM_WORDS = _wordlist(
    "safari chrome firefox edge android ios iphone ipad flutter expo hermes nextjs nuxt "
    "sveltekit svelte remix angular vue lambda vercel serverless django flask fastapi celery "
    "rails laravel swiftui compose kotlin electron capacitor ionic cloudflare workers webview "
    "wordpress shopify next react native"
)


# The SDK a platform word points at, when the ticket names no SDK package.
PLATFORM_PACKAGES = {
    "web": "posthog-js",
    "ios": "posthog-ios",
    "android": "posthog-android",
    "react-native": "posthog-react-native",
    "flutter": "posthog-flutter",
}


# The server SDK a programming language points at, when the ticket names no SDK package.
LANGUAGE_PACKAGES = {
    "python": "posthog-python",
    "go": "posthog-go",
    "ruby": "posthog-ruby",
    "php": "posthog-php",
    "csharp": "posthog-dotnet",
    "elixir": "posthog-elixir",
    "rust": "posthog-rs",
    "java": "posthog-java",
}


@dataclass
class PooledHit:
    """A search hit and the searches (indexes into the search terms) that returned it."""

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
    """The playbook route whose keywords the ticket uses most (the triage product area,
    when it names a route's area, wins)."""
    if signals.product_area:
        wanted = signals.product_area.strip().lower()
        for key, route in playbook.routes.items():
            if wanted in {key.lower(), route.area.lower(), key.replace("_", " ").lower()}:
                return key
    text = f" {signals.subject} {signals.subject} {signals.text} ".lower()
    best: tuple[int, str] | None = None
    for key, route in playbook.routes.items():
        if key == "security":
            continue
        score = len(_keyword_pattern(tuple(route.keywords)).findall(text))
        if score and (best is None or score > best[0]):
            best = (score, key)
    return best[1] if best else None


def candidate_repositories(signals: Signals, playbook: Playbook, route: str | None) -> list[str]:
    """Where to search: the route's repositories for the main SDK, each named SDK's
    repository and where customers file instead, the SDK a language or platform points at
    when no SDK is named (and the native SDKs under React Native and Flutter), and always
    PostHog/posthog, where customers file every kind of report. At most six."""
    repos: list[str] = []
    primary = signals.primary_sdk
    if route is not None:
        repos += playbook.candidate_repos(
            playbook.route(route), primary.package if primary else None
        )
    for sdk in signals.sdks:
        owner = playbook.sdk_repos.get(sdk.package.lower())
        if owner:
            repos += [owner, *playbook.also_filed_in.get(owner, [])]
    if not signals.sdks:
        for language in signals.languages:
            owner = playbook.sdk_repos.get(LANGUAGE_PACKAGES.get(language, ""))
            if owner:
                repos.append(owner)
    families = set(signals.families)
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
    # Customers file every kind of report in the main repository as well.
    repos = list(dict.fromkeys(repos))
    if MAIN_REPO not in repos:
        repos.insert(min(1, len(repos)), MAIN_REPO)
    return repos[:MAX_REPOS]


# ---------------------------------------------------------------------------------------
# Planning the searches
# ---------------------------------------------------------------------------------------


def _words_in(text: str, vocabulary: list[str]) -> list[str]:
    tokens = tokenize(text)
    seen = [t for t in tokens if t in vocabulary]
    return list(dict.fromkeys(seen))


def _platform_words(signals: Signals) -> list[str]:
    """Platform, browser and framework words the ticket uses, most specific first."""
    found = _words_in(
        " ".join([*signals.runtimes, *signals.frameworks, *signals.platforms, signals.text]),
        PLATFORM_WORDS,
    )
    return sorted(found, key=PLATFORM_WORDS.index)


def _topics(signals: Signals) -> list[str]:
    """Product-area words the ticket uses, most specific first (subject words break ties)."""
    found = _words_in(f"{signals.subject} {signals.text}", TOPIC_WORDS)
    return sorted(found, key=TOPIC_WORDS.index)


def _symptom_words(signals: Signals) -> list[str]:
    words = []
    text = f"{signals.subject}\n{signals.text}"
    for name in signals.symptoms:
        if name in {"error", "broken"}:
            continue
        match = re.search(SYMPTOMS[name], text, re.IGNORECASE)
        if match:
            first = tokenize(match.group(0))
            if first and first[0] not in STOPWORDS and first[0] not in {"not", "no"}:
                words.append(first[0])
            elif len(first) > 1:
                words.append(first[-1])
    return list(dict.fromkeys(words))


def _distinctive_option(signals: Signals) -> str | None:
    for option in signals.config_options:
        name = option.name
        if name in KNOWN_OPTIONS and len(name) >= 10 and name not in {"session_recording"}:
            return name
    return None


def _is_distinctive(token: str) -> bool:
    return (
        len(token) > 3
        and not token.isdigit()
        and token not in STOPWORDS
        and token not in GENERIC_WORDS
        and token not in COMMON_WORDS
    )


def _subject_terms(signals: Signals, limit: int = 3) -> list[str]:
    tokens = [t for t in tokenize(signals.subject) if _is_distinctive(t) or t in TOPIC_WORDS]
    ranked = sorted(
        dict.fromkeys(tokens),
        key=lambda t: (t not in TOPIC_WORDS and t not in PLATFORM_WORDS, tokens.index(t)),
    )
    return ranked[:limit]


def distinctive_terms(signals: Signals, limit: int = 6) -> list[str]:
    """The ticket's own vocabulary, most telling first: words that are neither everyday
    English nor support boilerplate, preferring the subject and repeated words."""
    subject = tokenize(signals.subject)
    body = tokenize(signals.text)
    counts = Counter(body)
    candidates = [t for t in dict.fromkeys(subject + body) if _is_distinctive(t)]
    candidates = [t for t in candidates if not re.fullmatch(r"[0-9a-f]{6,}|v?\d.*", t)]

    def weight(token: str) -> tuple[float, int]:
        score = counts[token] + (3 if token in subject else 0)
        if token in TOPIC_WORDS or token in PLATFORM_WORDS:
            score += 1
        return (-score, (subject + body).index(token))

    return sorted(candidates, key=weight)[:limit]


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,3})\b")


def multiword_names(signals: Signals, limit: int = 2) -> list[str]:
    """Capitalised multi-word names in the body (``Google Tag Manager``), not at the
    start of a sentence; searched as exact phrases."""
    names: list[str] = []
    for line in signals.text.splitlines():
        for match in _NAME.finditer(line):
            words = match.group(1).split()
            if any(w.lower() in STOPWORDS or w.lower() in {"posthog"} for w in words):
                continue
            names.append(" ".join(words))
    return list(dict.fromkeys(names))[:limit]


def plan_searches(signals: Signals, *, max_searches: int = 7) -> list[str]:
    """The search texts (without qualifiers) for a ticket, most specific first.

    Every search has at most three terms, because GitHub requires every word to match:
    exact error phrases (at most three), a distinctive config option, the product-area
    word with a platform, symptom or HTTP status word, the subject's two most specific
    words, the broken version with the product-area word, multi-word names quoted, and
    then pairs of the ticket's most distinctive words until the budget is used.
    """
    plans: list[str] = []
    error_phrases = [p for e in signals.errors for p in e.search_phrases[:2] if len(p) >= 6]
    plans += [quote_phrase(p) for p in list(dict.fromkeys(error_phrases))[:3]]
    option = _distinctive_option(signals)
    if option:
        plans.append(quote_phrase(option))
    topics = _topics(signals)
    platform_words = _platform_words(signals)
    symptoms = _symptom_words(signals)
    topic = topics[0] if topics else None
    if topic and platform_words:
        plans.append(f"{topic} {platform_words[0]}")
    if topic and symptoms:
        plans.append(f"{topic} {symptoms[0]}")
    subject = _subject_terms(signals)
    if len(subject) >= 2:
        plans.append(" ".join(subject[:2]))
    if topic and signals.http_statuses:
        plans.append(f"{signals.http_statuses[0]} {topic}")
    bad = next((c.first_bad for c in signals.version_changes if c.first_bad), None)
    version = exact_version(bad) or next(
        (s.exact_version for s in signals.sdks if s.exact_version), None
    )
    if version:
        plans.append(f"{quote_phrase(version)} {topic}" if topic else quote_phrase(version))
    plans += [quote_phrase(name) for name in multiword_names(signals)]
    # Fill the budget with pairs of the ticket's most distinctive words.
    terms = distinctive_terms(signals)
    anchor = topic or (terms[0] if terms else None)
    for term in terms:
        if anchor and term != anchor:
            plans.append(f"{anchor} {term}")
    for first, second in pairwise(terms[1:]):
        plans.append(f"{first} {second}")
    if not plans and terms:
        plans.append(terms[0])
    unique: list[str] = []
    for plan in plans:
        if plan and plan not in unique:
            unique.append(plan)
    return unique[:max_searches]


# ---------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------


def _content_stems(text: str) -> list[str]:
    tokens = [
        t
        for t in tokenize(text)
        if t not in STOPWORDS and t not in GENERIC_WORDS and len(t) > 1 and not t.isdigit()
    ]
    return stem_all(tokens)


def _surface_words(text: str) -> dict[str, str]:
    """Content stems of ``text`` mapped to the first word that produced each."""
    tokens = [
        t
        for t in tokenize(text)
        if t not in STOPWORDS and t not in GENERIC_WORDS and len(t) > 1 and not t.isdigit()
    ]
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


def _families_of(hit: IssueHit, text: str) -> set[str]:
    families = {m.family for m in sdk_mentions(text)}
    if families:
        return families
    repo_family = {
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
    }.get(hit.repo.lower())
    return {repo_family} if repo_family else set()


@dataclass
class _Features:
    text: float = 0.0
    title: float = 0.0
    error: float = 0.0
    version: float = 0.0
    sdk: float = 0.0
    platform: float = 0.0
    config: float = 0.0
    found: float = 0.0
    open: float = 0.0
    recent: float = 0.0
    reasons: list[tuple[float, str]] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)


WEIGHTS = {
    "text": 0.30,
    "title": 0.14,
    "error": 0.22,
    "version": 0.08,
    "sdk": 0.07,
    "platform": 0.05,
    "config": 0.05,
    "found": 0.04,
    "open": 0.02,
    "recent": 0.03,
}
TEXT_SATURATION = 0.5
RECENT_DAYS = 120


def _score(features: _Features) -> float:
    return sum(getattr(features, name) * weight for name, weight in WEIGHTS.items())


def rank_candidates(
    signals: Signals,
    pool: dict[str, PooledHit] | list[IssueHit],
    *,
    searches: int = 1,
    now: datetime | None = None,
) -> list[KnownIssueCandidate]:
    """Rank pooled hits by similarity to the ticket, best first, with reasons."""
    if isinstance(pool, list):
        pool = {h.key: PooledHit(hit=h, found_by=[0]) for h in pool}
    if not pool:
        return []
    ticket_stems = _content_stems(f"{signals.subject}\n{signals.subject}\n{signals.text}")
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
    reference = now or datetime.now(UTC)

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
    ticket_families = set(signals.families)
    platform_words = _platform_words(signals)
    option_names = [o.name for o in signals.config_options if len(o.name) >= 8]

    ranked: list[KnownIssueCandidate] = []
    for key, pooled in pool.items():
        hit = pooled.hit
        full = f"{hit.title}\n{hit.body}"
        words = f" {' '.join(tokenize(full))} "
        f = _Features()

        cosine = _cosine(ticket_vec, _tfidf(Counter(docs[key]), idf))
        f.text = min(1.0, cosine / TEXT_SATURATION)
        if cosine >= 0.15:
            f.reasons.append((f.text * WEIGHTS["text"], f"similar text (cosine {cosine:.2f})"))

        error_stems: set[str] = set()
        for error in signals.errors:
            phrase = next((p for p in error.search_phrases if _contains_words(words, p)), None)
            if phrase:
                f.error = 1.0
                error_stems = set(_content_stems(phrase))
                f.matched.append(phrase)
                f.reasons.append((WEIGHTS["error"], f"same error string: '{phrase}'"))
                break
            if error.type and _contains_words(words, error.type) and error.message:
                msg = set(tokenize(error.message)) - STOPWORDS
                have = {t for t in msg if f" {t} " in words}
                if msg and len(have) / len(msg) >= 0.5:
                    f.error = max(f.error, 0.5)
                    f.reasons.append((0.5 * WEIGHTS["error"], f"same error type: {error.type}"))

        # Title words already counted as the shared error string are not counted twice.
        surface = _surface_words(hit.title)
        title_stems = set(surface) - error_stems
        shared = sorted(title_stems & ticket_set, key=lambda stem: surface[stem])
        f.title = len(shared) / len(title_stems) if title_stems else 0.0
        if shared:
            words_shared = [surface[stem] for stem in shared]
            f.reasons.append(
                (f.title * WEIGHTS["title"], f"title shares: {', '.join(words_shared)}")
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
            f.reasons.append((f.version * WEIGHTS["version"], f"same version: {shown}"))

        families = _families_of(hit, full)
        if ticket_families and families:
            common = ticket_families & families
            f.sdk = 1.0 if common else 0.0
            if common:
                f.reasons.append((WEIGHTS["sdk"], f"same SDK family: {', '.join(sorted(common))}"))
        elif ticket_families:
            f.sdk = 0.5

        if platform_words:
            found = [w for w in platform_words if f" {w} " in words]
            f.platform = len(found) / len(platform_words)
            if found:
                f.matched += found
                f.reasons.append(
                    (f.platform * WEIGHTS["platform"], f"same platform: {', '.join(found)}")
                )

        options = [o for o in option_names if o.lower() in full.lower()]
        if options:
            f.config = 1.0
            f.matched += options
            f.reasons.append((WEIGHTS["config"], f"same option: {', '.join(options)}"))

        f.found = min(1.0, len(pooled.found_by) / max(1, min(searches, 3)))
        if len(pooled.found_by) > 1:
            f.reasons.append(
                (f.found * WEIGHTS["found"], f"found by {len(pooled.found_by)} searches")
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
        f.reasons.append((f.open * WEIGHTS["open"] + f.recent * WEIGHTS["recent"], status))

        confidence = max(0.0, min(1.0, _score(f)))
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
    plans: list[str],
    repos: list[str],
    *,
    per_search: int,
    concurrency: int,
) -> tuple[list[IssueSearchResult | None], list[BackendError]]:
    results: list[IssueSearchResult | None] = [None] * len(plans)
    failures: list[BackendError | None] = [None] * len(plans)
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    stop = anyio.Event()

    async def one(index: int, plan: str) -> None:
        async with limiter:
            if stop.is_set():
                failures[index] = RateLimitedError(
                    f"search '{plan}' skipped after a rate limit", "try again later"
                )
                return
            try:
                results[index] = await backend.search(plan, repos=repos, limit=per_search)
            except RateLimitedError as exc:
                stop.set()
                failures[index] = exc
            except BackendError as exc:
                failures[index] = exc

    async with anyio.create_task_group() as group:
        for index, plan in enumerate(plans):
            group.start_soon(one, index, plan)
    return results, [f for f in failures if f is not None]


async def find_known_issues(
    signals: Signals,
    backend: IssueSearch,
    playbook: Playbook,
    *,
    route: str | None = None,
    limit: int = 5,
    max_searches: int = 7,
    per_search: int = PER_SEARCH,
    concurrency: int = 2,
    now: datetime | None = None,
) -> KnownIssueCandidates:
    """Search for issues that describe the ticket's problem and rank them.

    Args:
        signals: The ticket's signals (see :func:`~posthog_escalation.signals.extract_signals`).
        backend: The issue search (GitHub or the local snapshot).
        playbook: Routes and SDK repositories, for the candidate repositories.
        route: The playbook route key; guessed from the signals when omitted.
        limit: How many ranked candidates to return.
        max_searches: The most searches to send (GitHub allows about 30 a minute).
        per_search: Results requested per search.
        concurrency: Searches in flight at once.
        now: Reference time for "recent activity"; the current time when omitted.

    Returns:
        The exact search strings sent, the repositories, the ranked candidates with
        reasons, the PRs that reference the top candidates, and any failed searches.

    Raises:
        BackendError: Every search failed (the first failure is raised).
    """
    route_key = route or guess_route(signals, playbook)
    repos = candidate_repositories(signals, playbook, route_key)
    plans = plan_searches(signals, max_searches=max_searches)
    backend_name = str(getattr(backend, "backend_name", type(backend).__name__))
    outcome = KnownIssueCandidates(repos=repos, route=route_key, backend=backend_name)
    if not plans:
        return outcome

    results, failures = await _run_searches(
        backend, plans, repos, per_search=per_search, concurrency=concurrency
    )
    done = [r for r in results if r is not None]
    if not done and failures:
        raise failures[0]

    pool: dict[str, PooledHit] = {}
    terms: list[str] = []
    for result in done:
        terms += result.queries
        for hit in result.hits:
            if hit.kind == "issue":
                pool.setdefault(hit.key, PooledHit(hit=hit)).found_by.append(len(terms) - 1)

    ranked = rank_candidates(signals, pool, searches=len(done), now=now)[:limit]
    related: dict[str, IssueHit] = {}
    top = [c for c in ranked[:RELATED_FOR] if c.confidence >= RELATED_MIN_CONFIDENCE]
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
            "candidates": with_prs,
            "related_prs": list(related.values()),
            "errors": [f.one_line() for f in failures],
        }
    )
