"""Packages whose public names are imported on first use.

A package lists what it re-exports as ordinary imports inside ``if TYPE_CHECKING:`` (so
type checkers, linters and readers see them) and ends with::

    __getattr__, __dir__ = lazy.exports(__name__, __file__)

Nothing is imported until a name is used; then only the module that defines it. This
keeps ``posthog-escalation --help`` and the MCP server's start from paying for chDB,
sqlglot, numpy, bm25s and the model SDK, which only some commands need.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from types import ModuleType


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def stub_imports(source: str) -> dict[str, str]:
    """Each name imported under ``if TYPE_CHECKING:`` in ``source``, mapped to the
    relative module it comes from (``{"lint": ".lint"}``)."""
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and _is_type_checking(node.test)):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.level:
                module = "." * statement.level + (statement.module or "")
                for alias in statement.names:
                    names[alias.asname or alias.name] = module
    return names


class _LazyPackage(ModuleType):
    """A package where a re-exported name keeps its meaning when a submodule of the same
    name is imported (``tools.hogql.translate`` stays the function, as an eager
    ``from .translate import translate`` left it)."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType):
            table: Callable[[], dict[str, str]] = self.__dict__["_lazy_table"]
            if table().get(name, "").lstrip(".") == name:
                return
        super().__setattr__(name, value)


def exports(
    package: str, init_file: str
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose re-exports load lazily.

    Args:
        package: The package's ``__name__``.
        init_file: Its ``__init__.py`` (``__file__``), whose ``TYPE_CHECKING`` imports
            name what it re-exports; read once, on the first lookup.
    """
    module = sys.modules[package]
    cache: list[dict[str, str]] = []

    def table() -> dict[str, str]:
        if not cache:
            cache.append(stub_imports(Path(init_file).read_text(encoding="utf-8")))
        return cache[0]

    module.__dict__["_lazy_table"] = table
    module.__class__ = _LazyPackage

    def __getattr__(name: str) -> object:
        source = table().get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(source, package), name)
        module.__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*module.__dict__, *table()})

    return __getattr__, __dir__
