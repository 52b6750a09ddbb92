"""The one decision both drafters use: route, product area, repository, and whether to
escalate or resolve in support — each with the reasons that decided it.

:func:`decide` runs on what the ticket says, before any evidence is gathered (the searches
need the product area). :func:`settle` revisits it once the evidence is in: a PostHog
incident in the window moves the product area to the service that failed, and a
documented behaviour or a confident docs answer makes it something support can resolve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from ..models import Model, Ticket
from ..playbook import DocumentedBehaviour, Playbook
from .answerable import Answer, answerable, customer_text
from .area import AreaDecision, Neighbour, decide_area
from .area_model import AreaModel, default_area_model
from .catalogue import Catalogue, default_catalogue
from .model import Signals
from .repository import RepoDecision, decide_repository

SECURITY_ROUTE = "security"
SECURITY_WORDS = re.compile(
    r"\b(?:vulnerabilit\w*|xss|csrf|sql injection|remote code|credential(?:s)? (?:leak|expos)\w*|"
    r"account takeover|privilege escalation)\b",
    re.IGNORECASE,
)
"""Words that make a ticket a security problem whatever its product area."""


class Decision(Model):
    """How a ticket is routed, and why.

    Attributes:
        route: The playbook route that receives it (``security`` for an exposure).
        product_route: The product area it is about (the route unless security took it).
        repo: The repository the fix belongs in.
        recommendation: ``escalate``, or ``resolve_in_support`` when support can answer it.
        area: How the product area was scored.
        repository: How the repository was chosen.
        answer: Why support can resolve it, when it can.
        security: The words that sent it to the security team, if any.
        notes: Later changes, each with its reason (an incident moved the area).
    """

    route: str
    product_route: str
    repo: str
    recommendation: Literal["escalate", "resolve_in_support"] = "escalate"
    area: AreaDecision
    repository: RepoDecision
    answer: Answer | None = None
    security: str | None = None
    notes: list[str] = Field(default_factory=list)

    def reason_lines(self) -> dict[str, str]:
        """The cue that decided each field, by field name."""
        lines = {
            "route": self.area.reason
            + (f"; security team first ('{self.security}')" if self.security else ""),
            "repo": f"{self.repo}: {self.repository.reason}",
            "recommendation": (
                f"resolve in support: {self.answer.reason}"
                if self.answer and self.recommendation == "resolve_in_support"
                else "escalate: no documented behaviour, docs answer or question decided otherwise"
            ),
        }
        if self.notes:
            lines["route"] += "; " + "; ".join(self.notes)
        return lines

    def context_lines(self) -> list[str]:
        """What the routing context shows of the decision."""
        reasons = self.reason_lines()
        return [f"Routed by: {reasons['route']}", f"Repository: {reasons['repo']}"]


def _exposure(signals: Signals) -> str | None:
    if "exposure" in signals.data_risk_kinds:
        return next(r.phrase for r in signals.data_risks if r.kind == "exposure")
    match = SECURITY_WORDS.search(signals.text)
    return match.group(0) if match else None


def decide(
    signals: Signals,
    playbook: Playbook,
    *,
    ticket: Ticket | None = None,
    catalogue: Catalogue | None = None,
    model: AreaModel | None = None,
    neighbours: Sequence[Neighbour] = (),
    use_model: bool = True,
) -> Decision:
    """Route a ticket from what it says.

    Args:
        signals: What was read from the ticket.
        playbook: Routes, cue phrases, synonyms and repository patterns.
        ticket: The ticket, to read what the customer alone wrote (questions).
        catalogue: The SDK catalogue (the packaged one when omitted).
        model: The area classifier (the shipped one when omitted and ``use_model``).
        neighbours: The nearest past issues with a known area, when a labeled snapshot
            is configured.
        use_model: False to decide without the classifier.
    """
    catalogue = catalogue or default_catalogue()
    if model is None and use_model:
        model = default_area_model()
    area = decide_area(signals, playbook, catalogue, model=model, neighbours=neighbours)
    product = area.route
    repository = decide_repository(signals, playbook.route(product), playbook, catalogue)
    security = _exposure(signals) if product != SECURITY_ROUTE else None
    route = SECURITY_ROUTE if security or product == SECURITY_ROUTE else product
    text = customer_text(ticket) if ticket is not None else signals.text
    answer = answerable(text, playbook) if not security else None
    return Decision(
        route=route,
        product_route=product,
        repo=repository.repo,
        recommendation="resolve_in_support" if answer else "escalate",
        area=area,
        repository=repository,
        answer=answer,
        security=security,
    )


def settle(
    decision: Decision,
    signals: Signals,
    playbook: Playbook,
    *,
    ticket: Ticket | None = None,
    incident_components: Sequence[str] | None = None,
    documented: DocumentedBehaviour | None = None,
    docs_url: str | None = None,
    docs_heading: str | None = None,
    docs_sentence: str | None = None,
    docs_confidence: float | None = None,
    catalogue: Catalogue | None = None,
) -> Decision:
    """The decision revisited with the evidence.

    Args:
        decision: What :func:`decide` chose.
        signals: What was read from the ticket.
        playbook: The playbook.
        ticket: The ticket (what the customer wrote decides questions).
        incident_components: The components and name of a PostHog incident that overlaps
            the problem, when there is one: the area becomes the service that failed.
        documented: A documented behaviour that explains the ticket.
        docs_url: The best docs section for the problem.
        docs_heading: Its heading.
        docs_sentence: The sentence of it that answers the problem.
        docs_confidence: The docs search's calibrated confidence in it.
        catalogue: The SDK catalogue.
    """
    catalogue = catalogue or default_catalogue()
    settled = decision.model_copy(deep=True)
    if documented is not None:
        moved = documented.route
        if moved != settled.product_route:
            settled.notes.append(f"documented behaviour '{documented.id}' is {moved}'s")
            settled.product_route = moved
    if incident_components is not None:
        words = " ".join(incident_components).lower()
        moved = "ingestion" if "ingest" in words else "infrastructure"
        if moved != settled.product_route:
            settled.notes.append(f"a PostHog incident in the window moved it to {moved}")
            settled.product_route = moved
    if settled.product_route != decision.product_route:
        route = playbook.route(settled.product_route)
        settled.repository = decide_repository(signals, route, playbook, catalogue)
        settled.repo = settled.repository.repo
        if settled.route != SECURITY_ROUTE:
            settled.route = settled.product_route
    if settled.security is None:
        text = customer_text(ticket) if ticket is not None else signals.text
        answer = answerable(
            text,
            playbook,
            documented=documented,
            docs_url=docs_url,
            docs_heading=docs_heading,
            docs_sentence=docs_sentence,
            docs_confidence=docs_confidence,
        )
        settled.answer = answer
        settled.recommendation = "resolve_in_support" if answer else "escalate"
    return settled
