"""Credentials removed at the input edge: no escalation needs one.

A ticket or triage report can hold a key the customer pasted. It is replaced by a
placeholder (``[secret-1]``, ``[posthog-key-1]``) as the document is loaded — by the CLI
(:func:`~posthog_escalation.loading.validate_document`), by ``escalate()`` (the Python
API, the eval harness and the MCP server's drafting) and by the store before it writes —
so no output, log line, stored row or model prompt ever holds it. Personal data is kept
here: the internal flavour may show it; the public flavour is redacted separately.

One redactor serves a whole document, so the same key gets the same placeholder in every
field it appears in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from .redact import Redactor

M = TypeVar("M", bound=BaseModel)

# A string with none of these cannot hold a credential the redactor would find: no long
# run of key characters, no name of a secret, no key block, no credentials in a URL.
_MAYBE_CREDENTIAL = re.compile(
    r"[A-Za-z0-9_\-+/=.%]{12,}|://[^\s/@]+@|-----BEGIN"
    r"|(?i:pass|pw|pwd|token|secret|key|bearer|basic|auth|cred|sig|dsn|cookie)"
)


def _scrub_text(text: str, scrubber: Redactor) -> str:
    if not _MAYBE_CREDENTIAL.search(text) and not any(s in text for s in scrubber.extra_secrets):
        return text
    return scrubber(text)


def credential_scrubber(extra_secrets: Iterable[str] = ()) -> Redactor:
    """A redactor that replaces credentials (and ``extra_secrets``) and nothing else."""
    from .redact import Redactor

    return Redactor(extra_secrets=[s for s in extra_secrets if s], credentials_only=True)


def scrub_credentials(data: Any, scrubber: Redactor | None = None) -> Any:
    """``data`` (parsed JSON/YAML: dicts, lists, strings) with every credential replaced
    in every string, keys included. Other values are returned as they are."""
    scrubber = scrubber or credential_scrubber()
    if isinstance(data, str):
        return _scrub_text(data, scrubber)
    if not isinstance(data, dict | list):
        return data
    root: Any = _copy_container(data)
    stack: list[tuple[Any, Any]] = [(data, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            new_key = _scrub_text(key, scrubber) if isinstance(key, str) else key
            if isinstance(value, str):
                new_value: Any = _scrub_text(value, scrubber)
            elif isinstance(value, dict | list):
                new_value = _copy_container(value)
                stack.append((value, new_value))
            else:
                new_value = value
            if isinstance(target, dict):
                target[new_key] = new_value
            else:
                target[key] = new_value
    return root


def _copy_container(value: Any) -> Any:
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return [None] * len(value)
    return value


def scrub_model(model: M, extra_secrets: Iterable[str] = ()) -> M:
    """``model`` rebuilt with every credential in its text replaced (the same model
    instance when there was nothing to replace)."""
    scrubber = credential_scrubber(extra_secrets)
    data = model.model_dump(mode="json")
    cleaned = scrub_credentials(data, scrubber)
    if cleaned == data:
        return model
    return type(model).model_validate(cleaned)
