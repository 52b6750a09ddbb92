"""The docs shipped in the package: clean, on real URLs, covering every routing area, and
answering the configuration questions support resolves without engineering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.docs import (
    DocsIndex,
    build_index,
    parse_folder,
    route_for_area,
    shipped_docs_dir,
)

REAL_CORPUS = Path("/work/shared/corpora/posthog-docs")
needs_corpus = pytest.mark.skipif(
    not REAL_CORPUS.is_dir(),
    reason="real docs corpus absent (/work/shared/corpora/posthog-docs); "
    "CI clones only the project",
)
SDK_FAMILIES = [
    "js", "node", "python", "go", "ruby", "php", "java", "dotnet", "elixir", "rust",
    "ios", "android", "react-native", "flutter", "next-js",
]  # fmt: skip


@pytest.fixture(scope="module")
def shipped() -> DocsIndex:
    return build_index(shipped_docs_dir())


def test_the_shipped_docs_parse_without_any_skipped_file(shipped: DocsIndex) -> None:
    assert shipped.stats.skipped == []
    assert shipped.stats.pages >= 60


def test_every_shipped_section_links_to_posthog_com_docs() -> None:
    for section in parse_folder(shipped_docs_dir()).sections:
        assert re.fullmatch(
            r"https://posthog\.com/docs(/[a-z0-9\-/]+)?(#[a-z0-9_\-]+)?", section.url
        )


def test_every_routing_area_has_shipped_docs(shipped: DocsIndex) -> None:
    covered = {route_for_area(area) for area in shipped.areas()}
    expected = set(default_playbook().routes) - {"security"}
    assert expected <= covered


@pytest.mark.parametrize("sdk", SDK_FAMILIES)
def test_every_sdk_family_documents_when_events_are_sent(shipped: DocsIndex, sdk: str) -> None:
    hits = shipped.search("flush queued events before exit shutdown", area=f"libraries/{sdk}")
    assert hits, f"no flush guidance for {sdk}"


CONFIGURATION_CASES = [
    (
        "replay shows asterisks where users typed in the form, are inputs masked by default",
        [
            "session-replay/privacy#what-is-masked-by-default-on-the-web",
            "session-replay/privacy#input-elements",
        ],
    ),
    (
        "Flutter app sends events but session recordings never show up",
        ["session-replay/installation/flutter"],
    ),
    (
        "React Native session replay is enabled but nothing is recorded",
        ["session-replay/installation/react-native#setup-checklist-for-react-native-replay"],
    ),
    (
        "ad blockers block PostHog so some users have no events",
        ["privacy/ad-blockers", "advanced/proxy"],
    ),
    (
        "events from posthog-node in an AWS Lambda function go missing",
        ["libraries/node#short-lived-processes-like-serverless-environments"],
    ),
    (
        "events captured in a Vercel function never arrive",
        [
            "libraries/vercel",
            "libraries/next-js#server-side-events-on-vercel-and-other-serverless-hosts",
            "libraries/node#short-lived-processes-like-serverless-environments",
        ],
    ),
    (
        "python serverless function loses events when the process ends",
        ["libraries/python#serverless-environments-renderlambda"],
    ),
    (
        "feature flag targeting a person property returns false for anonymous visitors",
        ["feature-flags/troubleshooting#person-property-flags-and-anonymous-users"],
    ),
    (
        "data stopped arriving the day we hit our billing limit",
        ["billing/limits-alerts"],
    ),
    (
        "ingestion warning refused to merge an already identified user",
        ["data/ingestion-warnings#refused-to-merge-an-already-identified-user"],
    ),
]


@pytest.mark.parametrize(("question", "expected"), CONFIGURATION_CASES)
def test_configuration_questions_find_the_documented_behaviour(
    shipped: DocsIndex, question: str, expected: list[str]
) -> None:
    top = [
        h.url.removeprefix("https://posthog.com/docs/") for h in shipped.search(question, limit=3)
    ]
    assert any(url == want or url.startswith(f"{want}#") for url in top for want in expected), top


def _shingles(text: str, size: int) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@needs_corpus
def test_shipped_prose_shares_no_long_passage_with_the_real_docs() -> None:
    real: set[str] = set()
    for section in parse_folder(REAL_CORPUS).sections:
        real |= _shingles(section.prose, 12)
    copied = {
        section.id: sorted(_shingles(section.prose, 12) & real)[:1]
        for section in parse_folder(shipped_docs_dir()).sections
        if _shingles(section.prose, 12) & real
    }
    assert copied == {}


@needs_corpus
def test_explicit_anchors_exist_on_the_real_pages() -> None:
    real = parse_folder(REAL_CORPUS)
    real_pages = {page.url for page in real.pages}
    real_sections = {section.url for section in real.sections}
    shipped = parse_folder(shipped_docs_dir())
    claimed = []
    for page in shipped.pages:
        if page.url not in real_pages:
            continue
        source = (shipped.root / page.rel_path).read_text(encoding="utf-8")
        explicit = set(re.findall(r"\{#([A-Za-z0-9_\-]+)\}", source))
        claimed += [s.url for s in page.sections if s.url.split("#")[-1] in explicit]
    assert len(claimed) >= 40
    assert [url for url in claimed if url not in real_sections] == []
