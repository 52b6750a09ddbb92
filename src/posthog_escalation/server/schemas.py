"""The JSON schemas the server publishes, kept short.

A host sends ``tools/list`` to the model with every conversation, so the tools' schemas
say what a caller needs and no more: input schemas without pydantic's generated titles,
output schemas that name and type the top-level fields (nested objects are typed, not
spelled out), and descriptions without Python docstring sections. The full shapes of a
ticket and an escalation are resources (:func:`document_schema`), read once when needed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel

_SECTION = re.compile(
    r"\n\s*(?:Attributes|Args|Arguments|Returns|Raises|Yields|Examples?|Notes?):\s*\n.*",
    re.DOTALL,
)


def without_sections(text: str) -> str:
    """``text`` (a docstring) without its Google-style sections (``Attributes:``, ...)."""
    return _SECTION.sub("", text).strip()


def tidy_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema without the titles pydantic generates from names and without
    ``"default": null`` (an optional argument is simply left out)."""
    tidy = copy.deepcopy(schema)
    tidy.pop("title", None)
    for prop in tidy.get("properties", {}).values():
        prop.pop("title", None)
        if "default" in prop and prop["default"] is None:
            del prop["default"]
    return tidy


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s top-level fields, each typed (a nested object is ``object``, a list of
    them an ``array``; a list of scalars keeps its items' type; times are strings), with
    the fields' own descriptions. Every field is
    always present in the structured output, so none is listed as required."""
    full = model.model_json_schema(mode="serialization")
    defs: dict[str, Any] = full.get("$defs", {})
    properties = {}
    for name, node in full.get("properties", {}).items():
        shape = _shallow(node, defs)
        if node.get("description"):
            shape["description"] = without_sections(node["description"])
        properties[name] = shape
    return {"type": "object", "properties": properties}


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return defs[ref.removeprefix("#/$defs/")]
    return node


def _shallow(node: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """The type of ``node`` without its inner structure."""
    node = _resolve(node, defs)
    if "anyOf" in node:
        options = [_shallow(option, defs, depth) for option in node["anyOf"]]
        kinds = [option.get("type") for option in options]
        if all(isinstance(k, str) and len(o) == 1 for k, o in zip(kinds, options, strict=True)):
            return {"type": list(dict.fromkeys(kinds))}
        return {"anyOf": options}
    if "enum" in node:
        return {"enum": node["enum"]}
    if "const" in node:
        return {"const": node["const"]}
    kind = node.get("type")
    if kind == "array":
        shape: dict[str, Any] = {"type": "array"}
        items = node.get("items")
        if isinstance(items, dict) and depth < 1:
            inner = _shallow(items, defs, depth + 1)
            if inner and inner != {"type": "object"}:
                shape["items"] = inner
        return shape
    if kind == "object" or "properties" in node:
        return {"type": "object"}
    return {"type": kind} if isinstance(kind, str) else {}


def document_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s full JSON schema for a resource, every description free of docstring
    sections."""
    schema = model.model_json_schema()

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            out = {key: clean(value) for key, value in node.items()}
            if isinstance(out.get("description"), str):
                out["description"] = without_sections(out["description"])
            return out
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    return clean(schema)
