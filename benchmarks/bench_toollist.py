"""Benchmark: how much of a context window the MCP server's tool list takes.

A host sends ``tools/list`` (names, descriptions, input and output schemas, annotations)
to the model with every conversation. This prints, for each tool, the bytes of its
description, input schema and output schema as the server sends them (compact JSON), and
the whole list's bytes and tokens against the target of 4,000 tokens.

Tokens are estimated as bytes / 4 (no tokenizer for Claude's models ships on PyPI; the
same estimate is used for the baseline, so the ratio does not depend on it).

The baseline, built in the same run from the same tools: each tool with the schemas the
SDK derives from its types when nothing is tidied — every argument's generated title and
null default, the escalation, ticket and triage report inlined in full where a tool takes
them, and each output model's complete schema (every nested model under ``$defs``).

Run: ``.venv/bin/python benchmarks/bench_toollist.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp_types import Tool

from machine import machine
from posthog_escalation.config import Settings
from posthog_escalation.models import Escalation, Ticket, TriageReport
from posthog_escalation.playbook import default_playbook
from posthog_escalation.server import build_server
from posthog_escalation.server.escalation_tools import escalation_tools
from posthog_escalation.server.evidence_tools import evidence_tools
from posthog_escalation.server.followthrough_tools import followthrough_tools
from posthog_escalation.server.runtime import Runtime

TARGET_TOKENS = 4_000
BYTES_PER_TOKEN = 4
INLINED = {
    "escalation": Escalation,
    "ticket": Ticket,
    "triage": TriageReport,
    "triage_report": TriageReport,
}


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def wire(tool: Tool) -> dict[str, Any]:
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


def inline(model: type[Any]) -> dict[str, Any]:
    """``model``'s JSON schema with every ``$ref`` replaced by its definition."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                return {
                    **resolve(defs[ref.split("/")[-1]]),
                    **{k: v for k, v in node.items() if k != "$ref"},
                }
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


def untidied(tool: Tool, registered: Any) -> dict[str, Any]:
    """``tool`` as the SDK would list it from its types alone (the baseline)."""
    listed = wire(tool)
    schema = json.loads(json.dumps(listed["inputSchema"]))
    schema["title"] = f"{tool.name}Arguments"
    for name, prop in schema.get("properties", {}).items():
        if name in INLINED:
            prop.update(inline(INLINED[name]))
        prop["title"] = name.replace("_", " ").title()
        if name not in schema.get("required", []):
            prop.setdefault("default", None)
    listed["inputSchema"] = schema
    model = registered.fn_metadata.output_model
    if model is not None:
        listed["outputSchema"] = model.model_json_schema(mode="serialization")
    return listed


async def measure() -> tuple[list[Tool], dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-toollist-") as folder:
        settings = Settings(data_dir=Path(folder), backend="local", _env_file=None)
        server = build_server(settings=settings)
        runtime = Runtime(settings, default_playbook(), None, None)
        groups = (evidence_tools, escalation_tools, followthrough_tools)
        registered = {t.name: t for group in groups for t in group(runtime)}
        async with Client(server) as client:
            tools = (await client.list_tools()).tools
    return tools, registered


def main() -> None:
    tools, registered = anyio.run(measure)
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    print("\nper tool, bytes of compact JSON as sent:")
    print("| tool | description | input schema | output schema | whole entry | baseline entry |")
    print("|---|---|---|---|---|---|")
    total = baseline = 0
    for tool in tools:
        entry = wire(tool)
        before = untidied(tool, registered[tool.name])
        total += compact(entry)
        baseline += compact(before)
        print(
            f"| {tool.name} | {len(tool.description or '')} | {compact(entry['inputSchema'])} "
            f"| {compact(entry.get('outputSchema'))} | {compact(entry)} | {compact(before)} |"
        )
    whole = compact({"tools": [wire(t) for t in tools]})
    whole_baseline = baseline + len('{"tools":[]}') + len(tools) - 1
    tokens = whole / BYTES_PER_TOKEN
    print(
        f"\ntools/list: {len(tools)} tools, {whole} bytes ≈ {tokens:.0f} tokens (bytes/4); "
        f"target ≤ {TARGET_TOKENS} tokens: {'met' if tokens <= TARGET_TOKENS else 'NOT met'} "
        f"({tokens / TARGET_TOKENS:.2f} of the target)"
    )
    print(
        f"baseline (untidied, models inlined): {whole_baseline} bytes ≈ "
        f"{whole_baseline / BYTES_PER_TOKEN:.0f} tokens; list / baseline = "
        f"{whole / whole_baseline:.2f}"
    )


if __name__ == "__main__":
    main()
