"""When this escalation may be closed or downgraded: criteria written for the case.

The playbook's general criteria (support can fix it, a workaround unblocks the customer,
the problem stopped, new information lowers the severity) live in the skill's references.
An escalation names the concrete event that meets them: which fix has to ship and which
query has to come back clean to close it, and which of the rubric's reasons for its
severity has to go away to downgrade it.
"""

from __future__ import annotations

from datetime import date

from ..models import KnownIssueMatch, Severity
from ..playbook import DocumentedBehaviour, SeverityRule
from ..tools.incidents import Incident
from ..understanding import VersionChange

_ENDS: dict[str, str] = {
    "blocked_no_workaround": "a workaround unblocks {customer}",
    "multiple_orgs_blocked": "a workaround unblocks the organizations hit",
    "systemic": "the data shows it in only a few organizations",
    "data_loss": "the owning team confirms no data is lost or that it can be recovered",
    "data_exposure": "the security team confirms no data is exposed",
}
"""What ends each severity rule's condition (``revenue_at_risk`` is written apart)."""


def close_criteria(
    *,
    customer: str,
    known: KnownIssueMatch,
    documented: DocumentedBehaviour | None,
    incident: Incident | None,
    change: VersionChange | None,
    package: str | None,
    check: str | None,
) -> str:
    """The one event that closes this escalation.

    Args:
        customer: The customer's name.
        known: The known-issue match (a fix in progress, or the issue to follow).
        documented: The documented behaviour that explains it, if any.
        incident: The PostHog incident that explains it, if any.
        change: The version change the ticket reports, if any.
        package: The SDK package.
        check: The evidence id whose query shows the problem in the data, if any.
    """
    confirm = f"{customer} confirms it"
    clean = (
        f"re-running {check}'s query finds no new matching events after it, and " if check else ""
    )
    if documented is not None:
        return f"Close when {customer} confirms the documented fix works: {documented.resolution}"
    if incident is not None:
        return (
            f"Close when the incident '{incident.name}' is resolved, {clean}"
            f"{customer} confirms its data arrives again"
        )
    if known.related_prs:
        pr = known.related_prs[0]
        title = f" ({pr.title})" if pr.title else ""
        return f"Close when {pr.key}{title} is released, {clean}{confirm}"
    if known.matching_issues:
        issue = known.matching_issues[0]
        return f"Close when {issue.key} is fixed in a release, {clean}{confirm}"
    if change is not None and change.first_bad:
        name = change.package or package or "the SDK"
        return f"Close when a {name} release after {change.first_bad} fixes it, {clean}{confirm}"
    return f"Close when the root cause is fixed and released, {clean}{confirm}"


def downgrade_criteria(
    *,
    customer: str,
    severity: Severity,
    rules: list[SeverityRule],
    renewal: date | None,
) -> list[str]:
    """When this escalation may be downgraded: for each rubric rule that sets its
    severity, the event that ends the rule's condition, and the level it allows."""
    found: list[str] = []
    for rule in rules:
        if rule.min_severity is not severity:
            continue
        others = [r.min_severity for r in rules if r is not rule]
        target = min(others, key=lambda s: s.rank, default=Severity.MEDIUM)
        if target.rank <= severity.rank:
            continue
        if rule.condition == "revenue_at_risk":
            when = (
                f"{customer}'s renewal on {renewal:%Y-%m-%d} is no longer at risk"
                if renewal
                else f"{customer}'s account is no longer at risk"
            )
        elif rule.condition in _ENDS:
            when = _ENDS[rule.condition].format(customer=customer)
        else:
            continue
        found.append(f"Downgrade to {target.value} when {when}")
    return found
