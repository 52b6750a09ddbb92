"""GitHub search syntax: what is parsed and the exact string that is sent."""

from __future__ import annotations

import pytest

from posthog_escalation.errors import InputError
from posthog_escalation.tools.issues.query import build_query, parse_query, quote_phrase


def test_parse_splits_words_phrases_exclusions_and_qualifiers() -> None:
    parsed = parse_query(
        'replay "blank page" -android repo:PostHog/posthog-js state:open '
        'label:"feature/replay" is:issue in:title author:someone'
    )
    assert parsed.terms == ["replay"]
    assert parsed.phrases == ["blank page"]
    assert parsed.excluded == ["android"]
    assert parsed.repos == ["PostHog/posthog-js"]
    assert parsed.states == ["open"]
    assert parsed.labels == ["feature/replay"]
    assert parsed.kinds == ["issue"]
    assert parsed.other_qualifiers == ["author:someone"]


def test_is_open_and_is_pr_are_understood() -> None:
    parsed = parse_query("x is:closed is:pr")
    assert parsed.states == ["closed"] and parsed.kinds == ["pr"]


def test_build_adds_qualifiers_in_a_stable_order() -> None:
    sent = build_query(
        '"adoptedStyleSheets" safari',
        repos=["PostHog/posthog-js", "PostHog/posthog"],
        state="open",
        labels=["bug", "good first issue"],
    )
    assert sent == (
        '"adoptedStyleSheets" safari is:issue in:title,body repo:PostHog/posthog-js '
        'repo:PostHog/posthog state:open label:bug label:"good first issue"'
    )


def test_build_does_not_repeat_qualifiers_already_in_the_text() -> None:
    sent = build_query("x is:pr repo:PostHog/posthog in:title", repos=["PostHog/posthog"])
    assert sent == "x is:pr repo:PostHog/posthog in:title"


def test_state_all_means_no_state_qualifier() -> None:
    assert "state:" not in build_query("x", state="all")


@pytest.mark.parametrize("repo", ["posthog", "PostHog/posthog js", "a/b/c"])
def test_malformed_repository_is_rejected(repo: str) -> None:
    with pytest.raises(InputError, match="owner/name"):
        build_query("x", repos=[repo])


def test_unknown_state_is_rejected() -> None:
    with pytest.raises(InputError, match="open, closed or all"):
        build_query("x", state="merged")


def test_quote_phrase_drops_inner_quotes_and_extra_space() -> None:
    assert quote_phrase('Cannot read  "x"\n of undefined') == '"Cannot read x of undefined"'
