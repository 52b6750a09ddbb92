"""Benchmark of the Claude drafter on the demo ticket, with a scripted Anthropic API.

No network and no real model: the API is ``tests/drafting/scripted_anthropic.py`` on an
``httpx2.MockTransport``, so model latency is zero and the figures are what this package
adds around the model: the MCP server in-process, the SDK's tool runner, the tool calls
against the embedded demo world, the gate. Token counts are the scripted API's estimate
(four characters per token over what a thread-holding server would bill: the whole
context each turn; system prompt and tools written to the cache on turn one and read
afterwards). They measure how much this package sends, not what a real tokenizer counts.

Three scripts, each a realistic demo run:

- ``pack only``: the model answers from the evidence pack (1 turn);
- ``one tool round``: a HogQL query and a docs search, then the answer (2 turns);
- ``round + revision``: a tool round, an answer the gate rejects, the revision (3 turns).

For each: median wall time by stage (signals, evidence, draft, gate and render, and
inside the draft: baseline rules, setup, model/SDK, tools, gate), model turns, tokens and
the approximate cost at the default model's list prices. Baseline in the same run: the
offline drafter's draft stage.

Run: ``.venv/bin/python benchmarks/bench_llm.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from machine import machine
from posthog_escalation.backends import Backends, open_backends
from posthog_escalation.config import Settings
from posthog_escalation.drafting.llm import draft_with_claude
from posthog_escalation.drafting.offline import draft_offline
from posthog_escalation.drafting.prompts import load_prompt
from posthog_escalation.evidence import EvidencePack, gather
from posthog_escalation.lint import lint
from posthog_escalation.loading import load_model
from posthog_escalation.models import EscalationRequest
from posthog_escalation.playbook import default_playbook
from posthog_escalation.redact import redactor_for
from posthog_escalation.render import render_markdown
from posthog_escalation.tools.issues import guess_route
from posthog_escalation.understanding import extract_signals

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from drafting.demo_answers import demo_answer, vague_answer  # noqa: E402
from drafting.scripted_anthropic import (  # noqa: E402
    ScriptedAnthropic,
    final,
    reply,
    text,
    tool_use,
)

REQUEST = ROOT / "src" / "posthog_escalation" / "examples" / "demo_request.yaml"
SAFARI_QUERY = (
    "SELECT properties.$browser AS browser, properties.$lib_version AS version, "
    "count() AS events, count(DISTINCT $group_0) AS orgs FROM events "
    "WHERE event = '$exception' AND properties.$exception_message ILIKE "
    "'%adoptedStyleSheets%' GROUP BY browser, version ORDER BY events DESC"
)
DOCS_QUERY = "Safari blank recordings adoptedStyleSheets"

Script = Callable[[EvidencePack], list[Any]]


def _pack_only(pack: EvidencePack) -> list[Any]:
    return [final(demo_answer(pack))]


def _tool_round(pack: EvidencePack) -> list[Any]:
    n = len(pack.items)
    return [
        reply(
            text("Counting affected events per browser and version, and checking the docs."),
            tool_use("hogql_query", {"query": SAFARI_QUERY}),
            tool_use("docs_search", {"query": DOCS_QUERY}),
        ),
        final(demo_answer(pack, extra=[f"E{n + 1}", f"E{n + 2}"])),
    ]


def _round_and_revision(pack: EvidencePack) -> list[Any]:
    n = len(pack.items)
    return [
        *_tool_round(pack)[:1],
        final(vague_answer(pack)),
        final(demo_answer(pack, extra=[f"E{n + 1}", f"E{n + 2}"])),
    ]


SCRIPTS: dict[str, Script] = {
    "pack only": _pack_only,
    "one tool round": _tool_round,
    "round + revision": _round_and_revision,
}


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


async def one_run(
    request: EscalationRequest, backends: Backends, settings: Settings, script: Script
) -> tuple[dict[str, float], Any, ScriptedAnthropic]:
    book = default_playbook()
    stages: dict[str, float] = {}
    started = time.perf_counter()
    signals = extract_signals(request.ticket, request.triage)
    route = guess_route(signals, book)
    stages["signals"] = time.perf_counter() - started

    mark = time.perf_counter()
    now = backends.hogql.now
    pack = await gather(request.ticket, signals, backends, book, route=route, now=now)
    stages["evidence"] = time.perf_counter() - mark

    api = ScriptedAnthropic(script(pack))
    mark = time.perf_counter()
    drafted = await draft_with_claude(
        request, signals, pack, backends, book, settings=settings, now=now, client=api.client()
    )
    stages["draft"] = time.perf_counter() - mark
    for name, seconds in drafted.stage_seconds.items():
        if name != "total":
            stages[f"  draft: {name}"] = seconds

    mark = time.perf_counter()
    report = lint(drafted.escalation, book)
    redactor = redactor_for(request.ticket, settings.secrets())
    render_markdown(drafted.escalation)
    render_markdown(drafted.escalation, "public", redactor=redactor)
    stages["gate and render"] = time.perf_counter() - mark
    stages["total"] = time.perf_counter() - started
    assert report.ok, [f.one_line() for f in report.errors]
    assert not drafted.fell_back, drafted.notes
    return stages, drafted, api


async def offline_draft(request: EscalationRequest, backends: Backends, runs: int) -> list[float]:
    book = default_playbook()
    signals = extract_signals(request.ticket, request.triage)
    now = backends.hogql.now
    pack = await gather(
        request.ticket, signals, backends, book, route=guess_route(signals, book), now=now
    )
    times = []
    for _ in range(runs):
        mark = time.perf_counter()
        draft_offline(request.ticket, request.triage, signals, pack, book, now=now)
        times.append(time.perf_counter() - mark)
    return times


async def bench(settings: Settings, runs: int) -> None:
    request = load_model(REQUEST, EscalationRequest)
    started = time.perf_counter()
    backends = open_backends(settings)
    print(
        f"open backends (builds the demo world on first use): {time.perf_counter() - started:.1f} s"
    )
    try:
        await one_run(request, backends, settings, _tool_round)  # warm-up
        offline = await offline_draft(request, backends, runs)
        for label, script in SCRIPTS.items():
            stages: dict[str, list[float]] = {}
            last: tuple[Any, ScriptedAnthropic] | None = None
            for _ in range(runs):
                seconds, drafted, api = await one_run(request, backends, settings, script)
                for name, value in seconds.items():
                    stages.setdefault(name, []).append(value)
                last = (drafted, api)
            assert last is not None
            drafted, api = last
            u = drafted.usage
            print(f"\n== {label} ==")
            print(
                f"model turns {u.model_turns}, tool calls {u.tool_calls}, revised "
                f"{drafted.revised}; tokens (estimated): input {u.input_tokens:,}, output "
                f"{u.output_tokens:,}, cache write {u.cache_write_tokens:,}, cache read "
                f"{u.cache_read_tokens:,}; cost at {u.model} list prices ${u.cost_usd:.4f}"
            )
            sizes = [len(json.dumps(body)) for body in api.requests]
            print(f"request bodies: {', '.join(f'{s:,}' for s in sizes)} bytes")
            for name, values in stages.items():
                print(f"  {name:<22}{ms(values)}")
        print(f"\nbaseline: offline draft stage {ms(offline)}")
        first = ScriptedAnthropic(_pack_only(await _pack(request, backends)))
        await draft_with_claude(
            request,
            extract_signals(request.ticket, request.triage),
            await _pack(request, backends),
            backends,
            default_playbook(),
            settings=settings,
            now=backends.hogql.now,
            client=first.client(),
        )
        body = first.requests[0]
        content = body["messages"][0]["content"]
        content = content if isinstance(content, str) else content[0]["text"]
        print(
            f"first request: system prompt {len(load_prompt('system')):,} chars, tool "
            f"definitions {len(json.dumps(body['tools'])):,} chars ({len(body['tools'])} tools), "
            f"task message {len(content):,} chars, answer schema "
            f"{len(json.dumps(body['output_config'])):,} chars"
        )
    finally:
        await backends.aclose()


async def _pack(request: EscalationRequest, backends: Backends) -> EvidencePack:
    book = default_playbook()
    signals = extract_signals(request.ticket, request.triage)
    return await gather(
        request.ticket,
        signals,
        backends,
        book,
        route=guess_route(signals, book),
        now=backends.hogql.now,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"command: .venv/bin/python benchmarks/bench_llm.py --runs {args.runs}")
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp:
        settings = Settings(data_dir=Path(tmp), backend="local", _env_file=None)
        anyio.run(bench, settings, args.runs)


if __name__ == "__main__":
    main()
