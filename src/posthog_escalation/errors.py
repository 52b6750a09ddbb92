"""One small exception tree.

Every error a user can see carries a one-line message that says what was wrong, and a
``hint`` that says what to do about it. The CLI prints ``message`` and ``hint`` on one
line and exits 2 for bad input, 1 for everything else; ``--debug`` adds the traceback.
"""

from __future__ import annotations


class EscalationError(Exception):
    """Base of every error this package raises on purpose.

    Attributes:
        message: What went wrong, in one line.
        hint: What to do about it, in one line (may be empty).
    """

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and hint as a single line, for a terminal or a tool result."""
        text = " ".join(self.message.split())
        if self.hint:
            text = f"{text} — {' '.join(self.hint.split())}"
        return text

    def __str__(self) -> str:
        return self.one_line()


class InputError(EscalationError):
    """Bad input from a user: a missing file, unparseable text, a field of the wrong type."""

    exit_code = 2


class ConfigError(EscalationError):
    """Missing or invalid settings (an environment variable, a credential, a data folder)."""

    exit_code = 2


class PlaybookError(EscalationError):
    """The playbook file is malformed."""

    exit_code = 2


class BackendError(EscalationError):
    """A backend (PostHog, GitHub, Anthropic, chDB, the docs index) failed."""


class QueryError(BackendError):
    """A query the caller can fix: bad HogQL, an unknown table, a forbidden statement."""

    exit_code = 2


class AuthError(BackendError):
    """A credential was rejected or lacks a permission."""

    exit_code = 2


class RateLimitedError(BackendError):
    """A rate limit was hit and retries were exhausted."""


class UnavailableError(BackendError):
    """A service could not be reached, timed out, or answered with a server error."""


class NotFoundError(EscalationError):
    """A named thing (escalation id, project, world, route) does not exist."""

    exit_code = 2


class StateError(EscalationError):
    """An operation does not fit the current state (e.g. closing a closed escalation)."""

    exit_code = 2
