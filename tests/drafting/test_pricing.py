"""Approximate prices per model family."""

from __future__ import annotations

from typing import get_args

import pytest
from anthropic.types import Model

from posthog_escalation.config import DEFAULT_MODEL
from posthog_escalation.drafting.pricing import cost_usd, price_for
from posthog_escalation.outcome import Usage


def test_the_default_model_is_in_the_sdk_model_list_and_has_a_price() -> None:
    known = get_args(get_args(Model)[0])
    assert DEFAULT_MODEL in known
    assert price_for(DEFAULT_MODEL) is not None


def test_every_model_the_sdk_lists_has_a_price() -> None:
    for model in get_args(get_args(Model)[0]):
        assert price_for(model) is not None, model


def test_a_dated_model_id_takes_the_price_of_its_longest_prefix() -> None:
    assert price_for("claude-opus-4-5-20251101") == price_for("claude-opus-4-5")
    assert price_for("claude-opus-4-1").input == 15.0
    assert price_for("claude-opus-4-5").input == 5.0


def test_sonnet_5_5_costs_its_list_prices_per_million_tokens() -> None:
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_write_tokens=1_000_000,
        cache_read_tokens=1_000_000,
    )
    assert cost_usd("claude-sonnet-5-5", usage) == pytest.approx(2 + 10 + 2.5 + 0.2)


def test_an_unknown_model_of_a_known_family_is_priced_as_that_family() -> None:
    assert price_for("claude-sonnet-9-9") == price_for("claude-sonnet-5-5")


def test_a_model_of_no_known_family_costs_nothing() -> None:
    assert price_for("my-local-model") is None
    assert cost_usd("my-local-model", Usage(input_tokens=1000, output_tokens=1000)) == 0.0
