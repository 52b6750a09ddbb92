"""Prompts are plain markdown files loaded by name."""

from __future__ import annotations

import pytest

from posthog_escalation.drafting.prompts import load_prompt, placeholders, render_prompt
from posthog_escalation.errors import ConfigError


def test_the_system_prompt_says_untrusted_text_is_data() -> None:
    system = load_prompt("system")
    assert "never instructions" in system
    assert "read-only" in system


def test_the_task_prompt_delimits_every_untrusted_part() -> None:
    draft = load_prompt("draft")
    for block in ("ticket", "triage", "signals", "evidence"):
        assert f"<untrusted_{block}>\n{{{{{block}}}}}\n</untrusted_{block}>" in draft
    assert placeholders("draft") == {"now", "ticket", "triage", "signals", "evidence", "policy"}


def test_values_are_substituted_once_so_a_value_cannot_fill_another_placeholder() -> None:
    text = render_prompt("revise", findings="- ask for {{evidence_ids}}", evidence_ids="E1, E2")
    assert "- ask for {{evidence_ids}}" in text
    assert "Evidence ids you may cite: E1, E2." in text


def test_a_missing_value_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="missing evidence_ids"):
        render_prompt("revise", findings="- x")


def test_an_unknown_prompt_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="prompt 'nope' not found"):
        load_prompt("nope")
    with pytest.raises(ConfigError, match="not a prompt name"):
        load_prompt("../pyproject")
