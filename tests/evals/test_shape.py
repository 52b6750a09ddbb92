"""The eval harness imports downwards only: no two of its modules import each other, even
inside a function or under ``if TYPE_CHECKING:``."""

from __future__ import annotations

import ast
from pathlib import Path

import posthog_escalation.evals as package

FOLDER = Path(package.__file__).parent


def _siblings(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports anywhere in its text."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found - {"__init__"}


def _graph() -> dict[str, set[str]]:
    return {p.stem: _siblings(p) for p in sorted(FOLDER.glob("*.py")) if p.stem != "__init__"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, as the modules along it, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done or module not in graph:
            return None
        for target in sorted(graph[module]):
            if (circle := visit(target, [*path, module])) is not None:
                return circle
        done.add(module)
        return None

    for module in graph:
        if (circle := visit(module, [])) is not None:
            return circle
    return None


def test_the_cycle_finder_finds_a_circle_and_only_a_circle() -> None:
    circle = _cycle({"runner": {"report"}, "report": {"records", "runner"}, "records": set()})
    assert circle is not None and set(circle) == {"runner", "report"}
    downwards = {"runner": {"report", "records"}, "report": {"records"}, "records": set()}
    assert _cycle(downwards) is None


def test_the_eval_modules_import_each_other_in_one_direction_only() -> None:
    assert _cycle(_graph()) is None


def test_the_runner_uses_the_report_and_the_report_not_the_runner() -> None:
    graph = _graph()
    assert "report" in graph["runner"]
    assert "runner" not in graph["report"]
