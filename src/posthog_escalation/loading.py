"""Reading user files (YAML or JSON) into the contracts, with one-line errors.

A bad file never produces a traceback: the error names the file, the field, what was
expected, and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError

M = TypeVar("M", bound=BaseModel)


def read_document(path: Path) -> Any:
    """Parse a YAML or JSON file (YAML is a superset, so ``.json`` is read strictly).

    Raises:
        InputError: The file is missing, unreadable, or not valid YAML/JSON.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found", "check the path and try again") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file", "pass a .yaml or .json file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", "save the file as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})", "check permissions") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                "fix the JSON syntax",
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"{path}: invalid YAML{where}: {problem}", "fix the YAML syntax") from None


def describe_validation_error(error: ValidationError, *, prefix: str = "") -> str:
    """The first validation problem as ``field: what was expected (got ...)``."""
    first = error.errors(include_url=False)[0]
    parts = [str(p) for p in first["loc"]]
    field = ".".join(([prefix] if prefix else []) + parts) or "(top level)"
    message = first["msg"]
    if first["type"] == "missing":
        return f"field '{field}' is required but missing"
    if first["type"] == "extra_forbidden":
        return f"field '{field}' is not a known field"
    received = first.get("input")
    shown = repr(received)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    more = len(error.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"field '{field}': {message.lower()}, got {shown}{tail}"


def _schema_name(model: type[BaseModel]) -> str:
    from .models import SCHEMAS

    return next((name for name, m in SCHEMAS.items() if m is model), model.__name__.lower())


def validate_document(data: Any, model: type[M], *, source: str, prefix: str = "") -> M:
    """Validate parsed data as ``model``; errors name ``source`` and the field."""
    if data is None:
        raise InputError(f"{source}: is empty", f"it must hold a {model.__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            f"{source}: {describe_validation_error(exc, prefix=prefix)}",
            f"see `posthog-escalation schema {_schema_name(model)}` for the expected shape",
        ) from None


def load_model(path: Path, model: type[M]) -> M:
    """Read ``path`` (YAML or JSON) and validate it as ``model``."""
    return validate_document(read_document(path), model, source=str(path))
