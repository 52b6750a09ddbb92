"""Signals read from realistic tickets written for these tests (no copied reports)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posthog_escalation.models import (
    Customer,
    Message,
    Region,
    Ticket,
    TriageDecision,
    TriageReport,
)
from posthog_escalation.understanding import Signals, exact_version, extract_signals, sentence_with

FRIDAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday


def ticket(subject: str, body: str, **extra: object) -> Ticket:
    return Ticket(id="T-1", subject=subject, body=body, created_at=FRIDAY, **extra)


def sdk_versions(signals: Signals) -> dict[str, str | None]:
    return {s.package: s.version for s in signals.sdks}


# --------------------------------------------------------------------------- web


SAFARI = ticket(
    "Safari recordings are blank since upgrading posthog-js",
    """Hi team,

since we upgraded posthog-js from 1.200.3 to 1.201.0 on Tuesday, every recording from
Safari 18 users plays back as a blank page. Chrome and Firefox are fine.

The console shows:

    TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')
        at e.value (recorder.js:1:23456)
        at Array.forEach (<anonymous>)
        at t.takeFullSnapshot (recorder.js:1:30110)

We are on the EU cloud, project 48213. Example recording:
https://eu.posthog.com/project/48213/replay/01932f0a-aaaa-7bbb-8ccc-123456789abc

All of our Safari users are affected, roughly 30% of our users. We're an enterprise
customer with 420 seats and the renewal is next month; leadership is evaluating
alternatives. There is no workaround: we load the snippet from your CDN so we can't pin.

Config: maskAllInputs: true, session_recording: { recordCrossOriginIframes: true }
""",
)


def test_web_regression_ticket_yields_sdk_versions_error_and_region() -> None:
    s = extract_signals(SAFARI)
    assert sdk_versions(s) == {"posthog-js": "1.201.0"}
    sdk = s.sdks[0]
    assert (sdk.lib, sdk.family, sdk.repo) == ("web", "web", "PostHog/posthog-js")
    change = s.version_changes[0]
    assert (change.package, change.last_good, change.first_bad) == (
        "posthog-js",
        "1.200.3",
        "1.201.0",
    )
    error = s.errors[0]
    assert error.type == "TypeError"
    assert "n.adoptedStyleSheets.length" in error.message
    assert error.key_phrase == "adoptedStyleSheets.length"
    assert error.frames[0] == "at e.value (recorder.js:1:23456)"
    assert len(error.frames) == 3
    assert s.region is Region.EU
    assert s.platforms == ["web"]
    assert "Safari 18" in s.runtimes


def test_web_regression_ticket_yields_impact_language() -> None:
    s = extract_signals(SAFARI)
    assert s.scope.level == "all"
    assert "roughly 30% of our users" in s.scope.figures
    assert s.depth.level == "blocked"
    assert s.revenue.enterprise and s.revenue.seats == 420
    assert "evaluating alternatives" in s.revenue.churn_phrases
    assert s.revenue.at_risk
    assert s.started_on == date(2026, 11, 17)  # the Tuesday before the Friday ticket
    assert {o.name: o.value for o in s.config_options} == {
        "maskAllInputs": "true",
        "session_recording": None,
        "recordCrossOriginIframes": "true",
    }
    recording = next(link for link in s.links if link.kind == "recording")
    assert recording.project_id == "48213"
    assert recording.object_id == "01932f0a-aaaa-7bbb-8ccc-123456789abc"
    assert "blank" in s.symptoms
    assert "link" not in s.missing and "debug_logs" not in s.missing
    assert "reproduction" in s.missing


# --------------------------------------------------------------- React Native


RN_MASKING = ticket(
    "Text inputs visible in Android replays (RN)",
    """We use Expo SDK 52 with these packages:

```json
"posthog-react-native": "^3.3.7",
"posthog-react-native-session-replay": "^1.1.0",
```

and init with

```ts
<PostHogProvider apiKey={KEY} options={{ enableSessionReplay: true,
  sessionReplayConfig: { maskAllTextInputs: true, maskAllImages: true } }}>
```

Works on 3.3.6, broken on 3.3.7: on Android the password and card number fields are
unmasked in recordings. iOS is fine. This is PII in recordings our support staff can
watch, so it's a compliance problem for us. All Android users are affected.

