"""Benchmark of the MCP server on the demo world.

Prints, for every tool:

- the p50/p95 of the plain function the tool wraps (the baseline: ``LocalHogQL.query``,
  ``impact_summary``, ``DocsSearch.search``, ``IssueSearch.search``, ``find_known_issues``,
  ``lint``, ``render_markdown``, the store functions), measured in the same process and
  interleaved with the tool calls;
- the p50/p95 of the server handling the call (``MCPServer.call_tool``: argument
  validation, the adapter, output conversion and validation) and of an in-process client
  call (``mcp.Client(server)``: the same plus the client's request and its validation of
  the structured output against the tool's output schema), each minus the function's
  p50 (the tool's overhead);
- the p50/p95 of a round trip over stdio to a real ``posthog-escalation serve`` process;
- how one client's heavy calls (``draft_escalation``, the whole pipeline) affect another
  client's cheap call (``list_followups``): its p50/p95 alone, while the heavy calls run
  (in worker threads, as the server runs them), and, as the baseline, while the same
  pipeline runs on the server's event loop (as CPU-heavy work ran before);

and the server's start-up: from spawning ``posthog-escalation serve`` to the first
``list_tools`` answer, next to a ``posthog-escalation --help`` process (the CLI's import
cost alone) measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_server.py [--runs N] [--startups N]
[--contention-only]``.
Everything lives in a temporary data folder (the demo world is built there first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from mcp import Client, StdioServerParameters

from machine import machine
from posthog_escalation import followups
from posthog_escalation.backends import Backends, open_backends
from posthog_escalation.config import Settings
from posthog_escalation.filing import plan_for_stored
from posthog_escalation.lint import lint
from posthog_escalation.loading import load_model
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.pipeline import escalate
from posthog_escalation.playbook import default_playbook
from posthog_escalation.render import render_markdown
from posthog_escalation.server import build_server
from posthog_escalation.store import EscalationStore, store_escalation
from posthog_escalation.tools.hogql import impact_summary
from posthog_escalation.tools.issues import find_known_issues
from posthog_escalation.understanding import extract_signals

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "posthog_escalation" / "examples"
CLI = Path(sys.executable).with_name("posthog-escalation")
SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
HOGQL = (
    "SELECT properties.$lib_version AS version, count() AS events FROM events "
    "WHERE event = '$exception' GROUP BY version ORDER BY events DESC"
)
NOW = datetime(2026, 11, 20, 17, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def tool_cases(request: EscalationRequest, example: Escalation) -> dict[str, dict[str, Any]]:
    """The arguments each tool is called with."""
    return {
        "hogql_query": {"query": HOGQL},
        "impact_summary": {"signature": SIGNATURE},
        "docs_search": {"query": "session recordings are blank in Safari"},
        "github_issue_search": {"query": "adoptedStyleSheets", "repos": ["PostHog/posthog-js"]},
        "find_known_issues": {
            "ticket": request.ticket.model_dump(mode="json"),
            "triage_report": request.triage.model_dump(mode="json") if request.triage else None,
        },
        "lint_escalation": {"escalation": example.model_dump(mode="json")},
        "render_escalation": {"escalation": example.model_dump(mode="json")},
        "list_followups": {"now": NOW.isoformat()},
        "record_followup": {"escalation_id": "ESC-1", "note": "checked", "now": NOW.isoformat()},
        "file_escalation": {"escalation_id": "ESC-1"},
        "draft_escalation": {
            "ticket": request.ticket.model_dump(mode="json"),
            "triage": request.triage.model_dump(mode="json") if request.triage else None,
            "drafter": "offline",
        },
        "save_escalation": {
            "escalation": example.model_dump(mode="json"),
            "ticket": request.ticket.model_dump(mode="json"),
        },
    }


def baselines(
    backends: Backends, settings: Settings, request: EscalationRequest, example: Escalation
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The plain function behind each tool, as the tool calls it."""
    book = default_playbook()

    def with_store(action: Callable[[EscalationStore], Any]) -> Any:
        store = EscalationStore.in_data_dir(settings.data_dir)
        try:
            return action(store)
        finally:
            store.close()

    async def known() -> Any:
        signals = extract_signals(request.ticket, request.triage)
        return await find_known_issues(signals, backends.issues, book, now=backends.hogql.now)

    async def thread(action: Callable[[], Any]) -> Any:
        return await anyio.to_thread.run_sync(action)

    async def drafted() -> Any:
        outcome = await escalate(
            request, settings=settings, backends=backends, drafter="offline", playbook=book
        )
        assert outcome.escalation is not None
        return with_store(
            lambda s: store_escalation(
                s, outcome.escalation, now=outcome.escalation.created_at, ticket=request.ticket
            )
        )

    async def sync(action: Callable[[], Any]) -> Any:
        return action()

    return {
        "hogql_query": lambda: backends.hogql.query(HOGQL, limit=100),
        "impact_summary": lambda: impact_summary(backends.hogql, SIGNATURE),
        "docs_search": lambda: sync(
            lambda: backends.docs.search("session recordings are blank in Safari", limit=5)
        ),
        "github_issue_search": lambda: backends.issues.search(
            "adoptedStyleSheets", repos=["PostHog/posthog-js"], limit=10
        ),
        "find_known_issues": known,
        "lint_escalation": lambda: sync(lambda: lint(example, book)),
        "render_escalation": lambda: sync(lambda: render_markdown(example, "internal")),
        "list_followups": lambda: thread(
            lambda: with_store(lambda s: followups.list_followups(s, NOW, playbook=book))
        ),
        "record_followup": lambda: thread(
            lambda: with_store(
                lambda s: followups.record_update(s, "ESC-1", "checked", NOW, playbook=book)
            )
        ),
        "file_escalation": lambda: sync(
            lambda: with_store(lambda s: plan_for_stored(s.get("ESC-1"), book))
        ),
        "draft_escalation": drafted,
        "save_escalation": lambda: thread(
            lambda: (
                lint(example, book),
                with_store(lambda s: store_escalation(s, example, now=NOW, ticket=request.ticket)),
            )
        ),
    }


