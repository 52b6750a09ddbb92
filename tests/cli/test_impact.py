"""`impact` takes what a support engineer has at hand: the error as quoted, or a HogQL
condition; `--as` says which when the shape does not."""

from __future__ import annotations

import json

import pytest

from posthog_escalation.cli import main
from posthog_escalation.cli.hogql import signature_condition
from posthog_escalation.errors import QueryError
from posthog_escalation.tools.hogql import LocalHogQL

ERROR_CONDITION = (
    "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets.length%'"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("adoptedStyleSheets.length", ERROR_CONDITION),
        ("event = '$exception'", "event = '$exception'"),
        ("match(properties.$exception_message, 'x')", "match(properties.$exception_message, 'x')"),
        (
            "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')",
            "event = '$exception' AND properties.$exception_message ILIKE '%TypeError: "
            "undefined is not an object (evaluating \\'n.adoptedStyleSheets.length\\')%'",
        ),
    ],
)
def test_a_signature_is_read_by_its_shape(text: str, expected: str) -> None:
    condition, _ = signature_condition(text)
    assert condition == expected


def test_a_broken_comparison_is_an_error_not_a_search_for_its_text() -> None:
    with pytest.raises(QueryError) as raised:
        signature_condition("event = '$exception' AND")
    assert "--as error" in raised.value.one_line()


def test_as_says_which_it_is_whatever_the_shape() -> None:
    assert signature_condition("event = 'x'", "error")[1] is True
    with pytest.raises(QueryError):
        signature_condition("adoptedStyleSheets length", "condition")


def test_impact_of_a_plain_error_text_counts_the_demo_regression(
    capsys: pytest.CaptureFixture[str], demo_world: LocalHogQL
) -> None:
    assert main(["impact", "adoptedStyleSheets.length", "--since", "-30d", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    assert summary["signature"] == ERROR_CONDITION
    assert summary["affected_events"] == truth.events
    assert summary["affected_orgs"] == truth.affected_orgs
    assert "reading it as an error message" in captured.err


def test_an_unknown_as_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["impact", "x", "--as", "regex"]) == 2
    assert "--as 'regex' is not known" in capsys.readouterr().err
