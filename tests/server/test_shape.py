"""The server package imports downwards only: each module may import the package's
modules of lower layers, never its own layer's or a higher one's (no import circle)."""

from __future__ import annotations

import ast
from pathlib import Path

import posthog_escalation.server as package

LAYERS = [
    {"schemas", "skills"},
    {"content", "results", "sessions", "offload"},
    {"runtime"},
    {"tooling"},
    {"evidence_tools", "escalation_tools", "followthrough_tools"},
    {"app"},
    {"transport"},
    {"__init__"},
]


def _layer(name: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) if name in layer)


def _imports_within_package(path: Path) -> set[str]:
    """Sibling modules ``path`` imports (``from .x import``, ``from . import x``), also
    under ``if TYPE_CHECKING:``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_server_module_has_a_layer() -> None:
    modules = {p.stem for p in Path(package.__file__).parent.glob("*.py")}
    assert modules == set().union(*LAYERS)


def test_server_modules_import_only_lower_layers() -> None:
    upward = []
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        for target in _imports_within_package(path):
            if _layer(target) >= _layer(path.stem):
                upward.append(f"{path.stem} imports {target}")
    assert upward == []