async def in_process(
    settings: Settings,
    backends: Backends,
    cases: dict[str, dict[str, Any]],
    functions: dict[str, Callable[[], Awaitable[Any]]],
    runs: int,
) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """(function, server call_tool, in-process client) times per tool, interleaved."""
    server = build_server(settings=settings, backends=backends)
    found: dict[str, tuple[list[float], list[float], list[float]]] = {
        name: ([], [], []) for name in cases
    }
    async with Client(server) as client:
        for name, arguments in cases.items():
            await functions[name]()
            assert not (await client.call_tool(name, arguments)).is_error, name
        for run in range(runs):
            for name, arguments in cases.items():
                base, handled, called = found[name]

                async def function(name: str = name) -> Any:
                    return await functions[name]()

                async def direct(name: str = name, arguments: dict[str, Any] = arguments) -> Any:
                    return await server.call_tool(name, arguments)

                async def client_call(
                    name: str = name, arguments: dict[str, Any] = arguments
                ) -> Any:
                    return await client.call_tool(name, arguments)

                steps = [(function, base), (direct, handled), (client_call, called)]
                # Alternate the order: whatever runs second sees warmer caches.
                for step, times in steps if run % 2 == 0 else reversed(steps):
                    start = time.perf_counter()
                    result = await step()
                    times.append(time.perf_counter() - start)
                    assert not getattr(result, "is_error", False), name
    return found


async def contention(
    settings: Settings,
    backends: Backends,
    request: EscalationRequest,
    heavy: dict[str, Any],
    runs: int,
) -> dict[str, tuple[list[float], int]]:
    """``list_followups`` times on one client, and how many heavy runs went on meanwhile:
    alone; while another client makes ``draft_escalation`` calls back to back; and while
    the same pipeline (``escalate()``) runs back to back on the server's event loop."""
    server = build_server(settings=settings, backends=backends)
    found: dict[str, tuple[list[float], int]] = {}

    async def cheap(client: Client, into: list[float]) -> None:
        start = time.perf_counter()
        result = await client.call_tool("list_followups", {"now": NOW.isoformat()})
        into.append(time.perf_counter() - start)
        assert not result.is_error

    async with Client(server) as first, Client(server) as second:
        await cheap(second, [])

        async def measure(name: str, work: Callable[[], Awaitable[Any]] | None) -> None:
            times: list[float] = []
            done = 0
            stop = anyio.Event()

            async def loop() -> None:
                nonlocal done
                while work is not None and not stop.is_set():
                    await work()
                    done += 1

            async with anyio.create_task_group() as group:
                group.start_soon(loop)
                await anyio.sleep(0.5 if work else 0)
                for _ in range(runs):
                    await cheap(second, times)
                    await anyio.sleep(0.05)
                stop.set()
            found[name] = (times, done)

        async def drafting() -> None:
            assert not (await first.call_tool("draft_escalation", heavy)).is_error

        async def on_loop() -> None:
            await escalate(request, settings=settings, backends=backends, drafter="offline")

        await measure("alone", None)
        await measure("worker", drafting)
        await measure("loop", on_loop)
    return found


def stdio_params(data_dir: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(CLI),
        args=["--data-dir", str(data_dir), "serve"],
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(data_dir)),
            "POSTHOG_ESCALATION_BACKEND": "local",
        },
        cwd=str(data_dir),
    )


async def over_stdio(
    data_dir: Path, cases: dict[str, dict[str, Any]], runs: int
) -> dict[str, list[float]]:
    """Round-trip times per tool to a real ``serve`` process."""
    found: dict[str, list[float]] = {n: [] for n in cases}
    async with Client(stdio_params(data_dir), read_timeout_seconds=300) as client:
        for name, arguments in cases.items():
            assert not (await client.call_tool(name, arguments)).is_error, name
        for _ in range(runs):
            for name, arguments in cases.items():
                start = time.perf_counter()
                result = await client.call_tool(name, arguments)
                found[name].append(time.perf_counter() - start)
                assert not result.is_error, name
    return found


