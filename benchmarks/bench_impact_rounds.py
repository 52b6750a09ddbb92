"""What measuring shares since the problem started costs ``impact_summary``.

The session shares are split at the first matching event, so they run in a second round
after the first five queries. This times the shipped ``impact_summary`` (two rounds)
against the same six queries sent in one round with the first event already known (the
baseline), interleaved, on the demo world scaled to about 1M events.

Run: ``.venv/bin/python benchmarks/bench_impact_rounds.py [--home DIR] [--runs N]``
(the world is built under ``--home`` on first use and reused afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import yaml

from machine import machine
from posthog_escalation.tools.hogql import (
    LocalHogQL,
    build_world,
    impact_queries,
    impact_summary,
    packaged_world,
    parse_world_spec,
)
from posthog_escalation.tools.hogql.engine import get_engine

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
DEMO_EVENTS = 259_267
TARGET = 1_000_000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) / "pe-bench")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    data = yaml.safe_load(packaged_world("demo").read_text(encoding="utf-8"))
    data["name"], data["scale"] = "bench-1m", round(TARGET / DEMO_EVENTS, 3)
    spec = parse_world_spec(data, source="bench 1m")
    info = build_world(spec, home=args.home.resolve())
    backend = LocalHogQL(get_engine(args.home.resolve()), info, spec)
    first = anyio.run(lambda: impact_summary(backend, SIGNATURE, now=spec.now))
    queries = impact_queries(SIGNATURE, first.since, first.until, first.first_seen)

    async def one_round() -> None:
        async with anyio.create_task_group() as group:
            for hogql in queries.values():
                group.start_soon(backend.query, hogql)

    two: list[float] = []
    one: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        anyio.run(lambda: impact_summary(backend, SIGNATURE, now=spec.now))
        two.append(time.perf_counter() - started)
        started = time.perf_counter()
        anyio.run(one_round)
        one.append(time.perf_counter() - started)
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    print(f"{info.totals.events:,} events; {args.runs} runs each, interleaved")
    print(
        f"impact_summary, two rounds:     p50 {pct(two, 0.5):.0f} ms  p95 {pct(two, 0.95):.0f} ms"
    )
    print(
        f"same six queries, one round:    p50 {pct(one, 0.5):.0f} ms  p95 {pct(one, 0.95):.0f} ms"
    )
    print(f"ratio two rounds / one (p50):   {statistics.median(two) / statistics.median(one):.2f}")


if __name__ == "__main__":
    main()
