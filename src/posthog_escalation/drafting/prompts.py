"""The prompts, plain markdown files loaded by name.

They live in the repository's top-level ``prompts/`` folder, installed as the
``posthog_escalation.prompts`` package data. From a source checkout whose installed
metadata predates that mapping, the folder is read directly.

Placeholders are ``{{name}}``. Values are substituted in one pass over the template, so a
value (a ticket, say) that itself contains ``{{...}}`` is never expanded.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import ConfigError

PROMPTS_PACKAGE = "posthog_escalation.prompts"
SOURCE_PROMPTS = Path(__file__).resolve().parents[3] / "prompts"
"""The top-level prompts folder of a source checkout (src layout)."""

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def _packaged(name: str) -> str | None:
    try:
        folder = resources.files(PROMPTS_PACKAGE)
    except ModuleNotFoundError:
        return None
    found = folder / f"{name}.md"
    return found.read_text(encoding="utf-8") if found.is_file() else None


@cache
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.md``.

    Raises:
        ConfigError: No prompt of that name is installed or in the checkout.
    """
    if not _NAME.match(name):
        raise ConfigError(f"'{name}' is not a prompt name", "use a name such as 'system'")
    text = _packaged(name)
    if text is None:
        path = SOURCE_PROMPTS / f"{name}.md"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
    if text is None:
        raise ConfigError(
            f"prompt '{name}' not found in {PROMPTS_PACKAGE} or {SOURCE_PROMPTS}",
            "reinstall the package (the prompts ship as package data)",
        )
    return text


def placeholders(name: str) -> set[str]:
    """The placeholder names prompt ``name`` uses."""
    return set(_PLACEHOLDER.findall(load_prompt(name)))


def render_prompt(name: str, **values: str) -> str:
    """Prompt ``name`` with its ``{{placeholders}}`` filled from ``values``.

    Raises:
        ConfigError: A placeholder has no value, or a value has no placeholder.
    """
    template = load_prompt(name)
    wanted = set(_PLACEHOLDER.findall(template))
    missing = sorted(wanted - values.keys())
    unused = sorted(values.keys() - wanted)
    if missing or unused:
        problem = f"missing {', '.join(missing)}" if missing else f"unused {', '.join(unused)}"
        raise ConfigError(
            f"prompt '{name}' does not match its values ({problem})",
            "keep prompts/*.md placeholders and the drafter's values in step",
        )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
