"""Reading user files (YAML or JSON) into the contracts, with one-line errors.

A bad file never produces a traceback: the error names the file, the field, what was
expected, and what to do.

Hostile files are refused before they cost anything: a document larger than
:data:`MAX_DOCUMENT_BYTES`, nested deeper than :data:`MAX_DEPTH`, with more than
:data:`MAX_ALIASES` YAML aliases, or whose aliases would expand it past
:data:`MAX_EXPANDED_NODES` values or :data:`MAX_EXPANDED_BYTES` of text (a "billion
laughs" bomb), or that refers to itself. Every ticket, case and world spec is read through
:func:`read_document`, with PyYAML's C loader when libyaml is built in (the caps are
checked on the composed document, before anything is constructed).

Credentials in a ticket or triage report are replaced as it is validated
(:func:`validate_document` calls :func:`~posthog_escalation.scrub.scrub_credentials`),
so no later output, log or stored row can hold one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError

if TYPE_CHECKING:
    from yaml.nodes import Node

M = TypeVar("M", bound=BaseModel)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_EXPANDED_NODES = 500_000
MAX_EXPANDED_BYTES = 20 * 1024 * 1024
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOO_DEEP_FOR_LIBYAML = "maximum nesting depth"


class _Refused(Exception):
    """A document over one of the caps; ``args[0]`` says which."""


def _children(node: Node) -> list[Node]:
    from yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _expanded_size(root: Node) -> tuple[int, int, int]:
    """Values, text bytes and depth of ``root`` with every alias expanded (each shared
    node is measured once, then multiplied, so a bomb is measured without expanding it).

    Raises:
        _Refused: The document uses more than :data:`MAX_ALIASES` aliases, is nested
            deeper than :data:`MAX_DEPTH`, would expand past the caps, or refers to
            itself.
    """
    from yaml.nodes import ScalarNode

    sizes: dict[int, tuple[int, int, int]] = {}
    references: dict[int, int] = {}
    open_nodes: set[int] = set()
    aliases = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[id(node)] = (1, len(str(node.value)), 1)
            continue
        children = _children(node)
        if not children_done:
            if id(node) in open_nodes:
                continue
            open_nodes.add(id(node))
            for child in children:
                references[id(child)] = references.get(id(child), 0) + 1
                if references[id(child)] > 1:
                    aliases += 1
                    if aliases > MAX_ALIASES:
                        raise _Refused(f"uses more than {MAX_ALIASES} YAML aliases")
                if id(child) in open_nodes:
                    raise _Refused("refers to itself through a YAML alias")
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        values, text, depth = 1, 0, 1
        for child in children:
            child_values, child_text, child_depth = sizes[id(child)]
            values += child_values
            text += child_text
            depth = max(depth, child_depth + 1)
        open_nodes.discard(id(node))
        sizes[id(node)] = (values, text, depth)
        if values > MAX_EXPANDED_NODES or text > MAX_EXPANDED_BYTES:
            raise _Refused(
                f"would expand to more than {MAX_EXPANDED_NODES:,} values or "
                f"{MAX_EXPANDED_BYTES // (1024 * 1024)} MB through its YAML aliases"
            )
        if depth > MAX_DEPTH:
            raise _Refused(f"is nested deeper than {MAX_DEPTH} levels")
    return sizes[id(root)]


def yaml_loader(text: str) -> Any:
    """A safe YAML loader for ``text``: PyYAML's C loader (libyaml) when it is built in,
    else its pure-Python one. Both only compose here; nothing is constructed before
    :func:`_expanded_size` has measured the document."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
    return (loader or yaml.SafeLoader)(text)


def _load_yaml(text: str) -> Any:
    loader = yaml_loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _json_depth(text: str) -> int:
    """How deep the brackets of a JSON text go (strings ignored)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _refuse(path: Path, reason: str) -> InputError:
    return InputError(
        f"{path}: refused: the document {reason}",
        "a ticket, case or world spec never needs that; check the file",
    )


def read_document(path: Path | str) -> Any:
    """Parse a YAML or JSON file (YAML is a superset, so ``.json`` is read strictly).

    Raises:
        InputError: The file is missing, unreadable, or not valid YAML/JSON.
    """
    path = Path(path)
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
    if len(text) > MAX_DOCUMENT_BYTES:
        raise _refuse(path, f"is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if path.suffix.lower() == ".json":
        if _json_depth(text) > MAX_DEPTH:
            raise _refuse(path, f"is nested deeper than {MAX_DEPTH} levels")
        try:
            return json.loads(text)
        except RecursionError:
            raise _refuse(path, f"is nested deeper than {MAX_DEPTH} levels") from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                "fix the JSON syntax",
            ) from None
    import yaml

    try:
        return _load_yaml(text)
    except _Refused as exc:
        raise _refuse(path, str(exc)) from None
    except RecursionError:
        raise _refuse(path, f"is nested deeper than {MAX_DEPTH} levels") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "syntax error"
        if _TOO_DEEP_FOR_LIBYAML in problem:
            raise _refuse(path, f"is nested deeper than {MAX_DEPTH} levels") from None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
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


def _holds_untrusted_text(model: type[BaseModel]) -> bool:
    from .models import Escalation, EscalationRequest, Ticket, TriageReport

    return issubclass(model, EscalationRequest | Ticket | TriageReport | Escalation)


def validate_document(data: Any, model: type[M], *, source: str, prefix: str = "") -> M:
    """Validate parsed data as ``model``; errors name ``source`` and the field.

    Tickets, triage reports and escalations have their credentials replaced first
    (:func:`~posthog_escalation.scrub.scrub_credentials`).
    """
    if data is None:
        raise InputError(f"{source}: is empty", f"it must hold a {model.__name__}")
    if _holds_untrusted_text(model):
        from .scrub import scrub_credentials

        data = scrub_credentials(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            f"{source}: {describe_validation_error(exc, prefix=prefix)}",
            f"see `posthog-escalation schema {_schema_name(model)}` for the expected shape",
        ) from None


def load_model(path: Path | str, model: type[M]) -> M:
    """Read ``path`` (YAML or JSON; a path or its text) and validate it as ``model``."""
    return validate_document(read_document(path), model, source=str(path))


def load_jsonl(
    path: Path, model: type[M], *, what: str, missing_hint: str, line_hint: str
) -> list[M]:
    """Read a JSON Lines file: one ``model`` per non-blank line.

    Args:
        path: The file.
        model: What each line must be.
        what: What the file is (``issue snapshot``), for the error when it is missing.
        missing_hint: What to do when it is missing.
        line_hint: What a line needs, for the error when one is invalid.

    Raises:
        InputError: The file is missing or unreadable, or a line is not valid JSON or not a
            valid ``model``; the message names the file, the line and the field.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found", missing_hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})", "check the file") from None
    rows: list[M] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path} line {number}: invalid JSON ({exc.msg})", "one JSON object per line"
            ) from None
        except ValidationError as exc:
            raise InputError(
                f"{path} line {number}: {describe_validation_error(exc)}", line_hint
            ) from None
    return rows
