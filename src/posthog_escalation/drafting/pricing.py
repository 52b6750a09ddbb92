"""Approximate Anthropic API prices, to put a dollar figure on a drafting run.

The figures are list prices in USD per million tokens as published on Anthropic's model
pages (November 2026), for 5-minute prompt-cache writes. They are approximate: batch and
regional discounts, 1-hour cache writes, long-prompt tiers and price changes are not
modelled. Where a family's cache prices were not published next to its token prices, the
usual ratios (write 1.25x input, read 0.1x input) are used. A model id is matched to the
longest known prefix, then to its family (fable, mythos, opus, sonnet, haiku); anything
else costs 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..outcome import Usage


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float

    def cost(self, usage: Usage) -> float:
        """The approximate cost of ``usage`` in USD."""
        total = (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_write_tokens * self.cache_write
            + usage.cache_read_tokens * self.cache_read
        )
        return round(total / 1_000_000, 6)


def _usual(input_price: float, output_price: float) -> Price:
    return Price(input_price, output_price, input_price * 1.25, input_price * 0.1)


PRICES: dict[str, Price] = {
    "claude-fable-5-1": Price(10.0, 50.0, 12.5, 0.25),
    "claude-mythos-5-1": Price(10.0, 50.0, 12.5, 0.25),
    "claude-fable-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-mythos-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-opus-5-5": _usual(4.0, 20.0),
    "claude-opus-5": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-5": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-6": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-7": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-8": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4": Price(15.0, 75.0, 18.75, 1.5),
    "claude-sonnet-5-5": Price(2.0, 10.0, 2.5, 0.2),
    "claude-sonnet-5": Price(2.0, 10.0, 2.5, 0.2),
    "claude-sonnet-4": Price(3.0, 15.0, 3.75, 0.3),
    "claude-haiku-5-5": Price(0.1, 0.5, 0.125, 0.01),
    "claude-haiku-4-5": Price(1.0, 5.0, 1.25, 0.1),
}
"""Prices by model-id prefix (Haiku 5.5: the tier for prompts up to 100k tokens)."""

FAMILY_PRICES: dict[str, str] = {
    "fable": "claude-fable-5",
    "mythos": "claude-mythos-5",
    "opus": "claude-opus-5",
    "sonnet": "claude-sonnet-5-5",
    "haiku": "claude-haiku-4-5",
}
"""The table entry an unknown model of a known family is priced as."""


def price_for(model: str) -> Price | None:
    """The price of ``model``: the longest matching prefix, else its family, else None."""
    name = model.strip().lower()
    matches = [prefix for prefix in PRICES if name.startswith(prefix)]
    if matches:
        return PRICES[max(matches, key=len)]
    for family, key in FAMILY_PRICES.items():
        if family in name:
            return PRICES[key]
    return None


def cost_usd(model: str, usage: Usage) -> float:
    """The approximate cost of ``usage`` on ``model`` (0 when the model has no price)."""
    price = price_for(model)
    return price.cost(usage) if price else 0.0
