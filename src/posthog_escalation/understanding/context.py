"""Where it happens: platform, framework, language, runtime, region, config, links, dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from ..models import Region, Ticket
from .model import ConfigOption, DateSignal, LinkKind, LinkSignal, SdkMention

_PLATFORM_WORDS: list[tuple[str, str]] = [
    ("react-native", r"react[- ]native|\bexpo\b|\bhermes\b"),
    ("flutter", r"\bflutter\b|\bdart\b|pubspec|\blibflutter\b"),
    ("ios", r"\bios\b|\biphone|\bipad|\bswift(?:ui)?\b|\buikit\b|\bxcode\b|cocoapods|\bpodfile\b"),
    ("android", r"\bandroid\b|\bkotlin\b|jetpack compose|\bgradle\b"),
    (
        "web",
        r"\bbrowser\b|\bsafari\b|\bchrome\b|\bfirefox\b|\bedge\b|\bwebsite\b|\bweb ?app\b|"
        r"\bsnippet\b|next\.?js|\bnuxt\b|sveltekit|\bsvelte\b|\bremix\b|\bangular\b|\bvue\b|"
        r"\bgatsby\b|\bastro\b|\bwordpress\b|\bwebflow\b|\bshopify\b|\bspa\b|"
        # The page itself: HTML elements and the browser's DOM and storage APIs.
        r"<(?:a|div|span|svg|button|input|textarea|iframe|img|form|select|canvas|video|body|"
        r"html|script|section|nav|label)\b[^<>\n]{0,120}>|\b(?:window|document|navigator)\."
        r"(?:location|addEventListener|querySelector\w*|getElement\w*|cookie|referrer|"
        r"userAgent|body|title)\b|\b(?:localStorage|sessionStorage)\b",
    ),
    (
        "backend",
        r"\bserver[- ]side\b|\bbackend\b|\blambda\b|\bserverless\b|\bdjango\b|\bflask\b|"
        r"\bfastapi\b|\bcelery\b|\brails\b|\blaravel\b|\bexpress\b|\bnestjs\b|\bcloud run\b|"
        r"\bcloudflare workers?\b|\bvercel functions?\b|\bedge functions?\b|\bcron job\b",
    ),
]
_FAMILY_PLATFORM = {
    "web": "web",
    "node": "backend",
    "react-native": "react-native",
    "ios": "ios",
    "android": "android",
    "flutter": "flutter",
    "python": "backend",
    "go": "backend",
    "ruby": "backend",
    "php": "backend",
    "dotnet": "backend",
    "java": "backend",
    "elixir": "backend",
    "rust": "backend",
    "unity": "unity",
}
FRAMEWORKS: list[tuple[str, str]] = [
    ("Next.js", r"next\.?js|\bnext (?:app|pages) router\b|\bapp router\b"),
    ("Nuxt", r"\bnuxt\b"),
    ("SvelteKit", r"sveltekit"),
    ("Svelte", r"\bsvelte\b(?!kit)"),
    ("Remix", r"\bremix\b"),
    ("Angular", r"\bangular\b"),
    ("Vue", r"\bvue(?:\.js)?\b"),
    ("React", r"\breact\b(?![- ]native)(?!/)"),
    ("Gatsby", r"\bgatsby\b"),
    ("Astro", r"\bastro\b"),
    ("Expo", r"\bexpo\b"),
    ("Hermes", r"\bhermes\b"),
    ("SwiftUI", r"\bswiftui\b"),
    ("UIKit", r"\buikit\b"),
    ("Jetpack Compose", r"jetpack compose|\bcompose\b(?= (?:ui|screen|view))"),
    ("Django", r"\bdjango\b"),
    ("Flask", r"\bflask\b"),
    ("FastAPI", r"\bfastapi\b"),
    ("Celery", r"\bcelery\b"),
    ("Rails", r"\brails\b"),
    ("Laravel", r"\blaravel\b"),
    ("Express", r"\bexpress(?:\.js)?\b(?= (?:app|server|middleware|route))|\bexpressjs\b"),
    ("NestJS", r"\bnestjs\b"),
    ("AWS Lambda", r"\blambda\b"),
    ("Vercel", r"\bvercel\b"),
    ("Cloudflare Workers", r"cloudflare workers?"),
    ("Google Cloud Run", r"\bcloud run\b"),
    ("Electron", r"\belectron\b"),
    ("Capacitor", r"\bcapacitor\b"),
    ("Ionic", r"\bionic\b"),
    ("Chrome extension", r"chrome extension|browser extension"),
    ("WordPress", r"\bwordpress\b"),
    ("Webflow", r"\bwebflow\b"),
    ("Shopify", r"\bshopify\b"),
    ("Docker", r"\bdocker(?:-compose)?\b"),
    ("Kubernetes", r"\bkubernetes\b|\bk8s\b|\bhelm\b"),
]
_RUNTIME = re.compile(
    r"\b(?P<name>Safari|Chrome|Firefox|Edge|Brave|Opera|Samsung Internet|iOS|iPadOS|Android|"
    r"macOS|Windows|Node(?:\.js)?|Python|Go|Ruby|PHP|Java|Kotlin|Swift|Dart|Flutter|"
    r"React Native|Expo SDK|Next\.js|Xcode)\s+v?(?P<version>\d+(?:\.\d+){0,2})\b(?!\.\d)"
    r"(?!\s*(?:%|days|hours|minutes|ms|seconds|percent))"
)


def findall_named(text: str, table: list[tuple[str, str]]) -> list[str]:
    hits: list[tuple[int, str]] = []
    for name, pattern in table:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]


def extract_platforms(text: str, sdks: list[SdkMention], hints: Iterable[str]) -> list[str]:
    found = findall_named(text + "\n" + "\n".join(hints), _PLATFORM_WORDS)
    for sdk in sdks:
        platform = _FAMILY_PLATFORM.get(sdk.family)
        if platform and platform not in found:
            found.append(platform)
    if "react-native" in found or "flutter" in found:
        # Cross-platform apps name iOS and Android; both stay, the framework first.
        found.sort(key=lambda p: p not in {"react-native", "flutter"})
    return list(dict.fromkeys(found))


_NATIVE_WORDS = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in _PLATFORM_WORDS
    if name in ("ios", "android")
}
_CLAUSE_BREAK = re.compile(r"[.;!?\n]+|,?\s+\b(?:but|while|whereas|however|although)\b", re.I)
_FAILS = re.compile(
    r"\b(?:not|no|never|none|without|missing|lacks?|fails?|failed|failing|broken|breaks|"
    r"crash\w*|can't|cannot|can not|won't|\w+n't)\b",
    re.IGNORECASE,
)


def failing_platform(text: str) -> str | None:
    """The one native mobile platform a ticket that names both states the failure for.

    Reports that compare platforms ("Android supports it; iOS doesn't yet", "on iOS it
    works, on Android there is no field") are about the one whose clause carries the
    negation or failure word. Clauses naming both platforms say nothing; when both are
    said to fail, or neither is, the answer is None.
    """
    failing: set[str] = set()
    named: set[str] = set()
    for clause in _CLAUSE_BREAK.split(text):
        here = {name for name, pattern in _NATIVE_WORDS.items() if pattern.search(clause)}
        named |= here
        if len(here) == 1 and _FAILS.search(clause):
            failing |= here
    if named != {"ios", "android"} or len(failing) != 1:
        return None
    return failing.pop()


LANGUAGES: list[tuple[str, str]] = [
    ("typescript", r"\btypescript\b|\btsc\b|\.tsx?\b"),
    ("javascript", r"\bjavascript\b|\bnode(?:\.js)?\b|\bnpm\b|\byarn\b|\bpnpm\b"),
    (
        "python",
        r"\bpython\d?\b|\bpip\b|\bdjango\b|\bflask\b|\bfastapi\b|\bcelery\b|Traceback \(|"
        r"\w\.py\"?,? line \d+|takes \d+ positional arguments? but \d+ (?:were|was) given|"
        r"got an unexpected keyword argument|\b(?:ModuleNotFoundError|AttributeError|KeyError|"
        r"ImportError): ",
    ),
    (
        "go",
        r"\bgolang\b|\bgoroutines?\b|\bgo (?:service|app|api|module|1\.\d+)\b|\bgo\.mod\b|"
        r"\bgo get\b|\w\.go:\d+\b|(?-i:\b(?:written in|in|with|using) Go\b|"
        r"\bGo (?:backend|server|service|code|app|program|client|library)\b)",
    ),
    ("ruby", r"\bruby\b|\brails\b|\bsidekiq\b|\bgemfile\b|\brake\b|\w\.rb:\d+"),
    ("php", r"\bphp\b|\blaravel\b|\bsymfony\b|\bcomposer\b"),
    ("csharp", r"\bc#|\.net\b|\basp\.net|\bnuget\b|\bSystem\.\w+Exception\b|\w\.cs:line \d+"),
    ("java", r"\bjava\b(?!script)|\bspring boot\b|\bjvm\b|\bmaven\b|\w\.java:\d+"),
    ("kotlin", r"\bkotlin\b|\w\.kts?(?::\d+|\b(?=[`'\")]))"),
    ("swift", r"\bswift(?:ui)?\b|\bobjective-c\b"),
    ("dart", r"\bdart\b|\bflutter\b"),
    ("elixir", r"\belixir\b|\bphoenix\b|\w\.exs?:\d+"),
    ("rust", r"\brust\b|\bcargo\b|\btokio\b|\w\.rs:\d+"),
]


def extract_runtimes(text: str) -> list[str]:
    found = []
    for match in _RUNTIME.finditer(text):
        name = match.group("name")
        found.append(f"{name} {match.group('version')}")
    return list(dict.fromkeys(found))


_REGION_PATTERNS: list[tuple[Region, re.Pattern[str]]] = [
    (
        Region.SELF_HOSTED,
        re.compile(
            r"self[- ]?host\w*|\bhobby (?:deploy\w*|instance)|\bour own (?:instance|deployment|"
            r"server)|\bon[- ]prem\w*|posthog/posthog(?:-foss)? (?:docker )?image|"
            r"\bhelm chart\b",
            re.IGNORECASE,
        ),
    ),
    (
        Region.EU,
        re.compile(
            r"\beu(?:\.i)?\.posthog\.com|\beu[- ]cloud\b|\bcloud[- ]eu\b|\beu (?:region|instance|"
            r"hosting|data ?cent(?:er|re))|\bposthog eu\b|\bfrankfurt\b",
            re.IGNORECASE,
        ),
    ),
    (
        Region.US,
        re.compile(
            r"\bus(?:\.i)?\.posthog\.com|\bapp\.posthog\.com|\bus[- ]cloud\b|\bcloud[- ]us\b|"
            r"\bus (?:region|instance|hosting|data ?cent(?:er|re))|\bposthog us\b",
            re.IGNORECASE,
        ),
    ),
]


def extract_region(text: str, ticket: Ticket) -> tuple[Region, str | None]:
    if ticket.customer.region is not Region.UNKNOWN:
        return ticket.customer.region, "customer record"
    hits = []
    for region, pattern in _REGION_PATTERNS:
        match = pattern.search(text)
        if match:
            hits.append((match.start(), region, match.group(0)))
    if not hits:
        return Region.UNKNOWN, None
    _, region, phrase = min(hits)
    return region, phrase


# ---------------------------------------------------------------------------------------
# Config options, links and ids
# ---------------------------------------------------------------------------------------

KNOWN_OPTIONS = frozenset(
    [
        "api_host",
        "ui_host",
        "persistence",
        "persistence_name",
        "cross_subdomain_cookie",
        "autocapture",
        "capture_pageview",
        "capture_pageleave",
        "capture_performance",
        "capture_exceptions",
        "capture_dead_clicks",
        "capture_heatmaps",
        "disable_session_recording",
        "enable_recording_console_log",
        "session_recording",
        "maskAllInputs",
        "maskAllTextInputs",
        "maskAllImages",
        "maskAllText",
        "maskTextSelector",
        "maskInputOptions",
        "blockSelector",
        "blockClass",
        "mask_all_text",
        "mask_all_element_attributes",
        "recordCrossOriginIframes",
        "recordCanvas",
        "canvasFps",
        "inlineStylesheet",
        "advanced_disable_feature_flags_on_first_load",
        "advanced_disable_feature_flags",
        "advanced_disable_decide",
        "advanced_disable_flags",
        "bootstrap",
        "featureFlags",
        "feature_flag_request_timeout_ms",
        "person_profiles",
        "opt_out_capturing_by_default",
        "opt_in_site_apps",
        "before_send",
        "sanitize_properties",
        "property_denylist",
        "disable_persistence",
        "disable_surveys",
        "disable_compression",
        "respect_dnt",
        "request_batching",
        "loaded",
        "debug",
        "flushAt",
        "flushInterval",
        "flush_at",
        "flush_interval",
        "sync_mode",
        "personal_api_key",
        "personalApiKey",
        "featureFlagsPollingInterval",
        "feature_flags_polling_interval",
        "poll_interval",
        "onlyEvaluateLocally",
        "only_evaluate_locally",
        "sendFeatureFlagEvent",
        "send_feature_flag_events",
        "send_feature_flags",
        "sendFeatureFlags",
        "disableGeoip",
        "disable_geoip",
        "enableSessionReplay",
        "sessionReplayConfig",
        "sessionReplay",
        "captureNativeAppLifecycleEvents",
        "captureApplicationLifecycleEvents",
        "captureScreenViews",
        "captureScreens",
        "captureLog",
        "captureNetworkTelemetry",
        "screenshotMode",
        "androidDebouncerDelayMs",
        "iOSdebouncerDelayMs",
        "preloadFeatureFlags",
        "enableExceptionAutocapture",
        "errorTracking",
        "maxQueueSize",
        "requestTimeout",
        "fetchRetryCount",
        "historicalMigration",
        "max_queue_size",
    ]
)
_OPTION_ASSIGN = re.compile(
    r"(?<![\w$.])(?P<name>[a-zA-Z_][a-zA-Z0-9_]{2,60})[\"']?\s*[:=]\s*"
    r"(?P<value>true|false|True|False|None|null|nil|\d+(?:\.\d+)?|'[^'\n]{0,80}'|"
    r"\"[^\"\n]{0,80}\"|\{|\[)"
)
_OPTION_NAME = re.compile(r"(?<![\w$.])(?P<name>[a-zA-Z_][a-zA-Z0-9_]{2,60})(?![\w$])")


def _looks_like_option(name: str) -> bool:
    if name in KNOWN_OPTIONS:
        return True
    snake = "_" in name.strip("_") and name.islower()
    camel = bool(re.match(r"^[a-z]+(?:[A-Z][a-z0-9]+){2,}$", name))
    return snake or camel


def extract_config_options(text: str) -> list[ConfigOption]:
    found: dict[str, ConfigOption] = {}
    for match in _OPTION_ASSIGN.finditer(text):
        name = match.group("name")
        if not _looks_like_option(name):
            continue
        value = match.group("value").strip("'\"")
        value = None if value in {"{", "["} else value
        if name not in found or (value and not found[name].value):
            found[name] = ConfigOption(name=name, value=value)
    for match in _OPTION_NAME.finditer(text):
        name = match.group("name")
        if name in KNOWN_OPTIONS and name not in found:
            found[name] = ConfigOption(name=name)
    positions = {name: text.find(name) for name in found}
    return [found[n] for n in sorted(found, key=lambda n: positions[n])]


_URL = re.compile(r"https?://[^\s<>()\"'`\]]+")
_POSTHOG_PATHS: list[tuple[LinkKind, re.Pattern[str]]] = [
    ("recording", re.compile(r"/replay/(?:recent\?sessionRecordingId=)?(?P<id>[\w-]{8,})")),
    ("recording", re.compile(r"sessionRecordingId=(?P<id>[\w-]{8,})")),
    ("insight", re.compile(r"/insights/(?P<id>[\w-]+)")),
    ("dashboard", re.compile(r"/dashboard/(?P<id>\d+)")),
    ("feature_flag", re.compile(r"/feature_flags/(?P<id>[\w-]+)")),
    ("experiment", re.compile(r"/experiments/(?P<id>[\w-]+)")),
    ("survey", re.compile(r"/surveys/(?P<id>[\w-]+)")),
    ("error_tracking", re.compile(r"/error_tracking/(?P<id>[\w-]+)")),
    ("person", re.compile(r"/person(?:s)?/(?P<id>[^/?#\s]+)")),
]
_PROJECT_IN_URL = re.compile(r"/project/(?P<id>\d+)")
_GITHUB = re.compile(r"github\.com/(?P<repo>[\w.-]+/[\w.-]+)/(?P<kind>issues|pull)/(?P<id>\d+)")
_BARE_PROJECT = re.compile(r"\bproject(?:\s+id)?\s*[:#]?\s*(?P<id>\d{3,7})\b", re.IGNORECASE)
_BARE_SESSION = re.compile(
    r"\b(?:session|recording)(?:\s+id)?\s*[:#]?\s*`?(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12})",
    re.IGNORECASE,
)


def _classify_url(url: str) -> LinkSignal:
    url = url.rstrip(".,;:!?")
    github = _GITHUB.search(url)
    if github:
        kind: LinkKind = "github_pr" if github.group("kind") == "pull" else "github_issue"
        return LinkSignal(
            url=url, kind=kind, object_id=f"{github.group('repo')}#{github.group('id')}"
        )
    project = _PROJECT_IN_URL.search(url)
    project_id = project.group("id") if project else None
    if "posthog.com" in url or project_id:
        if re.search(r"posthog\.com/(?:docs|tutorials|blog|handbook)/", url):
            return LinkSignal(url=url, kind="docs")
        for kind, pattern in _POSTHOG_PATHS:
            match = pattern.search(url)
            if match:
                return LinkSignal(url=url, kind=kind, project_id=project_id, object_id=match["id"])
        if project_id:
            return LinkSignal(url=url, kind="project", project_id=project_id)
    return LinkSignal(url=url, kind="other")


def extract_links(text: str, ticket: Ticket) -> list[LinkSignal]:
    links: dict[str, LinkSignal] = {}
    for url in [*ticket.links, *(m.group(0) for m in _URL.finditer(text))]:
        link = _classify_url(url)
        links.setdefault(link.url, link)
    known_projects = {link.project_id for link in links.values() if link.project_id}
    for match in _BARE_PROJECT.finditer(text):
        pid = match.group("id")
        if pid not in known_projects:
            known_projects.add(pid)
            links.setdefault(
                f"project:{pid}", LinkSignal(url=f"project:{pid}", kind="project", project_id=pid)
            )
    if ticket.customer.project_id and ticket.customer.project_id not in known_projects:
        pid = ticket.customer.project_id
        links.setdefault(
            f"project:{pid}", LinkSignal(url=f"project:{pid}", kind="project", project_id=pid)
        )
    known_objects = {link.object_id for link in links.values()}
    for match in _BARE_SESSION.finditer(text):
        sid = match.group("id")
        if sid not in known_objects:
            known_objects.add(sid)
            links.setdefault(
                f"recording:{sid}",
                LinkSignal(url=f"recording:{sid}", kind="recording", object_id=sid),
            )
    return list(links.values())


# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_START_WORDS = r"(?:since|started|starting|began|beginning|from|as of|after)\s+(?:on\s+|last\s+)?"
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>20\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    (
        "month_day",
        re.compile(
            rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>20\d\d))?",
            re.IGNORECASE,
        ),
    ),
    (
        "day_month",
        re.compile(
            rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH_RE})\b\.?"
            rf"(?:,?\s+(?P<y>20\d\d))?",
            re.IGNORECASE,
        ),
    ),
    ("weekday", re.compile(rf"\b(?:last\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})\b", re.IGNORECASE)),
    (
        "ago",
        re.compile(
            r"\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven|a couple of|a few)\s+"
            r"(?P<unit>hours?|days?|weeks?|months?)\s+ago\b",
            re.IGNORECASE,
        ),
    ),
    (
        "named",
        re.compile(
            r"\b(?P<named>today|this morning|tonight|yesterday|last night|last week|"
            r"the weekend|this week|last month|overnight)\b",
            re.IGNORECASE,
        ),
    ),
]
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "a couple of": 2,
    "a few": 3,
}


def _resolve(
    kind: str, match: re.Match[str], today: date | None, *, past: bool = True
) -> date | None:
    """The date a match names. A date without a year is put in the past when it marks a
    start ("since Nov 14"), else in the year that puts it nearest to ``today`` (a
    renewal "on December 15th" is ahead)."""
    if kind == "iso":
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
    if kind in {"month_day", "day_month"}:
        month = _MONTHS[match["mon"].lower()]
        year = int(match["y"]) if match["y"] else (today.year if today else None)
        if year is None:
            return None
        try:
            value = date(year, month, int(match["d"]))
        except ValueError:
            return None
        if today and not match["y"]:
            if value > today and (past or (value - today).days > 183):
                value = value.replace(year=year - 1)
            elif not past and (today - value).days > 183:
                value = value.replace(year=year + 1)
        return value
    if today is None:
        return None
    if kind == "weekday":
        target = _WEEKDAYS.index(match["wd"].lower())
        back = (today.weekday() - target) % 7 or 7
        return today - timedelta(days=back)
    if kind == "ago":
        n_text = match["n"].lower()
        n = int(n_text) if n_text.isdigit() else _NUMBER_WORDS[n_text]
        unit = match["unit"].lower().rstrip("s")
        days = {"hour": 0, "day": n, "week": 7 * n, "month": 30 * n}[unit]
        return today - timedelta(days=days)
    named = match["named"].lower()
    offsets = {
        "today": 0,
        "this morning": 0,
        "tonight": 0,
        "yesterday": 1,
        "last night": 1,
        "overnight": 0,
        "this week": today.weekday(),
        "last week": 7,
        "last month": 30,
        "the weekend": (today.weekday() - 5) % 7 or 7,
    }
    return today - timedelta(days=offsets[named])


def _marks_start(text: str, start: int) -> bool:
    """True when the clause before a date says it is when the problem began."""
    before = text[max(0, start - 100) : start]
    clause = re.split(r"[.;!?](?=\s)|\n|, (?:and|but) ", before)[-1]
    return bool(
        re.search(_START_WORDS + r"$", clause, re.IGNORECASE)
        or re.search(
            r"\b(?:since|started|starting|began|first (?:noticed|seen|saw))\b", clause, re.I
        )
    )


def extract_dates(text: str, today: date | None) -> list[DateSignal]:
    found: list[tuple[int, DateSignal]] = []
    spans: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in spans):
                continue
            if (
                kind == "month_day"
                and match["mon"].lower() in {"may", "mar", "jun"}
                and not (match["y"] or re.search(r"\d(?:st|nd|rd|th)", match.group(0)))
                and match["mon"] != match["mon"].capitalize()
            ):
                continue
            spans.append((match.start(), match.end()))
            marks_start = _marks_start(text, match.start())
            found.append(
                (
                    match.start(),
                    DateSignal(
                        text=match.group(0),
                        date=_resolve(kind, match, today, past=marks_start),
                        kind="absolute"
                        if kind in {"iso", "month_day", "day_month"}
                        else "relative",
                        marks_start=marks_start,
                    ),
                )
            )
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]
