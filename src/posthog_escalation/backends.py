"""The four evidence backends a run needs, chosen from settings or given explicitly.

HogQL evidence comes from two kinds of PostHog project (:class:`HogQLProjects`): the
customer's own project (their persons, sessions, share of their traffic, their SDK
versions) and a cross-customer project, where every customer's events carry their
organization as group type 0 (``$group_0``), so the organizations hit can be counted.
Each is configured apart; the embedded world is a cross-customer project and is the
default when no PostHog project is configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .config import Settings
from .tools.docs import DocsSearch, open_docs_index, open_folder_index
from .tools.docs.index import index_store
from .tools.hogql import HogQLBackend, LocalHogQL, RemotePostHog, open_backend
from .tools.incidents import Incident, IncidentSource, StaticIncidents, StatusPageIncidents
from .tools.issues import IssueSearch, LocalIssues, open_issue_search

ProjectKind = Literal["customer", "cross_customer"]


@dataclass(frozen=True)
class HogQLProject:
    """A HogQL backend and the kind of project it is.

    Attributes:
        backend: Where the queries go.
        kind: ``customer`` (one customer's own project) or ``cross_customer`` (every
            customer's events, ``$group_0`` = the customer's organization).
        label: How evidence names it, e.g. ``the customer's project (PostHog US project
            48213)``.
    """

    backend: HogQLBackend
    kind: ProjectKind
    label: str

    @property
    def cross_customer(self) -> bool:
        """True when organizations can be counted here."""
        return self.kind == "cross_customer"


@dataclass(frozen=True)
class HogQLProjects:
    """The customer's own project and the cross-customer project, each when configured."""

    customer: HogQLProject | None = None
    cross_customer: HogQLProject | None = None


def _where(backend: HogQLBackend) -> str:
    if isinstance(backend, LocalHogQL):
        return f"embedded world '{backend.world.name}'"
    return backend.description


def customer_project(backend: HogQLBackend) -> HogQLProject:
    """``backend`` as the customer's own project."""
    return HogQLProject(backend, "customer", f"the customer's project ({_where(backend)})")


def cross_customer_project(backend: HogQLBackend) -> HogQLProject:
    """``backend`` as a cross-customer project."""
    return HogQLProject(backend, "cross_customer", f"cross-customer data ({_where(backend)})")


def infer_projects(hogql: HogQLBackend) -> HogQLProjects:
    """What ``hogql`` alone is: an embedded world is cross-customer (its organizations are
    ``$group_0``); any other backend is taken as the customer's own project."""
    if isinstance(hogql, LocalHogQL):
        return HogQLProjects(cross_customer=cross_customer_project(hogql))
    return HogQLProjects(customer=customer_project(hogql))


@dataclass
class Backends:
    """Where evidence comes from: HogQL, docs, known issues and service incidents.

    ``hogql`` is the default HogQL backend (the customer's project when configured, else
    the cross-customer one); ``projects`` says which kind each configured project is, and
    is inferred from ``hogql`` when not given. ``hogql`` is None when no PostHog project
    is available (the accuracy suite on labeled reports): HogQL evidence is then absent.
    """

    hogql: HogQLBackend | None
    docs: DocsSearch
    issues: IssueSearch
    incidents: IncidentSource
    projects: HogQLProjects = field(default_factory=HogQLProjects)

    def __post_init__(self) -> None:
        empty = self.projects.customer is None and self.projects.cross_customer is None
        if empty and self.hogql is not None:
            self.projects = infer_projects(self.hogql)

    async def aclose(self) -> None:
        """Close every backend that holds a connection."""
        cross = self.projects.cross_customer
        extra = [cross.backend] if cross is not None and cross.backend is not self.hogql else []
        for backend in (self.hogql, *extra, self.issues, self.incidents):
            if backend is None:
                continue
            close = getattr(backend, "aclose", None)
            if close is not None:
                await close()


def world_incidents(hogql: HogQLBackend | None) -> IncidentSource:
    """The status incidents of an embedded world (none for a backend without a world)."""
    infos = getattr(hogql, "status_incidents", None) or []
    return StaticIncidents(
        [
            Incident(
                **info.model_dump(), status="resolved" if info.resolved_at else "investigating"
            )
            for info in infos
        ]
    )


def open_backends(
    settings: Settings,
    *,
    world: Path | str | None = None,
    docs_dir: Path | None = None,
    issues_snapshot: Path | None = None,
) -> Backends:
    """Backends from settings; ``world``, ``docs_dir`` and ``issues_snapshot`` override
    the embedded defaults (the eval harness gives each case its own).

    HogQL: the customer's project from ``POSTHOG_PROJECT_ID``, the cross-customer project
    from ``POSTHOG_CROSS_CUSTOMER_PROJECT_ID``; with neither (or with ``world``) the
    embedded world, which is cross-customer.
    """
    cross: HogQLBackend | None = None
    key = settings.cross_customer_api_key or settings.posthog_api_key
    if world is None and settings.uses_remote_cross_customer and key is not None:
        cross = RemotePostHog(
            settings.cross_customer_host or settings.posthog_host,
            settings.cross_customer_project_id or "",
            key,
        )
    if cross is not None and not settings.uses_remote_posthog:
        hogql: HogQLBackend = cross
        projects = HogQLProjects(cross_customer=cross_customer_project(cross))
    else:
        hogql = open_backend(settings, world=world)
        projects = infer_projects(hogql)
        if cross is not None:
            projects = HogQLProjects(
                customer=projects.customer, cross_customer=cross_customer_project(cross)
            )
    if docs_dir is not None:
        docs: DocsSearch = open_folder_index(docs_dir, index_store(settings.data_dir))
    else:
        docs = open_docs_index(settings)
    if issues_snapshot is not None:
        issues: IssueSearch = LocalIssues(issues_snapshot)
    else:
        issues = open_issue_search(settings)
    if isinstance(hogql, LocalHogQL):
        incidents = world_incidents(hogql)
    else:
        incidents = StatusPageIncidents(settings.incidents_url)
    return Backends(hogql=hogql, docs=docs, issues=issues, incidents=incidents, projects=projects)