Steps to reproduce:
1. open the login screen on an Android 14 device
2. type a password
3. watch the recording
""",
)


def test_react_native_ticket_keeps_both_packages_and_their_ranges() -> None:
    s = extract_signals(RN_MASKING)
    assert sdk_versions(s) == {
        "posthog-react-native": "^3.3.7",
        "posthog-react-native-session-replay": "^1.1.0",
    }
    plugin = s.sdks[1]
    assert plugin.plugin and plugin.lib == "posthog-react-native"
    assert s.primary_sdk is not None and s.primary_sdk.package == "posthog-react-native"
    assert s.primary_sdk.exact_version is None  # a range is not an exact version


def test_react_native_ticket_reads_regression_masking_options_and_exposure() -> None:
    s = extract_signals(RN_MASKING)
    change = s.version_changes[0]
    assert (change.last_good, change.first_bad) == ("3.3.6", "3.3.7")
    assert change.package == "posthog-react-native"
    options = {o.name: o.value for o in s.config_options}
    assert options["maskAllTextInputs"] == "true"
    assert options["enableSessionReplay"] == "true"
    assert s.platforms[0] == "react-native"
    assert {"android", "ios"} <= set(s.platforms)
    assert "Expo" in s.frameworks
    assert "exposure" in s.data_risk_kinds
    assert "unmasked" in s.symptoms
    assert "Android 14" in s.runtimes
    assert "reproduction" not in s.missing


# ------------------------------------------------------------- Flutter + iOS pod


FLUTTER = ticket(
    "Flutter app: no iOS recordings, crash on background",
    """pubspec.yaml has `posthog_flutter: ^4.10.2` and the Podfile.lock resolves the native
pod to PostHog (3.19.1). Android recordings appear, iOS ones never do. On iOS 17.5 the
app also crashes when it goes to the background:

Thread 7 Crashed: EXC_BAD_ACCESS (code=1, address=0x10)
0   PostHog    0x0000000104a1c2e0 PostHogReplayIntegration.snapshot + 120
1   PostHog    0x0000000104a1b001 PostHogReplayIntegration.start + 44

Only some users hit the crash (about 40 devices out of 2,000). We self-host PostHog on
our own instance behind nginx.
""",
)


def test_flutter_ticket_names_flutter_package_and_native_pod() -> None:
    s = extract_signals(FLUTTER)
    assert sdk_versions(s) == {"posthog-flutter": "^4.10.2", "posthog-ios": "3.19.1"}
    assert s.sdks[0].lib == "posthog-flutter"
    assert s.platforms[0] == "flutter"
    assert "ios" in s.platforms
    assert s.region is Region.SELF_HOSTED
    assert s.errors[0].type == "EXC_BAD_ACCESS"
    assert s.errors[0].frames[0].startswith("0 PostHog 0x0000000104a1c2e0")
    assert "crash" in s.symptoms
    assert s.scope.level == "some"
    assert "iOS 17.5" in s.runtimes


# --------------------------------------------------------------- node serverless


NODE_LAMBDA = ticket(
    "Events from our Lambda functions go missing",
    """We send events from AWS Lambda with posthog-node 4.2.1 on Node 20. About half of the
events never show up in PostHog (US cloud). Locally everything arrives.

const client = new PostHog(KEY, { host: 'https://us.i.posthog.com', flushAt: 1,
  flushInterval: 0 })

For now we call `await client.flush()` at the end of the handler, which seems to help,
but we'd like to know whether shutdown() is required. Started 3 days ago.
""",
)


def test_node_serverless_ticket_reads_sdk_runtime_options_and_workaround() -> None:
    s = extract_signals(NODE_LAMBDA)
    assert sdk_versions(s) == {"posthog-node": "4.2.1"}
    assert s.sdks[0].lib == "posthog-node"
    assert s.platforms == ["backend"]
    assert "AWS Lambda" in s.frameworks
    assert "Node 20" in s.runtimes
    assert s.region is Region.US
    assert {o.name: o.value for o in s.config_options} == {"flushAt": "1", "flushInterval": "0"}
    assert s.depth.level == "workaround"
    assert "loss" in s.data_risk_kinds
    assert s.started_on == date(2026, 11, 17)


# ------------------------------------------------------------------------ python


PYTHON_FLAGS = ticket(
    "Local evaluation times out in Django",
    """Using posthog==3.7.0 with Django 5 and personal_api_key set for local evaluation.
Since upgrading to 3.7.0 every request that checks a flag takes 3 seconds and sometimes
raises:

Traceback (most recent call last):
  File "/app/shop/views.py", line 41, in checkout
    if posthog.feature_enabled("new-checkout", user.distinct_id):
  File "/venv/lib/python3.12/site-packages/posthog/client.py", line 880, in feature_enabled
    response = self._load_feature_flags()
requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='us.i.posthog.com', port=443): \
Read timed out.

