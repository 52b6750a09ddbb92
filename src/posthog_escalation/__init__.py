"""posthog-escalation: quantified, evidenced, routed escalations for PostHog support tickets."""

from __future__ import annotations

from .errors import EscalationError, InputError
from .lint import LintReport, lint
from .loading import load_model
from .models import (
    Escalation,
    EscalationRequest,
    Evidence,
    Severity,
    Ticket,
    TriageDecision,
    TriageReport,
)
from .playbook import Playbook, default_playbook, load_playbook
from .redact import Redactor
from .render import render_markdown

__version__ = "0.1.0"

_LAZY = {
    "escalate": ("pipeline", "escalate"),
    "Outcome": ("outcome", "Outcome"),
    "Settings": ("config", "Settings"),
    "open_backends": ("backends", "open_backends"),
    "Backends": ("backends", "Backends"),
}


def __getattr__(name: str) -> object:
    """Load the pipeline (chDB, bm25s, the SDKs) only when it is first used."""
    if name in _LAZY:
        from importlib import import_module

        module, attribute = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Backends",
    "Escalation",
    "EscalationError",
    "EscalationRequest",
    "Evidence",
    "InputError",
    "LintReport",
    "Outcome",
    "Playbook",
    "Redactor",
    "Settings",
    "Severity",
    "Ticket",
    "TriageDecision",
    "TriageReport",
    "__version__",
    "default_playbook",
    "escalate",
    "lint",
    "load_model",
    "load_playbook",
    "open_backends",
    "render_markdown",
]
