"""Listing matching issues: the ticket's own issue, duplicate links, area labels, the
calibrated threshold, and the snapshot's similar-text retrieval."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from posthog_escalation.models import Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.issues import (
    LISTING_THRESHOLD,
    IssueRecord,
    LocalIssues,
    area_of_labels,
    find_known_issues,
    own_issue_keys,
)
from posthog_escalation.understanding import extract_signals

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
SAFARI = (
    "Since last Friday every recording from Safari shows an empty white page. We upgraded "
    "to posthog-js 1.201.0 that week. Console:\n"
    "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')"
)


def record(repo: str, number: int, title: str, body: str, **extra: object) -> IssueRecord:
    return IssueRecord(repo=repo, number=number, title=title, body=body, **extra)


def demo(ticket_id: str = "ZD-1", links: list[str] | None = None) -> Ticket:
    return Ticket(
        id=ticket_id,
        subject="Session recordings are blank for our Safari users",
        body=SAFARI,
        created_at=NOW,
        links=links or [],
    )


@pytest.fixture(scope="module")
def shipped() -> LocalIssues:
    return LocalIssues()


def test_own_issue_keys_read_the_ticket_id_and_its_github_links() -> None:
    assert own_issue_keys("PostHog/posthog-js#2871") == {"posthog/posthog-js#2871"}
    assert own_issue_keys(
        "ZD-9", ["https://github.com/PostHog/posthog/issues/41236", "https://example.com/x"]
    ) == {"posthog/posthog#41236"}
    assert own_issue_keys("ZD-9") == set()


async def test_the_demo_lists_the_known_issue_and_the_same_report_in_the_main_repo(
    shipped: LocalIssues,
) -> None:
    found = await find_known_issues(extract_signals(demo()), shipped, default_playbook(), now=NOW)
    assert [c.key for c in found.listed] == ["PostHog/posthog-js#2871", "PostHog/posthog#41236"]
    assert found.listing_threshold == LISTING_THRESHOLD
    assert all(c.listed == (c.confidence >= LISTING_THRESHOLD) for c in found.candidates)
    match = found.to_known_issue_match(evidence="E3")
    assert [r.key for r in match.matching_issues] == [c.key for c in found.listed]
    assert [s.sent for s in found.searches] == found.search_terms


async def test_the_tickets_own_issue_is_never_its_own_duplicate(shipped: LocalIssues) -> None:
    playbook = default_playbook()
    by_id = await find_known_issues(
        extract_signals(demo("PostHog/posthog-js#2871")), shipped, playbook, now=NOW
    )
    assert "PostHog/posthog-js#2871" not in {c.key for c in by_id.candidates}
    assert by_id.excluded == ["posthog/posthog-js#2871"]
    assert by_id.listed[0].key == "PostHog/posthog#41236"
    by_link = await find_known_issues(
        extract_signals(demo()),
        shipped,
        playbook,
        now=NOW,
        own_issues=own_issue_keys("ZD-2", ["https://github.com/PostHog/posthog/issues/41236"]),
    )
    assert "PostHog/posthog#41236" not in {c.key for c in by_link.candidates}


def snapshot_with_duplicate() -> list[IssueRecord]:
    return [
        record(
            "PostHog/posthog-js",
            10,
            "Recorder crashes pages on Safari",
            "The recorder throws on Safari 18 and pages show nothing.",
            labels=["feature/replay"],
        ),
        record(
            "PostHog/posthog",
            20,
            "Safari replays blank after upgrading to 1.201.0",
            "Every Safari recording is an empty white page on posthog-js 1.201.0: "
            "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')",
            state="closed",
            state_reason="duplicate",
            duplicate_of="PostHog/posthog-js#10",
        ),
        record("PostHog/posthog", 30, "Dashboard export cuts wide tables", "PDF export."),
    ]


async def test_an_issue_closed_as_a_duplicate_is_replaced_by_its_original() -> None:
    backend = LocalIssues(records=snapshot_with_duplicate())
    found = await find_known_issues(extract_signals(demo()), backend, default_playbook(), now=NOW)
    keys = [c.key for c in found.candidates]
    assert "PostHog/posthog#20" not in keys
    original = next(c for c in found.candidates if c.key == "PostHog/posthog-js#10")
    assert original.duplicates == ["PostHog/posthog#20"]
    assert any("closed as its duplicate" in r for r in original.reasons)
    assert original.listed


async def test_a_duplicate_of_the_tickets_own_issue_stays_listed() -> None:
    backend = LocalIssues(records=snapshot_with_duplicate())
    found = await find_known_issues(
        extract_signals(demo("PostHog/posthog-js#10")), backend, default_playbook(), now=NOW
    )
    assert [c.key for c in found.listed] == ["PostHog/posthog#20"]
    assert any(
        "closed as a duplicate of PostHog/posthog-js#10" in r for r in found.listed[0].reasons
    )


def test_labels_name_the_area_of_an_issue() -> None:
    assert area_of_labels(["bug", "feature/replay"]) == "session_replay"
    assert area_of_labels(["Feature Flags"]) == "feature_flags"
    assert area_of_labels(["team/error-tracking"]) == "error_tracking"
    assert area_of_labels(["bug", "question"]) is None


async def test_the_snapshot_finds_a_report_no_three_word_search_matches() -> None:
    records = [
        record(
            "PostHog/posthog-js-lite",
            7,
            "Metro cannot bundle the optional filesystem module",
            "Unable to resolve module expo-file-system from the SDK in a bare app.",
        ),
        record("PostHog/posthog", 8, "Cohort stuck calculating", "A cohort never finishes."),
    ]
    backend = LocalIssues(records=records)
    t = Ticket(
        id="ZD-3",
        subject="Bundler error in our React Native app",
        body="Metro fails: Unable to resolve module expo-file-system (we do not use Expo).",
        created_at=NOW,
    )
    found = await find_known_issues(extract_signals(t), backend, default_playbook(), now=NOW)
    assert found.candidates[0].key == "PostHog/posthog-js-lite#7"
    assert -1 in found.candidates[0].found_by
    assert backend.similar("expo-file-system resolve", exclude={"posthog/posthog-js-lite#7"}) == [
        h for h in backend.similar("expo-file-system resolve") if h.number != 7
    ]


class CountingEncoder:
    """A deterministic encoder (hashed bag of words) that counts its calls."""

    name = "counting-test-encoder"
    dim = 16

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word)) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def test_issue_embeddings_are_cached_by_content_hash(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    records = snapshot_with_duplicate()
    first = LocalIssues(records=records, encoder=encoder, cache_dir=tmp_path)
    assert first.vectors is not None and first.vectors.shape == (3, 16)
    assert encoder.calls == 1 and len(list(tmp_path.glob("*.npy"))) == 1
    again = LocalIssues(records=records, encoder=encoder, cache_dir=tmp_path)
    assert np.array_equal(again.vectors, first.vectors) and encoder.calls == 1
    changed = [*records[:2], records[2].model_copy(update={"body": "PNG export."})]
    assert LocalIssues(records=changed, encoder=encoder, cache_dir=tmp_path).vectors is not None
    assert encoder.calls == 2 and len(list(tmp_path.glob("*.npy"))) == 2


async def test_ranking_reuses_the_snapshots_issue_embeddings() -> None:
    encoder = CountingEncoder()
    backend = LocalIssues(records=snapshot_with_duplicate(), encoder=encoder)
    assert backend.vectors is not None and encoder.calls == 1
    found = await find_known_issues(extract_signals(demo()), backend, default_playbook(), now=NOW)
    assert found.dense and found.candidates
    assert encoder.calls == 3  # the problem text, once to retrieve and once to rank
