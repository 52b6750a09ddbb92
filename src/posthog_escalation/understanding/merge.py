"""Merging what Claude read from a ticket into the rules' understanding of it.

The model reads the ticket into :class:`TicketReading` (structured output). The rules then
check each field against the catalogue and the playbook before anything is taken:

- an SDK is added only when the catalogue knows the package, with the version as the
  model read it; unknown packages are dropped and said so; with a new SDK the rules
  decide again on what is now known;
- the product area is the model's only when it is a playbook route and either the
  ticket's own words point at it (a cue of that route; for ``sdk_bug``, an SDK known) or
  the rules found no cue at all;
- security is the rules' alone: the model can neither send a ticket to the security team
  nor take it away (an exposure it reports is noted for the engineer);
- "resolve in support" is the model's only when it reads a question or a feature request
  and the rules find no failure in the ticket.

Every change and every refusal is a note, shown with the escalation.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..models import Ticket
from ..playbook import Playbook
from .answerable import Answer, customer_text, failure_cue
from .catalogue import Catalogue
from .decide import SECURITY_ROUTE, Decision, decide
from .model import SdkMention, Signals
from .repository import decide_repository


class ReadSdk(BaseModel):
    """An SDK package as the model read it."""

    package: str = Field(description="The package name, e.g. posthog-js or posthog_flutter")
    version: str = Field("", description="The version or range as written; empty if none")


class TicketReading(BaseModel):
    """What the model read from a ticket (the structured output it must return)."""

    product_area: str = Field(description="A playbook route key")
    sdks: list[ReadSdk] = Field(default_factory=list)
    platform: str = ""
    error: str = ""
    blocked: bool = False
    workaround: str = ""
    question: bool = False
    feature_request: bool = False
    data_exposure: bool = False
    data_loss: bool = False
    symptom: str = ""


def _package(name: str, catalogue: Catalogue) -> str | None:
    if catalogue.entry(name) is not None:
        return name
    found = catalogue.find(name)
    return found[0].package if found else None


def merge_reading(
    decision: Decision,
    signals: Signals,
    reading: TicketReading,
    playbook: Playbook,
    catalogue: Catalogue,
    *,
    ticket: Ticket | None = None,
) -> tuple[Decision, Signals, list[str]]:
    """The decision and signals with what the model read that the rules accept.

    Returns:
        The merged decision, the merged signals and a note for every field the model's
        reading changed or was refused on.
    """
    notes: list[str] = []
    merged = signals.model_copy(deep=True)
    known = {s.package for s in merged.sdks}
    for read in reading.sdks:
        package = _package(read.package, catalogue)
        if package is None:
            notes.append(f"the model read SDK '{read.package[:60]}', which the catalogue lacks")
            continue
        if package in known:
            continue
        entry = catalogue.entry(package)
        assert entry is not None
        merged.sdks.append(
            SdkMention(
                package=package,
                written_as=read.package[:80],
                version=read.version or None,
                lib=entry.lib,
                family=entry.family,
                repo=entry.repo,
                plugin=entry.plugin,
                source="model",
            )
        )
        known.add(package)
        notes.append(f"the model read SDK {package} {read.version}".rstrip())
    if len(merged.sdks) > len(signals.sdks):
        merged.implied_sdk = None
        result = decide(
            merged,
            playbook,
            ticket=ticket,
            catalogue=catalogue,
            neighbours=decision.area.neighbours,
        )
        result.notes = list(decision.notes)
    else:
        result = decision.model_copy(deep=True)
    area = reading.product_area
    if area in playbook.routes and area != SECURITY_ROUTE and area != result.product_route:
        cued = result.area.cue_scores.get(area, 0) > 0 or (area == "sdk_bug" and bool(merged.sdks))
        no_cues = not result.area.cue_scores
        if cued or no_cues:
            why = "a cue in the ticket supports it" if cued else "no cue either way"
            notes.append(
                f"the model read the product area as {area}; the rules had "
                f"{result.product_route} ({why})"
            )
            result.product_route = area
            if result.route != SECURITY_ROUTE:
                result.route = area
        else:
            notes.append(
                f"the model read the product area as {area}, but nothing in the ticket points "
                f"there; kept {result.product_route}"
            )
    elif area not in playbook.routes:
        notes.append(f"the model read an unknown product area '{area[:40]}'; ignored")
    if reading.data_exposure and result.route != SECURITY_ROUTE:
        notes.append("the model reads a data exposure; security routing is the rules' call")
    result.repository = decide_repository(
        merged, playbook.route(result.product_route), playbook, catalogue
    )
    result.repo = result.repository.repo
    if result.recommendation == "escalate" and (reading.question or reading.feature_request):
        text = customer_text(ticket) if ticket is not None else merged.text
        failure = failure_cue(text, playbook)
        if failure is None and result.security is None:
            kind = "question" if reading.question else "feature_request"
            result.answer = Answer(kind=kind, cue=f"read by the model: {reading.symptom[:80]}")
            result.recommendation = "resolve_in_support"
            notes.append(f"the model reads a {kind.replace('_', ' ')} and no failure is reported")
        elif failure is not None:
            notes.append(f"the model reads a question, but the ticket reports '{failure}'")
    result.notes.extend(notes)
    return result, merged, notes
