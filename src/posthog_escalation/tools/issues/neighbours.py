"""The nearest past issues whose product area their GitHub labels name.

When the issue snapshot carries labels (``issues snapshot`` stores them), the areas of the
issues most like the ticket are one more piece of evidence for its product area. Only
issues opened before the ticket count (a snapshot may hold later ones), and never the
ticket's own issue.
"""

from __future__ import annotations

from datetime import datetime

from .dedupe import area_of_labels
from .local import LocalIssues

NEIGHBOURS = 5
"""How many labeled neighbours are kept."""
SEARCH_DEPTH = 40
"""How many similar issues are read to find them."""


def nearest_labeled(
    issues: LocalIssues,
    text: str,
    *,
    before: datetime | None = None,
    exclude: set[str] | None = None,
    limit: int = NEIGHBOURS,
) -> list[tuple[str, str, float]]:
    """``(owner/name#number, route, weight)`` of the most similar past issues whose labels
    name an area, best first; the weight falls with the rank (1, 1/2, 1/3, ...)."""
    found: list[tuple[str, str, float]] = []
    for hit in issues.similar(text, limit=SEARCH_DEPTH, exclude=exclude):
        if before is not None and hit.created_at is not None and hit.created_at >= before:
            continue
        route = area_of_labels(hit.labels)
        if route is None:
            continue
        found.append((hit.key, route, round(1 / (len(found) + 1), 3)))
        if len(found) == limit:
            break
    return found
