"""From the model's answer to an :class:`Escalation`, under the playbook's policy.

The model writes; the playbook decides. Before the model runs, the offline drafter's rules
are applied to the same signals and evidence (a few milliseconds, no model): that
*baseline* fixes what the model may not change, because the ticket and every tool result
are untrusted text the model has read:

- severity: the rubric over the assessment established by code (risk flags from the
  signal extractor's patterns, affected organizations and blast radius from the data);
- the assessment and the blast radius themselves;
- the route: the model picks one of :func:`route_choices`; anything else falls back to
  the baseline's route. Team, channel, repository and labels always come from the
  playbook entry of the route, never from model text;
- follow-up times (from the severity) and the GitHub search terms (the searches that ran).

Where the model proposed otherwise, a note says so for the human reviewer.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from ..evidence import EvidencePack
from ..models import (
    Ask,
    CustomerCommunication,
    Dimension,
    Dimensions,
    Environment,
    Escalation,
    Evidence,
    Impact,
    IssueRef,
    KnownIssueMatch,
    Reproduction,
    Routing,
    SdkVersion,
    SourceKind,
    Ticket,
)
from ..playbook import Playbook
from ..understanding import Signals, default_catalogue
from ..understanding.area import triage_route
from ..understanding.decide import Decision
from ..understanding.repository import decide_repository
from .answer import AnswerDimension, AnswerIssue, DraftAnswer
from .offline import relevant_incident, settled_decision


def route_choices(
    baseline: Escalation,
    signals: Signals,
    pack: EvidencePack,
    playbook: Playbook,
    *,
    ticket: Ticket,
    decision: Decision | None = None,
) -> list[str]:
    """The routes the model may choose from, the baseline's first.

    Security is not negotiable: when the rules route to security, it is the only choice.
    Otherwise: the baseline's route, the settled decision's route and product route, the
    triage report's product area, the route the evidence searches used, and a matched
    documented behaviour's route.
    """
    if baseline.routing.route == "security":
        return ["security"]
    decision = settled_decision(
        ticket, signals, pack, playbook, relevant_incident(pack, signals), decision
    )
    found = [baseline.routing.route, decision.route, decision.product_route]
    mapped = triage_route(signals.product_area, playbook)
    found += [mapped or "", pack.route or "", pack.documented.route if pack.documented else ""]
    return [key for key in dict.fromkeys(found) if key in playbook.routes and key != "security"]


def search_terms(items: Iterable[Evidence]) -> list[str]:
    """The GitHub searches that actually ran: every line of every issue-search query."""
    terms = [
        line.strip()
        for item in items
        if item.source is SourceKind.GITHUB and item.status == "ok"
        for line in item.query.splitlines()
    ]
    return list(dict.fromkeys(t for t in terms if t))


def _grounded(issue: AnswerIssue, corpus: str) -> bool:
    key = f"{issue.repo}#{issue.number}".lower()
    urls = (
        f"github.com/{issue.repo}/issues/{issue.number}",
        f"github.com/{issue.repo}/pull/{issue.number}",
    )
    return key in corpus or any(u.lower() in corpus for u in urls)


def _issue_refs(
    issues: list[AnswerIssue], kind: str, corpus: str, notes: list[str]
) -> list[IssueRef]:
    refs: list[IssueRef] = []
    for issue in issues:
        if not _grounded(issue, corpus):
            notes.append(f"dropped {issue.repo}#{issue.number}: no evidence row lists it")
            continue
        try:
            refs.append(
                IssueRef(
                    repo=issue.repo,
                    number=issue.number,
                    title=issue.title,
                    state=issue.state,
                    kind="pr" if kind == "pr" else "issue",
                    evidence=issue.evidence or None,
                )
            )
        except ValidationError:
            notes.append(f"dropped '{issue.repo}#{issue.number}': not a GitHub issue reference")
    return list({ref.key: ref for ref in refs}.values())


def _dimension(part: AnswerDimension) -> Dimension:
    return Dimension(statement=part.statement, evidence=list(dict.fromkeys(part.evidence)))


def assemble(
    answer: DraftAnswer,
    *,
    baseline: Escalation,
    choices: list[str],
    signals: Signals,
    evidence: list[Evidence],
    playbook: Playbook,
) -> tuple[Escalation, list[str]]:
    """The escalation from ``answer``, with the policy fields from ``baseline``.

    Returns:
        The escalation and notes on where the model's proposal was not taken.
    """
    notes: list[str] = []
    route_key = answer.route if answer.route in choices else baseline.routing.route
    if route_key != answer.route:
        notes.append(
            f"the model chose route '{answer.route}', which is not one of "
            f"{', '.join(choices)}; kept '{route_key}'"
        )
    if route_key == "security":
        product_key = next(
            (k for k, r in playbook.routes.items() if r.area == baseline.product_area),
            route_key,
        )
    else:
        product_key = route_key
    route, product = playbook.route(route_key), playbook.route(product_key)
    severity = baseline.severity
    rationale = answer.severity_rationale or baseline.severity_rationale
    if answer.severity is not severity:
        reason = answer.severity_rationale or "no reason given"
        notes.append(
            f"the model proposed {answer.severity.value} ({reason}); "
            f"the playbook rubric gives {severity.value}"
        )
        rationale = baseline.severity_rationale

    corpus = "\n".join(
        f"{e.finding}\n{e.result}\n{e.url or ''}\n{e.query}" for e in evidence
    ).lower()
    repro = answer.reproduction
    escalation = Escalation(
        ticket_id=baseline.ticket_id,
        summary=answer.summary,
        severity=severity,
        severity_rationale=rationale,
        product_area=product.area,
        affected_repo=(
            baseline.affected_repo
            if product.area == baseline.product_area
            else decide_repository(signals, product, playbook, default_catalogue()).repo
        ),
        date=baseline.date,
        created_at=baseline.created_at,
        recommendation=answer.recommendation,
        recommendation_reason=answer.recommendation_reason,
        impact=Impact(
            who=answer.impact.who,
            cannot_do=answer.impact.cannot_do,
            blast_radius=baseline.impact.blast_radius,
            workaround=answer.impact.workaround or None,
            evidence=list(dict.fromkeys(answer.impact.evidence)),
        ),
        assessment=baseline.assessment,
        dimensions=Dimensions(
            breadth=_dimension(answer.dimensions.breadth),
            depth=_dimension(answer.dimensions.depth),
            duration=_dimension(answer.dimensions.duration),
            revenue_signal=_dimension(answer.dimensions.revenue_signal),
            data_risk=_dimension(answer.dimensions.data_risk),
        ),
        evidence=evidence,
        reproduction=Reproduction(
            environment=Environment(
                sdks=[SdkVersion(name=s.name, version=s.version or None) for s in repro.sdks],
                platform=repro.platform or "unknown",
                os=baseline.reproduction.environment.os,
                browsers=baseline.reproduction.environment.browsers,
                frameworks=baseline.reproduction.environment.frameworks,
                runtimes=baseline.reproduction.environment.runtimes,
                region=repro.region,
            ),
            steps=repro.steps,
            expected=repro.expected,
            actual=repro.actual,
            reproducibility=repro.reproducibility,
            conditions=repro.conditions or None,
            missing=repro.missing,
            error=baseline.reproduction.error,
            works_on=baseline.reproduction.works_on,
            symptoms=baseline.reproduction.symptoms,
        ),
        known_issues=KnownIssueMatch(
            search_terms=search_terms(evidence),
            matching_issues=_issue_refs(
                answer.known_issues.matching_issues, "issue", corpus, notes
            ),
            related_prs=_issue_refs(answer.known_issues.related_prs, "pr", corpus, notes),
        ),
        asks=[Ask(kind=a.kind, detail=a.detail) for a in answer.asks],
        communication=CustomerCommunication(
            knows=answer.communication.knows,
            expects=answer.communication.expects,
            churn_risk=answer.communication.churn_risk,
            churn_reason=answer.communication.churn_reason,
        ),
        routing=Routing(
            route=route_key,
            team=route.team,
            channel=route.channel,
            labels=playbook.labels_for(
                route, signals.primary_sdk.package if signals.primary_sdk else None
            ),
            context=answer.routing_context or baseline.routing.context,
        ),
        follow_up=baseline.follow_up,
        close_criteria=answer.close_criteria or baseline.close_criteria,
        daily=baseline.daily,
    )
    return escalation, notes
