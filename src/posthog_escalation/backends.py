"""The four evidence backends a run needs, chosen from settings or given explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .tools.docs import DocsSearch, open_docs_index, open_folder_index
from .tools.docs.index import index_store
from .tools.hogql import HogQLBackend, LocalHogQL, open_backend
from .tools.incidents import Incident, IncidentSource, StaticIncidents, StatusPageIncidents
from .tools.issues import IssueSearch, LocalIssues, open_issue_search


@dataclass
class Backends:
    """Where evidence comes from: HogQL, docs, known issues and service incidents.

    ``hogql`` is None when no PostHog project is available (the accuracy suite on labeled
    reports): HogQL evidence is then simply absent.
    """

    hogql: HogQLBackend | None
    docs: DocsSearch
    issues: IssueSearch
    incidents: IncidentSource

    async def aclose(self) -> None:
        """Close every backend that holds a connection."""
        for backend in (self.hogql, self.issues, self.incidents):
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
    the embedded defaults (the eval harness gives each case its own)."""
    hogql = open_backend(settings, world=world)
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
    return Backends(hogql=hogql, docs=docs, issues=issues, incidents=incidents)
