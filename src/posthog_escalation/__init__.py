"""posthog-escalation: quantified, evidenced, routed escalations for PostHog support tickets.

Every public name is loaded when it is first used, so ``import posthog_escalation`` (and
the CLI's start) does not pay for pydantic models, chDB, bm25s or the model SDK until a
command needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lazy

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .backends import Backends, open_backends
    from .config import Settings
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
    from .outcome import Outcome
    from .pipeline import escalate
    from .playbook import Playbook, default_playbook, load_playbook
    from .redact import Redactor
    from .render import render_markdown
    from .understanding.decide import Decision, decide
    from .understanding.extraction import extract_signals
    from .understanding.model import Signals


__getattr__, __dir__ = lazy.exports(__name__, __file__)

__all__ = [
    "Backends",
    "Decision",
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
    "Signals",
    "Ticket",
    "TriageDecision",
    "TriageReport",
    "__version__",
    "decide",
    "default_playbook",
    "escalate",
    "extract_signals",
    "lint",
    "load_model",
    "load_playbook",
    "open_backends",
    "render_markdown",
]
