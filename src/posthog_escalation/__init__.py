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

__all__ = [
    "Escalation",
    "EscalationError",
    "EscalationRequest",
    "Evidence",
    "InputError",
    "LintReport",
    "Playbook",
    "Redactor",
    "Severity",
    "Ticket",
    "TriageDecision",
    "TriageReport",
    "__version__",
    "default_playbook",
    "lint",
    "load_model",
    "load_playbook",
    "render_markdown",
]
