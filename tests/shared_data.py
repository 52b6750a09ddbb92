"""Where the shared real-data corpora are, when this machine has them.

They are test data that is never committed: tests and benchmarks that need them skip (or
say so) when they are absent. Looked for beside the repository (``../shared``), then at
``/work/shared``; ``POSTHOG_ESCALATION_SHARED`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_corpus(*parts: str) -> Path:
    """The path of ``corpora/<parts...>`` in the shared folder (it may not exist)."""
    override = os.environ.get("POSTHOG_ESCALATION_SHARED")
    roots = [Path(override)] if override else [REPO.parent / "shared", Path("/work/shared")]
    for root in roots:
        candidate = root.joinpath("corpora", *parts)
        if candidate.exists():
            return candidate
    return roots[0].joinpath("corpora", *parts)


LABELED_REPORTS = shared_corpus("posthog-issues", "issues.jsonl")
"""The labeled real reports (issues.jsonl)."""