Downgrading to 3.6.6 fixes it. Debug logs attached.
""",
)


def test_python_ticket_reads_pinned_version_traceback_and_last_good() -> None:
    s = extract_signals(PYTHON_FLAGS)
    assert sdk_versions(s) == {"posthog-python": "==3.7.0"}
    assert s.sdks[0].exact_version is None
    error = s.errors[0]
    assert error.type == "requests.exceptions.ReadTimeout"
    assert error.frames[-1].startswith('File "/venv/lib/python3.12/site-packages/posthog')
    goods = {c.last_good for c in s.version_changes}
    bads = {c.first_bad for c in s.version_changes}
    assert "3.6.6" in goods and "3.7.0" in bads
    assert "Django" in s.frameworks
    assert s.platforms == ["backend"]
    assert s.depth.level == "workaround"
    assert "debug_logs" not in s.missing


# ----------------------------------------------------------------------- android


ANDROID = ticket(
    "App crashes on start after SDK update",
    """Gradle: implementation("com.posthog:posthog-android:3.8.2") in a Jetpack Compose app.
Since we updated from 3.8.0 to 3.8.2 the app crashes on cold start for some users:

FATAL EXCEPTION: main
java.lang.NullPointerException: Attempt to invoke virtual method \
'int android.view.View.getWidth()' on a null object reference
    at com.posthog.android.replay.PostHogReplayIntegration.onDraw(PostHogReplayIntegration.kt:212)
    at android.view.ViewTreeObserver.dispatchOnDraw(ViewTreeObserver.java:1092)

We can't release the new version until this is fixed.
""",
)


def test_android_ticket_reads_gradle_coordinates_exception_and_blocked() -> None:
    s = extract_signals(ANDROID)
    assert sdk_versions(s) == {"posthog-android": "3.8.2"}
    assert s.sdks[0].repo == "PostHog/posthog-android"
    npe = next(e for e in s.errors if e.type == "java.lang.NullPointerException")
    assert npe.frames[0].startswith("at com.posthog.android.replay.PostHogReplayIntegration")
    assert npe.key_phrase == "android.view.View.getWidth"
    change = s.version_changes[0]
    assert (change.last_good, change.first_bad) == ("3.8.0", "3.8.2")
    assert s.platforms == ["android"]
    assert "Jetpack Compose" in s.frameworks
    assert s.depth.level == "blocked"


# --------------------------------------------------------------------------- iOS


IOS = ticket(
    "Screen views counted twice on iOS",
    """We added posthog-ios 3.14.0 via Swift Package Manager to a SwiftUI app with
captureScreenViews: true, and every $screen event is duplicated since January 5th.
Insight: https://us.posthog.com/project/9021/insights/aB3dE5fG
""",
)


def test_ios_ticket_reads_spm_package_duplicate_risk_and_absolute_date() -> None:
    s = extract_signals(IOS)
    assert sdk_versions(s) == {"posthog-ios": "3.14.0"}
    assert s.platforms == ["ios"]
    assert "SwiftUI" in s.frameworks
    assert s.config_options[0].name == "captureScreenViews"
    assert "duplication" in s.data_risk_kinds
    assert s.started_on == date(2026, 1, 5)
    insight = next(link for link in s.links if link.kind == "insight")
    assert (insight.project_id, insight.object_id) == ("9021", "aB3dE5fG")


# ----------------------------------------------------------------- self-hosted


SELF_HOSTED = ticket(
    "502 on /batch after upgrading our hobby deploy",
    """Our self-hosted hobby deployment (docker-compose) returns 502 Bad Gateway on /batch since
yesterday. Events are being dropped: we lost roughly 40k events overnight. The capture
container logs show `Error: connect ECONNREFUSED 10.0.0.5:9092`.
""",
)


def test_self_hosted_ticket_reads_region_status_and_loss() -> None:
    s = extract_signals(SELF_HOSTED)
    assert s.region is Region.SELF_HOSTED
    assert 502 in s.http_statuses
    assert "loss" in s.data_risk_kinds
    assert s.started_on == date(2026, 11, 19)
    assert s.errors[0].text.startswith("Error: connect ECONNREFUSED")
    assert "Docker" in s.frameworks
    assert "40k events" in " ".join(s.scope.figures)
    assert "sdk_version" in s.missing


# ------------------------------------------------------------------ EU + flags


EU_FLAGS = ticket(
    "Flags undefined on first page load",
    """Next.js 14 app router, posthog-js@1.160.0, api_host: 'https://eu.i.posthog.com'.
We set advanced_disable_feature_flags_on_first_load: false and bootstrap the flags from
the server, but posthog.getFeatureFlag('pricing-test') returns undefined on the first
render for everyone, so all users see the control variant. It's an experiment with
real revenue on the line.
""",
)


def test_eu_flags_ticket_reads_host_options_and_scope() -> None:
    s = extract_signals(EU_FLAGS)
    assert sdk_versions(s) == {"posthog-js": "1.160.0"}
    assert s.region is Region.EU
    names = [o.name for o in s.config_options]
    assert "advanced_disable_feature_flags_on_first_load" in names
    assert "api_host" in names
    assert "bootstrap" in names
    assert "Next.js" in s.frameworks
    assert s.scope.level == "all"
    assert "flag false" in s.symptoms


# ------------------------------------------------------------------------ ranges


RANGES = ticket(
    "Types broken after npm install",
    """package.json:

    "posthog-js": "^1.83.0",
    "posthog-node": "~4.0.1",
    "@posthog/react": "1.2.0"

