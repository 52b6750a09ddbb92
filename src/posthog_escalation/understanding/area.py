"""The product area a ticket is about, with the reasons that decided it.

Four kinds of evidence are combined into one score per playbook route:

- cue phrases: each route's ``strong_cues`` (weight 3) and ``cues`` (weight 1) from the
  playbook, counted once each, twice as much when the subject says them; a component
  with a repository of its own (the GeoIP app, the Helm chart) adds to its area;
- the triage report's product area in free text, mapped through each route's
  ``synonyms`` (it names what a person already decided, so it dominates);
- a small term-weight classifier trained on labeled reports (:mod:`.area_model`);
- the areas of the nearest past issues, when a labeled issue snapshot is given.

An SDK named with no product cue strong enough means the SDK itself is the problem
(``sdk_bug``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from pydantic import Field

from ..models import Model
from ..playbook import Playbook, Route
from .area_model import AreaModel
from .catalogue import Catalogue
from .model import Signals

STRONG_WEIGHT = 3.0
CUE_WEIGHT = 1.0
SUBJECT_FACTOR = 2.0
TRIAGE_WEIGHT = 12.0
COMPONENT_WEIGHT = 4.0
CLASSIFIER_WEIGHT = 4.0
NEIGHBOUR_WEIGHT = 2.0
SDK_ROUTE = "sdk_bug"
SDK_PRIOR = 2.0
"""What naming an SDK adds to ``sdk_bug``: a product cue in the subject outweighs it."""


class Neighbour(Model):
    """A past issue near this ticket whose product area is known from its labels."""

    key: str
    route: str
    similarity: float = Field(ge=0, le=1)


class AreaDecision(Model):
    """The chosen product route and why."""

    route: str
    scores: dict[str, float] = Field(default_factory=dict)
    cue_scores: dict[str, float] = Field(
        default_factory=dict, description="What the cue words alone give each route"
    )
    cues: list[str] = Field(default_factory=list, description="Cue phrases of the chosen route")
    triage: str | None = Field(None, description="The triage product area that was mapped")
    classifier: dict[str, float] = Field(default_factory=dict)
    neighbours: list[Neighbour] = Field(default_factory=list)

    @property
    def reason(self) -> str:
        """One line naming what decided the route."""
        parts = []
        if self.triage:
            parts.append(f"triage product area '{self.triage}'")
        if self.cues:
            parts.append("cues " + ", ".join(f"'{c}'" for c in self.cues[:4]))
        best = max(self.classifier.items(), key=lambda kv: kv[1], default=None)
        if best and best[0] == self.route and best[1] >= 0.3:
            parts.append(f"term weights {best[1]:.0%}")
        near = [n.key for n in self.neighbours if n.route == self.route][:2]
        if near:
            parts.append("nearest labeled issues " + ", ".join(near))
        if not parts:
            parts.append("no product cue")
        return f"{self.route}: " + "; ".join(parts)


@cache
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w$/-])(?:{expression})(?![\w-])", re.IGNORECASE)


@cache
def _name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


class _Hit:
    def __init__(self, route: str, weight: float, where: str, match: re.Match[str]) -> None:
        self.route, self.weight, self.where = route, weight, where
        self.start, self.end, self.text = match.start(), match.end(), match.group(0).lower()

    def inside(self, other: _Hit) -> bool:
        return (
            other.route != self.route
            and other.where == self.where
            and other.start <= self.start
            and self.end <= other.end
            and other.end - other.start > self.end - self.start
        )


def _cue_scores(
    routes: dict[str, Route], subject: str, body: str
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Each route's cue score and the cue words found. A cue inside a longer cue of another
    route does not count ("insight" inside "SQL insight")."""
    hits: list[_Hit] = []
    for key, route in routes.items():
        for weight, patterns in ((STRONG_WEIGHT, route.strong_cues), (CUE_WEIGHT, route.cues)):
            for expression in patterns:
                pattern = _pattern(expression)
                found = pattern.search(subject)
                if found:
                    hits.append(_Hit(key, weight * SUBJECT_FACTOR, "subject", found))
                    continue
                found = pattern.search(body)
                if found:
                    hits.append(_Hit(key, weight, "body", found))
    kept = [h for h in hits if not any(h.inside(o) for o in hits)]
    scores = {key: 0.0 for key in routes}
    cues: dict[str, list[str]] = {key: [] for key in routes}
    for hit in kept:
        scores[hit.route] += hit.weight
        if hit.text not in cues[hit.route]:
            cues[hit.route].append(hit.text)
    return scores, cues


def triage_route(product_area: str | None, playbook: Playbook) -> str | None:
    """The route a triage report's free-text product area names, if any.

    "Session replay (web)", "replay", "feature flags" and "SDKs" all map; the longest
    synonym found in the text wins, so "session replay" beats "replay".
    """
    if not product_area:
        return None
    wanted = " ".join(product_area.lower().replace("_", " ").split())
    best: tuple[int, str] | None = None
    for key, route in playbook.routes.items():
        names = [key.replace("_", " "), route.area.lower(), *route.synonyms]
        for name in names:
            name = name.lower()
            found = wanted == name or _name_pattern(name).search(wanted)
            if found and (best is None or len(name) > best[0]):
                best = (len(name), key)
    return best[1] if best else None


def decide_area(
    signals: Signals,
    playbook: Playbook,
    catalogue: Catalogue,
    *,
    model: AreaModel | None = None,
    neighbours: Sequence[Neighbour] = (),
) -> AreaDecision:
    """Score every route and pick the product area of the ticket.

    Args:
        signals: What was read from the ticket (its subject, text, SDKs, triage area).
        playbook: The routes with their cue phrases and synonyms.
        catalogue: The SDK catalogue (components with an area of their own).
        model: Term weights learned from labeled reports; none when omitted.
        neighbours: The nearest past issues with a known area.
    """
    subject = signals.subject
    body = signals.text
    scores, cues = _cue_scores(dict(playbook.routes), subject, body)
    cue_only = dict(scores)
    for component in catalogue.components(f"{subject}\n{body}"):
        if component.area in scores:
            scores[component.area] += COMPONENT_WEIGHT
            cues[component.area].insert(0, component.title)
    if signals.sdks:
        scores[SDK_ROUTE] = scores.get(SDK_ROUTE, 0.0) + SDK_PRIOR
    probabilities: dict[str, float] = {}
    if model is not None:
        probabilities = model.probabilities(subject, body)
        for key, p in probabilities.items():
            if key in scores:
                scores[key] += CLASSIFIER_WEIGHT * p
    for near in neighbours:
        if near.route in scores:
            scores[near.route] += NEIGHBOUR_WEIGHT * near.similarity
    mapped = triage_route(signals.product_area, playbook)
    if mapped in scores:
        scores[mapped] += TRIAGE_WEIGHT
    route = max(scores, key=lambda k: (scores[k], -list(scores).index(k)))
    return AreaDecision(
        route=route,
        scores={k: round(v, 3) for k, v in sorted(scores.items(), key=lambda kv: -kv[1])},
        cue_scores={k: v for k, v in cue_only.items() if v > 0},
        cues=cues.get(route, []),
        triage=signals.product_area if mapped else None,
        classifier={k: round(v, 3) for k, v in probabilities.items()},
        neighbours=list(neighbours),
    )