async def startup_once(data_dir: Path) -> float:
    start = time.perf_counter()
    async with Client(stdio_params(data_dir), read_timeout_seconds=300) as client:
        await client.list_tools()
        return time.perf_counter() - start


def help_once() -> float:
    start = time.perf_counter()
    subprocess.run([str(CLI), "--help"], check=True, capture_output=True)
    return time.perf_counter() - start


def print_contention(loads: dict[str, tuple[list[float], int]], runs: int) -> None:
    alone = loads["alone"][0]
    print(f"\nlist_followups on one client, {runs} calls (ms):")
    print("| while | p50 / p95 | p50 / alone p50 | heavy runs meanwhile |")
    print("|---|---|---|---|")
    labels = {
        "alone": "nothing else runs",
        "worker": "another client calls draft_escalation (worker threads)",
        "loop": "the same pipeline runs on the event loop (the baseline)",
    }
    for name, (times, done) in loads.items():
        ratio = statistics.median(times) / statistics.median(alone)
        print(
            f"| {labels[name]} | {ms(pct(times, 0.5))} / {ms(pct(times, 0.95))} "
            f"| {ratio:.1f} | {done} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="calls per tool (default 30)")
    parser.add_argument("--startups", type=int, default=7, help="server starts (default 7)")
    parser.add_argument(
        "--contention-only", action="store_true", help="only the cheap-call-under-load table"
    )
    args = parser.parse_args()

    request = load_model(EXAMPLES / "demo_request.yaml", EscalationRequest)
    example = load_model(EXAMPLES / "escalation.yaml", Escalation)
    with tempfile.TemporaryDirectory(prefix="bench-server-") as folder:
        # chDB allows one process per data folder: the served process gets its own.
        data_dir, served_dir = Path(folder) / "in-process", Path(folder) / "served"
        settings = Settings(data_dir=data_dir, backend="local", _env_file=None)
        for where in (data_dir, served_dir):
            with EscalationStore.in_data_dir(where) as store:
                store_escalation(store, example, ticket=request.ticket, now=NOW)
        print(f"machine: {machine()}")
        print(f"command: {' '.join(sys.argv)}")
        started = time.perf_counter()
        backends = open_backends(settings)
        print(f"backends opened (demo world built) in {time.perf_counter() - started:.1f} s")
        cases = tool_cases(request, example)
        loads = anyio.run(
            contention, settings, backends, request, cases["draft_escalation"], args.runs
        )
        print_contention(loads, args.runs)
        if args.contention_only:
            anyio.run(backends.aclose)
            return
        functions = baselines(backends, settings, request, example)
        local = anyio.run(in_process, settings, backends, cases, functions, args.runs)
        remote = anyio.run(over_stdio, served_dir, cases, args.runs)

        print(f"\nper tool, {args.runs} calls each (ms):")
        print(
            "| tool | function p50 / p95 | server call p50 / p95 (overhead) "
            "| in-process client p50 / p95 (overhead) | stdio p50 / p95 (overhead) |"
        )
        print("|---|---|---|---|---|")
        server_over, client_over = [], []

        def cell(times: list[float], base: float) -> str:
            extra = statistics.median(times) - base
            return f"{ms(pct(times, 0.5))} / {ms(pct(times, 0.95))} ({ms(extra)})"

        for name in cases:
            base, handled, called = local[name]
            floor = statistics.median(base)
            server_over.append(statistics.median(handled) - floor)
            client_over.append(statistics.median(called) - floor)
            print(
                f"| {name} | {ms(pct(base, 0.5))} / {ms(pct(base, 0.95))} "
                f"| {cell(handled, floor)} | {cell(called, floor)} "
                f"| {cell(remote[name], floor)} |"
            )
        print(
            "in-process overhead (p50 minus the function's p50), target < 5 ms: server "
            f"median {ms(statistics.median(server_over))} ms, max {ms(max(server_over))} ms; "
            f"client median {ms(statistics.median(client_over))} ms, "
            f"max {ms(max(client_over))} ms"
        )

        starts, helps = [], []
        for _ in range(args.startups):
            helps.append(help_once())
            starts.append(anyio.run(startup_once, served_dir))
        print(
            f"\nstart-up to first list_tools over stdio ({args.startups} starts): "
            f"p50 {pct(starts, 0.5):.2f} s, p95 {pct(starts, 0.95):.2f} s (target < 1.5 s)"
        )
        print(
            f"baseline `posthog-escalation --help` process: p50 {pct(helps, 0.5):.2f} s, "
            f"p95 {pct(helps, 0.95):.2f} s; start-up / baseline = "
            f"{statistics.median(starts) / statistics.median(helps):.2f}"
        )
        anyio.run(backends.aclose)


if __name__ == "__main__":
    main()