`npm install` pulled posthog-js 1.185.0 and now tsc fails with
TS2307: Cannot find module '@posthog/core' or its corresponding type declarations.
""",
)


def test_manifest_ranges_are_kept_as_written() -> None:
    s = extract_signals(RANGES)
    versions = sdk_versions(s)
    assert versions["posthog-js"] == "^1.83.0"
    assert versions["posthog-node"] == "~4.0.1"
    assert versions["@posthog/react"] == "1.2.0"
    assert exact_version("^1.83.0") is None
    assert exact_version("v1.2.3") == "1.2.3"


# ---------------------------------------------------------------- error tracking


SOURCE_MAPS = ticket(
    "Stack traces still minified",
    """Error tracking shows minified frames even though we upload source maps with the CLI
in our Vite build (posthog-js 1.190.2). Example issue:
https://us.posthog.com/project/777/error_tracking/0193aa11-2222-7333-8444-555566667777
Reproduction repo: https://github.com/acme/sourcemap-repro
""",
)


def test_error_tracking_ticket_reads_link_kind_and_symptom() -> None:
    s = extract_signals(SOURCE_MAPS)
    assert sdk_versions(s) == {"posthog-js": "1.190.2"}
    kinds = {link.kind for link in s.links}
    assert "error_tracking" in kinds
    assert "minified" in s.symptoms
    assert "reproduction" not in s.missing


# ----------------------------------------------------------------------- surveys


SURVEYS = ticket(
    "Popover survey not showing for some users",
    """Our NPS popover survey (survey id 0192f3aa) doesn't appear for some users on our Vue 3
site. posthog-js version 1.170.1. Happens intermittently; other surveys work.
""",
)


def test_surveys_ticket_reads_version_phrase_and_intermittent_scope() -> None:
    s = extract_signals(SURVEYS)
    assert sdk_versions(s) == {"posthog-js": "1.170.1"}
    assert "Vue" in s.frameworks
    assert s.scope.level == "some"


# --------------------------------------------------------- identify and merging


MERGE = ticket(
    "Users merged into the wrong person after alias",
    """With the Python SDK (posthog-python 3.5.0) we call alias() after signup and since
2026-11-02 several customers' events show up merged into the wrong person profile. Our
dashboards now mix data across accounts. Ingestion warnings show
"Refused to merge an already identified user".
""",
)


def test_merge_ticket_reads_corruption_and_iso_start() -> None:
    s = extract_signals(MERGE)
    assert sdk_versions(s) == {"posthog-python": "3.5.0"}
    assert "corruption" in s.data_risk_kinds
    assert s.started_on == date(2026, 11, 2)
    assert "merge" in s.symptoms


# ---------------------------------------------------------------------- HogQL


HOGQL = ticket(
    "SQL insight fails with unknown function",
    """This HogQL query worked last week and now fails in the SQL editor:

    SELECT toStartOfWeek(timestamp), count() FROM events GROUP BY 1

Error: Unknown function: toStartOfWeek. Did you mean toStartOfDay?
Insight: https://eu.posthog.com/project/31337/insights/Zx9Yw8
""",
)


def test_hogql_ticket_reads_error_and_link_without_sdk() -> None:
    s = extract_signals(HOGQL)
    assert s.sdks == []
    assert s.errors[0].text.startswith("Error: Unknown function: toStartOfWeek")
    assert s.region is Region.EU
    assert "sdk_version" in s.missing
    assert s.links[0].kind == "insight"


# ---------------------------------------------------------------- API and revenue


API_5XX = ticket(
    "Query API returning 504s, renewal at risk",
    """Our nightly export calls the query API from posthog-go v1.2.24 and since Monday ~20%
of requests fail with 504 Gateway Timeout, the rest with HTTP 429 after retries.
We're on a $120k annual contract that renews on 15 January 2027 and our CTO is asking
whether we should move away from PostHog.
""",
    customer=Customer(plan="Enterprise", seats=85, arr=120_000),
)


def test_api_ticket_reads_statuses_revenue_and_churn() -> None:
    s = extract_signals(API_5XX)
    assert sdk_versions(s) == {"posthog-go": "v1.2.24"}
    assert s.sdks[0].exact_version == "1.2.24"
    assert s.http_statuses == [504, 429]
    assert s.revenue.enterprise and s.revenue.seats == 85
    assert any("move away" in p for p in s.revenue.churn_phrases)
    assert s.started_on == date(2026, 11, 16)
    assert date(2027, 1, 15) in {d.date for d in s.dates}
    assert "~20% of requests" in s.scope.figures


# ------------------------------------------------------------- server SDK mix


SERVER_MIX = ticket(
    "Different distinct ids from Ruby and PHP",
    """Our Rails app uses gem 'posthog-ruby', '~> 2.5.0' and the Laravel service requires
