"""One contract, two backends: the local snapshot and GitHub (over MockTransport)
answer the same searches with the same behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from posthog_escalation.errors import InputError
from posthog_escalation.tools.issues import GitHubIssues, IssueRecord, IssueSearch, LocalIssues

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["local", "github"])
async def backend(
    request: pytest.FixtureRequest,
    make_github: Callable[..., GitHubIssues],
    issue_records: list[IssueRecord],
) -> AsyncIterator[IssueSearch]:
    if request.param == "local":
        impl: IssueSearch = LocalIssues(records=issue_records)
    else:
        impl = make_github()
    yield impl
    await impl.aclose()


async def test_backends_implement_the_protocol(backend: IssueSearch) -> None:
    assert isinstance(backend, IssueSearch)


async def test_exact_phrase_finds_the_issue_across_repositories(backend: IssueSearch) -> None:
    result = await backend.search(
        '"adoptedStyleSheets"', repos=["PostHog/posthog-js", "PostHog/posthog"]
    )
    assert [h.key for h in result.hits] == ["PostHog/posthog-js#2871"]
    assert result.queries == [
        '"adoptedStyleSheets" is:issue in:title,body repo:PostHog/posthog-js repo:PostHog/posthog'
    ]


async def test_every_word_must_match(backend: IssueSearch) -> None:
    both = await backend.search(
        "safari recordings", repos=["PostHog/posthog-js", "PostHog/posthog"]
    )
    assert {h.key for h in both.hits} == {
        "PostHog/posthog-js#2871",
        "PostHog/posthog#41236",
        "PostHog/posthog-js#2650",
    }
    none = await backend.search("safari lambda", repos=["PostHog/posthog-js", "PostHog/posthog"])
    assert none.hits == [] and none.total_count == 0


async def test_repository_filter_limits_results(backend: IssueSearch) -> None:
    result = await backend.search("safari", repos=["PostHog/posthog"])
    assert [h.key for h in result.hits] == ["PostHog/posthog#41236"]


async def test_state_and_label_filters(backend: IssueSearch) -> None:
    closed = await backend.search("events", repos=["PostHog/posthog"], state="closed")
    assert [h.key for h in closed.hits] == ["PostHog/posthog#30220"]
    labelled = await backend.search(
        "safari", repos=["PostHog/posthog-js"], labels=["feature/replay"], state="open"
    )
    assert {h.key for h in labelled.hits} == {"PostHog/posthog-js#2871", "PostHog/posthog-js#2650"}
    assert labelled.queries[0].endswith("state:open label:feature/replay")


async def test_search_returns_issues_not_pull_requests(backend: IssueSearch) -> None:
    result = await backend.search("adoptedStyleSheets", repos=["PostHog/posthog-js"])
    assert all(h.kind == "issue" for h in result.hits)
    assert "PostHog/posthog-js#2874" not in {h.key for h in result.hits}


async def test_limit_caps_hits_but_not_the_total(backend: IssueSearch) -> None:
    result = await backend.search(
        "safari", repos=["PostHog/posthog-js", "PostHog/posthog"], limit=1
    )
    assert len(result.hits) == 1
    assert result.total_count == 3


async def test_hits_carry_metadata_and_urls(backend: IssueSearch) -> None:
    result = await backend.search('"queue is full"', repos=["PostHog/posthog-python"])
    hit = result.hits[0]
    assert hit.url == "https://github.com/PostHog/posthog-python/issues/213"
    assert hit.state == "open" and hit.created_at is not None


async def test_hit_text_is_sanitized(backend: IssueSearch) -> None:
    result = await backend.search("white page", repos=["PostHog/posthog"])
    body = result.hits[0].body
    assert "\u200b" not in body and "\u202e" not in body and "\U000e0041" not in body
    assert "<script>" not in body and "alert(1)" not in body
    assert "<b>" not in body and "thanks" in body
    replay = await backend.search('"adoptedStyleSheets"', repos=["PostHog/posthog-js"])
    assert "ignore previous instructions" not in replay.hits[0].body


async def test_related_prs_are_the_prs_that_reference_the_issue(backend: IssueSearch) -> None:
    prs = await backend.related_prs("PostHog/posthog-js", 2871)
    assert [p.key for p in prs] == ["PostHog/posthog-js#2874"]
    assert prs[0].kind == "pr" and 2871 in prs[0].linked_issues


async def test_related_prs_is_empty_when_nothing_references_the_issue(
    backend: IssueSearch,
) -> None:
    assert await backend.related_prs("PostHog/posthog", 41236) == []


async def test_bad_repository_name_is_an_input_error(backend: IssueSearch) -> None:
    with pytest.raises(InputError, match="owner/name"):
        await backend.search("x", repos=["not a repo"])


async def test_bad_state_is_an_input_error(backend: IssueSearch) -> None:
    with pytest.raises(InputError, match="state"):
        await backend.search("x", state="merged")
