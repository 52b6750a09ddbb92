"""The wheel ships every package: pyproject lists packages explicitly (prompts/ is mapped
in from the top level), so a new subpackage must be added there."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_under_src_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT / "src").parts)
        for init in (ROOT / "src").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject.toml packages: {sorted(found - listed)}"
    assert config["package-dir"]["posthog_escalation.prompts"] == "prompts"


def test_the_prompts_the_drafters_load_exist() -> None:
    names = {p.stem for p in (ROOT / "prompts").glob("*.md")}
    assert {"system", "draft", "revise"} <= names


def test_the_public_api_resolves_every_name_in_all() -> None:
    import posthog_escalation

    for name in posthog_escalation.__all__:
        assert getattr(posthog_escalation, name) is not None, name
    assert posthog_escalation.escalate.__module__ == "posthog_escalation.pipeline"