posthog/posthog-php ^3.3 (composer). The same user shows up as two persons.
""",
)


def test_server_sdks_from_gemfile_and_composer() -> None:
    s = extract_signals(SERVER_MIX)
    assert sdk_versions(s) == {"posthog-ruby": "~> 2.5.0", "posthog-php": "^3.3"}
    assert {"Rails", "Laravel"} <= set(s.frameworks)
    assert s.families == ["ruby", "php"]


# ------------------------------------------------------------------ vague ticket


VAGUE = ticket("PostHog not working", "Hi, PostHog stopped working for us. Please help asap.")


def test_vague_ticket_lists_every_fact_a_maintainer_would_ask_for() -> None:
    s = extract_signals(VAGUE)
    assert s.missing == ["sdk_version", "platform", "link", "debug_logs", "reproduction"]
    assert s.sdks == [] and s.errors == [] and s.region is Region.UNKNOWN
    assert s.depth.level == "unknown" and s.scope.level == "unknown"


# ----------------------------------------------------- messages, triage, customer


def test_messages_and_triage_hints_contribute_and_customer_region_wins() -> None:
    t = Ticket(
        id="T-9",
        subject="iOS replays missing",
        body="Recordings from our iPhone app stopped.",
        created_at=FRIDAY,
        messages=[
            Message(author_role="support", text="Which SDK version are you on?"),
            Message(text="We're on posthog-ios, version 3.20.0, downgrading to 3.19.4 works"),
        ],
        customer=Customer(region="eu", project_id="555"),
    )
    triage = TriageReport(
        decision=TriageDecision.ESCALATE_TO_ENGINEERING,
        product_area="Session replay",
        sdk_hints=["posthog-react-native 3.6.1"],
    )
    s = extract_signals(t, triage)
    versions = sdk_versions(s)
    assert versions["posthog-ios"] == "3.20.0"
    assert versions["posthog-react-native"] == "3.6.1"
    assert next(x for x in s.sdks if x.package == "posthog-react-native").source == "triage"
    assert s.region is Region.EU and s.region_evidence == "customer record"
    assert s.product_area == "Session replay"
    assert any(c.last_good == "3.19.4" for c in s.version_changes)
    assert any(link.project_id == "555" for link in s.links)


def test_relative_dates_stay_unresolved_without_a_reference_time() -> None:
    t = Ticket(id="T-2", subject="Broken since yesterday", body="posthog-js 1.2.3")
    s = extract_signals(t)
    assert s.dates[0].text == "yesterday" and s.dates[0].date is None
    assert extract_signals(t, now=FRIDAY).started_on == date(2026, 11, 19)


def test_sdk_names_inside_longer_identifiers_are_not_mentions() -> None:
    t = ticket("x", "We forked it as acme-posthog-js-wrapper and my-posthog-node-shim.")
    assert extract_signals(t).sdks == []


def test_signals_round_trip_through_json() -> None:
    s = extract_signals(RN_MASKING)
    assert Signals.model_validate_json(s.model_dump_json()) == s


# ------------------------------------------------ error phrases worth searching


def test_error_line_stops_before_the_customers_own_sentence() -> None:
    t = ticket(
        "x",
        "Console: TypeError: undefined is not an object "
        "(evaluating 'n.adoptedStyleSheets.length'). We are evaluating alternatives.",
    )
    error = extract_signals(t).errors[0]
    assert error.message == "undefined is not an object (evaluating 'n.adoptedStyleSheets.length')"
    assert error.search_phrases == ["adoptedStyleSheets.length", "undefined is not an object"]


def test_distinctive_exception_type_is_a_search_phrase_but_generic_ones_are_not() -> None:
    t = ticket(
        "x",
        "System.ObjectDisposedException: Cannot access a disposed object. "
        "Object name: 'System.Net.Http.HttpClient'.\nTypeError: x is not a function",
    )
    disposed, type_error = extract_signals(t).errors[:2]
    assert "ObjectDisposedException" in disposed.search_phrases
    assert "Cannot access a disposed object" in disposed.search_phrases
    assert "TypeError" not in type_error.search_phrases


def test_messages_quoted_from_a_screen_are_errors() -> None:
    t = ticket(
        "Toolbar",
        "The toolbar shows 'authentication failed' and the tile says "
        '"Query exceeds memory limits. Try a smaller date range." '
        'Our flag is called "new-checkout".',
    )
    errors = extract_signals(t).errors
    assert [e.message for e in errors] == [
        "authentication failed",
        "Query exceeds memory limits. Try a smaller date range",
    ]
    assert all(e.source == "quoted" for e in errors)


def test_browser_policy_and_unable_to_messages_are_errors() -> None:
    t = ticket(
        "x",
        "Refused to load the script 'https://us-assets.i.posthog.com/static/recorder.js' "
        "because it violates the following Content Security Policy directive: "
        "\"script-src 'self'\"\n"
        "and the SQL editor says Unable to resolve field: $utm_source.",
    )
    errors = extract_signals(t).errors
    assert (
        errors[0].key_phrase
        == "because it violates the following Content Security Policy directive"
    )
    assert errors[1].text == "Unable to resolve field: $utm_source"
    assert errors[1].key_phrase == "Unable to resolve field"


def test_hostnames_and_ip_addresses_are_not_search_phrases() -> None:
    t = ticket(
        "x",
        "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='us.i.posthog.com'): "
        "Read timed out.",
    )
    phrases = extract_signals(t).errors[0].search_phrases
    assert not any("posthog.com" in p for p in phrases)
    assert "ReadTimeout" in phrases


def test_languages_are_read_from_ticket_words() -> None:
    t = ticket(
        "x",
        "Our ASP.NET service and a Celery worker (Python 3.12) both send events; the Go service "
        "leaks goroutines.",
    )
    assert extract_signals(t).languages == ["csharp", "python", "go"]


@pytest.mark.parametrize(
    ("frame", "language"),
    [
        ("  at com.acme.App.onCreate(App.kt:42)", "kotlin"),
        ("  at com.acme.Worker.run(Worker.java:118)", "java"),
        ("  main.(*Server).handle(0xc000)\n      /app/server/flags.go:87 +0x1d", "go"),
        ("  from /app/lib/tracking.rb:31:in `track'", "ruby"),
        ('  File "/srv/app/tracking.py", line 12, in send', "python"),
        ("   at Acme.Tracking.Send() in /src/Tracking.cs:line 27", "csharp"),
        ("    lib/acme/tracking.ex:19: Acme.Tracking.send/1", "elixir"),
        ("thread 'main' panicked at src/tracking.rs:44:9", "rust"),
        ("TypeError: Client.capture() takes 2 positional arguments but 3 were given", "python"),
        ("ModuleNotFoundError: No module named 'posthog.ai'", "python"),
    ],
)
def test_a_stack_frames_source_file_names_its_language(frame: str, language: str) -> None:
    assert language in extract_signals(ticket("Crash", f"Stack trace:\n{frame}")).languages


def test_a_file_name_without_a_line_number_names_no_language() -> None:
    languages = extract_signals(
        ticket("Docs", "See settings.go and tracking.rb in the repo.")
    ).languages
    assert languages == []


# ------------------------------------------------------- reproduction details


def test_numbered_steps_under_a_heading_are_reproduction_steps() -> None:
    s = extract_signals(RN_MASKING)
    assert s.reproduction_steps == [
        "open the login screen on an Android 14 device",
        "type a password",
        "watch the recording",
    ]


def test_expected_and_actual_lines_are_read() -> None:
    t = ticket(
        "Funnel wrong",
        "- build a funnel from $pageview to signed_up\n- add a breakdown by country\n"
        "Expected: the same total as without the breakdown\n"
        "Actual: the breakdown total is 20% lower\nIt happens every time.",
    )
    s = extract_signals(t)
    assert s.expected == "the same total as without the breakdown"
    assert s.actual == "the breakdown total is 20% lower"
    assert s.reproduction_steps[0] == "build a funnel from $pageview to signed_up"
    assert s.reproducibility == "always"
    assert s.event_names == ["$pageview"]


@pytest.mark.parametrize(
    ("body", "expected", "actual"),
    [
        (
            "### Expected Result\n\nThe event carries the user's id\n\n### Actual Result\n\n"
            "The id is missing from properties",
            "The event carries the user's id",
            "The id is missing from properties",
        ),
        (
            "**Expected behavior**\n\nThe dashboard loads.\n\n**Screenshots**\n[image]",
            "The dashboard loads.",
            None,
        ),
        ("## Expected behavior\n\n*Please describe.*\n\n## Environment\n- Cloud", None, None),
        ("### Expected Result\n\n.\n\n### Actual Result\n\n.", None, None),
        ("Expected: one event. Actual: two events", "one event.", "two events"),
    ],
)
def test_expected_and_actual_are_read_under_their_own_headings(
    body: str, expected: str | None, actual: str | None
) -> None:
    s = extract_signals(ticket("Report", body))
    assert (s.expected, s.actual) == (expected, actual)


def test_a_platform_implies_the_sdk_and_a_version_stated_alone_is_its_version() -> None:
    s = extract_signals(
        ticket("Identify lacks the id", "### Version\n\n3.20.1\n\nOn Android it fails.")
    )
    assert s.sdks == []
    assert s.implied_sdk is not None
    assert (s.implied_sdk.package, s.implied_sdk.version) == ("posthog-android", "3.20.1")
    assert "sdk_version" not in s.missing


def test_a_browsers_version_is_not_taken_for_the_sdks() -> None:
    s = extract_signals(
        ticket("Survey options", "Google Chrome Version 127.0.6533.120 on a website")
    )
    assert s.implied_sdk is not None and s.implied_sdk.package == "posthog-js"
    assert s.implied_sdk.version is None
    assert "sdk_version" in s.missing


def test_a_named_sdk_leaves_nothing_to_imply() -> None:
    assert extract_signals(ticket("Crash", "posthog-android 3.1.0 on Android")).implied_sdk is None


def test_expected_but_sentence_is_split() -> None:
    s = extract_signals(
        ticket("x", "We expected the flag to be true for beta users, but it is false.")
    )
    assert (s.expected, s.actual) == ("the flag to be true for beta users", "it is false")


def test_flag_keys_and_event_names_are_collected() -> None:
    assert extract_signals(EU_FLAGS).flag_keys == ["pricing-test"]
    assert extract_signals(PYTHON_FLAGS).flag_keys == ["new-checkout"]
    assert extract_signals(IOS).event_names == ["$screen"]
    assert extract_signals(SURVEYS).reproducibility == "intermittent"


# ------------------------------------------------------------------- robustness


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=1500))
def test_any_text_gives_valid_signals(body: str) -> None:
    s = extract_signals(ticket("subject", body))
    assert Signals.model_validate_json(s.model_dump_json()) == s


def test_long_pathological_input_is_handled_quickly() -> None:
    body = ("posthog-js@" + "1." * 2000 + "\n") + ("Error: " + "a" * 5000 + "\n") * 20
    s = extract_signals(ticket("x", body))
    assert len(s.text) <= 20_000


def test_a_phone_area_code_is_not_an_http_status() -> None:
    ticket = Ticket(id="P1", subject="Replay blank", body="Call me at +1 (415) 555-0142 please.")
    assert extract_signals(ticket).http_statuses == []


def test_a_parenthesised_status_still_counts() -> None:
    ticket = Ticket(id="P2", subject="Capture fails", body="Every request fails (502) since noon.")
    assert extract_signals(ticket).http_statuses == [502]


def test_a_renewal_date_without_a_year_lies_ahead() -> None:
    ticket = Ticket(
        id="P3",
        subject="Replay broken",
        body="Since Nov 14 nothing records. Our renewal is on December 15th.",
        created_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    dates = {d.text: d for d in extract_signals(ticket).dates}
    assert dates["December 15th"].date == date(2026, 12, 15)
    assert dates["Nov 14"].date == date(2026, 11, 14)


def test_a_start_date_without_a_year_lies_behind() -> None:
    ticket = Ticket(
        id="P4",
        subject="Events missing",
        body="Events have been missing since December 1.",
        created_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    assert extract_signals(ticket).started_on == date(2025, 12, 1)


# ------------------------------------------------- errors, exposure, depth (eval cases)


def test_a_go_runtime_fatal_error_is_an_error() -> None:
    s = extract_signals(
        ticket(
            "posthog-go panics",
            "Our API crashed with:\n\n    fatal error: concurrent map writes\n\n"
            "    goroutine 8812 [running]:\n",
        )
    )
    assert [(e.type, e.message) for e in s.errors] == [("fatal error", "concurrent map writes")]


def test_an_exception_class_ending_in_invalid_or_denied_is_an_error_type() -> None:
    s = extract_signals(
        ticket(
            "Batch export failing",
            "Every run fails with:\n\n"
            "    ArrowInvalid: Invalid UTF8 payload in column 'properties'\n"
            "and sometimes\n    AccessDenied: not authorized to perform kms:GenerateDataKey\n",
        )
    )
    assert [e.type for e in s.errors] == ["ArrowInvalid", "AccessDenied"]
    assert "Invalid UTF8 payload" in s.errors[0].message


def test_recordings_showing_what_users_type_are_an_exposure() -> None:
    s = extract_signals(
        ticket(
            "Android recordings show what users type into password fields",
            "On Android the recordings show exactly what customers type, and recordings that "
            "already contain card numbers are stored in our project.",
        )
    )
    assert s.data_risk_kinds == ["exposure"]
    assert "contain card numbers" in [r.phrase for r in s.data_risks]


def test_a_regulation_named_without_anything_exposed_is_not_an_exposure() -> None:
    s = extract_signals(
        ticket(
            "Export failing",
            "We are HIPAA-covered and GDPR matters to us, so we need the export running.",
        )
    )
    assert "exposure" not in s.data_risk_kinds


def test_experiment_exposures_are_not_a_data_exposure() -> None:
    s = extract_signals(
        ticket(
            "Experiment shows 0 exposures",
            "The results page shows 0 exposures for both variants; without exposures we "
            "cannot read it.",
        )
    )
    assert "exposure" not in s.data_risk_kinds


def test_a_loss_that_would_follow_a_workaround_is_not_a_loss() -> None:
    s = extract_signals(
        ticket(
            "Experiment unreadable",
            "There is no workaround short of restarting the experiment and losing nine days "
            "of data.",
        )
    )
    assert "loss" not in s.data_risk_kinds
    lost = extract_signals(ticket("Events lost", "We are losing events from our backend."))
    assert lost.data_risk_kinds == ["loss"]


def test_being_unable_to_roll_back_is_not_a_workaround() -> None:
    s = extract_signals(
        ticket(
            "App crashes on launch",
            "We cannot roll back quickly because of Play review. Our next release is blocked.",
        )
    )
    assert s.depth.level == "blocked"
    assert "cannot roll back" in s.depth.blocked_phrases
    assert s.depth.workaround_phrases == []


def test_a_retry_that_sometimes_works_is_a_workaround() -> None:
    s = extract_signals(
        ticket("API 502s", "About half the requests fail. Retrying sometimes works.")
    )
    assert s.depth.level == "workaround"


def test_a_renewal_date_in_the_record_alone_is_not_revenue_at_risk() -> None:
    customer = Customer(plan="enterprise", renewal_date=date(2027, 6, 30))
    quiet = extract_signals(ticket("Flag flickers", "The panel flickers.", customer=customer))
    assert not quiet.revenue.at_risk
    worried = extract_signals(
        ticket("Flag flickers", "Our renewal is next month.", customer=customer)
    )
    assert worried.revenue.at_risk


def test_upgrading_from_a_version_marks_it_as_the_last_good_one() -> None:
    s = extract_signals(
        ticket(
            "Masking broken",
            "We use posthog-react-native 4.10.1. We upgraded from 4.9.0 on Nov 17.",
        )
    )
    assert [(c.last_good, c.first_bad) for c in s.version_changes] == [("4.9.0", None)]


def test_a_backticked_name_in_a_flag_ticket_is_a_flag_key() -> None:
    s = extract_signals(
        ticket(
            "Bootstrapped flag flips",
            "We bootstrap flags. The bootstrapped value of `course-recommendations` is "
            "replaced; we use `posthog-js` and `posthog-node`.",
        )
    )
    assert s.flag_keys == ["course-recommendations"]
    other = extract_signals(ticket("Build fails", "The `my-app` build fails with `posthog-js`."))
    assert other.flag_keys == []


def test_sentence_with_returns_the_whole_sentence_around_a_phrase() -> None:
    text = "Events are late. Workaround for now: we retry twice, which is slow. Thanks!"
    assert sentence_with(text, "retry") == "we retry twice, which is slow."
    assert sentence_with(text, "absent") == "absent"


def test_a_sentence_never_runs_across_a_heading_or_a_list_item() -> None:
    text = (
        "Dashboard crashes on load\n\n## Bug description\nIt has been unusable since Friday\n"
        "## Environment\n- [x] self-hosted"
    )
    assert sentence_with(text, "unusable") == "It has been unusable since Friday"
    assert sentence_with(text, "crashes") == "Dashboard crashes on load"
    assert sentence_with("We tried. The app\ncrashes on launch. Thanks", "app crashes") == (
        "The app crashes on launch."
    )


@pytest.mark.parametrize(
    ("body", "failing"),
    [
        ("Android supports it already; iOS doesn't yet.", "ios"),
        ("Works on iOS, but on Android the screen stays blank and never loads.", "android"),
        ("Both iOS and Android lack the field.", None),
        ("It crashes on iOS. It crashes on Android too.", None),
        ("We ship to iOS and Android.", None),
        ("iOS is fine. Only Android is affected: events are missing.", "android"),
        ("Only Android is affected: events are missing.", None),
    ],
)
def test_the_failing_platform_is_the_one_whose_clause_carries_the_failure(
    body: str, failing: str | None
) -> None:
    assert extract_signals(Ticket(id="T", subject="Mobile", body=body)).failing_platform == (
        failing
    )


def test_an_error_type_and_a_version_start_where_their_word_starts() -> None:
    from posthog_escalation.understanding.error_text import extract_errors
    from posthog_escalation.understanding.versions import extract_version_changes

    found = extract_errors("Uncaught TypeError: x is undefined")
    assert [(e.type, e.message) for e in found] == [("TypeError", "x is undefined")]
    assert extract_errors("myTypeError: x is undefined") == []
    changes = extract_version_changes("We went 1.2.3 -> 1.2.4 and it broke", [])
    assert [(c.last_good, c.first_bad) for c in changes] == [("1.2.3", "1.2.4")]
    assert extract_version_changes("build x1.2.3 -> 1.2.4", []) == []
