"""Packages whose names load on first use (``lazy.exports``) behave as eager ones did."""

from __future__ import annotations

import subprocess
import sys

import pytest

from posthog_escalation.lazy import stub_imports
from posthog_escalation.models import Ticket


def test_stub_imports_reads_the_type_checking_block_only() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import lazy\n"
        "if TYPE_CHECKING:\n"
        "    from .lint import LintReport, lint\n"
        "    from .models import (\n"
        "        Escalation,\n"
        "        Ticket as T,\n"
        "    )\n"
        "    from ..other import Far\n"
    )
    assert stub_imports(source) == {
        "LintReport": ".lint",
        "lint": ".lint",
        "Escalation": ".models",
        "T": ".models",
        "Far": "..other",
    }


def test_every_public_name_of_the_package_resolves() -> None:
    import posthog_escalation

    assert posthog_escalation.Ticket is Ticket
    assert set(posthog_escalation.__all__) <= set(dir(posthog_escalation))
    for name in posthog_escalation.__all__:
        assert getattr(posthog_escalation, name) is not None, name


def test_a_public_function_keeps_its_name_when_its_module_is_imported() -> None:
    code = (
        "import posthog_escalation.lint, posthog_escalation.tools.hogql.translate\n"
        "import posthog_escalation as package\n"
        "from posthog_escalation.tools import hogql\n"
        "assert callable(package.lint) and package.lint.__name__ == 'lint'\n"
        "assert callable(hogql.translate) and not hasattr(hogql.translate, '__path__')\n"
        "assert hogql.translate.__module__.endswith('translate')\n"
        "assert type(hogql.translate).__name__ != 'module'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_an_unknown_name_is_an_attribute_error() -> None:
    import posthog_escalation

    with pytest.raises(AttributeError, match="no_such_name"):
        posthog_escalation.no_such_name  # noqa: B018
