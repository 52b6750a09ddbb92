"""HogQL benchmark: world build time, impact query latency, translator time, layer overhead.

For each world size (the demo world scaled to ~1M and ~10M events) it prints:

- build time of the world (generation inside chDB, ground truth included);
- p50/p95 of each impact query through ``LocalHogQL`` (translate + run + decode);
- p50/p95 of the same already-translated SQL run on a plain chDB session (the baseline)
  and the ratio ours/raw (the overhead of our layer);
- p50/p95 wall time of a whole ``impact_summary`` (one parallel round);
- p50/p95 of the translator alone per query (cache cleared every call).

Run: ``.venv/bin/python benchmarks/bench_hogql.py`` (both sizes) or ``--sizes 1m``.
Worlds are built under ``--home`` (default a folder in the system temp dir) and rebuilt
each run unless ``--reuse``.
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
from chdb.session import Session

from machine import machine
from posthog_escalation.tools.hogql import (
    LocalHogQL,
    build_world,
    impact_queries,
    impact_summary,
    packaged_world,
    parse_world_spec,
    translate,
)
from posthog_escalation.tools.hogql.engine import CHDB_FOLDER, get_engine

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
DEMO_EVENTS = 259_267  # events in the demo world at scale 1
SIZES = {"1m": 1_000_000, "10m": 10_000_000}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:8.1f} ms  p95 {pct(values, 0.95) * 1000:8.1f} ms"


def bench_size(label: str, target: int, home: Path, runs: int, reuse: bool) -> None:
    data = yaml.safe_load(packaged_world("demo").read_text(encoding="utf-8"))
    data["name"] = f"bench-{label}"
    data["scale"] = round(target / DEMO_EVENTS, 3)
    spec = parse_world_spec(data, source=f"bench {label}")

    started = time.perf_counter()
    info = build_world(spec, home=home, force=not reuse)
    wall = time.perf_counter() - started
    backend = LocalHogQL(get_engine(home), info, spec)
    print(f"\n== {label}: {info.totals.events:,} events, {info.totals.persons:,} persons ==")
    if info.reused:
        print("build: reused (run without --reuse to time the build)")
    else:
        print(f"build: {info.build_seconds:.1f} s (wall {wall:.1f} s)")

    raw = Session(str(home / CHDB_FOLDER))
    raw.query("SET output_format_json_quote_64bit_integers = 0", "CSV")
    raw.query("SET date_time_output_format = 'iso'", "CSV")
    queries = impact_queries(SIGNATURE, spec.now - (spec.now - spec.start) / 1.5, spec.now)
    cold_ratios, warm_ratios = [], []
    print(f"{'query':<16} {'ours, cold translate':<34} {'raw chDB (same SQL)':<34} cold  warm")
    for name, hogql in queries.items():
        sql = translate(hogql, database=info.database, now=spec.now).clickhouse
        cold, warm, base = [], [], []
        backend.query_sync(hogql)
        raw.query(sql, "JSONCompact")
        for _ in range(runs):
            translate.cache_clear()
            t = time.perf_counter()
            backend.query_sync(hogql)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw.query(sql, "JSONCompact")
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            backend.query_sync(hogql)
            warm.append(time.perf_counter() - t)
        cold_ratio = statistics.median(cold) / statistics.median(base)
        warm_ratio = statistics.median(warm) / statistics.median(base)
        cold_ratios.append(cold_ratio)
        warm_ratios.append(warm_ratio)
        print(f"{name:<16} {ms(cold):<34} {ms(base):<34} {cold_ratio:.3f} {warm_ratio:.3f}")
    print(
        f"overhead ratio, median over queries: cold {statistics.median(cold_ratios):.3f}, "
        f"warm (translation cached) {statistics.median(warm_ratios):.3f}"
    )

    walls = []
    for _ in range(runs):
        translate.cache_clear()
        t = time.perf_counter()
        summary = anyio.run(lambda: impact_summary(backend, SIGNATURE, now=spec.now))
        walls.append(time.perf_counter() - t)
    print(f"impact summary   {ms(walls)}  ({summary.affected_events:,} affected events)")

    print("translator alone (uncached):")
    for name, hogql in queries.items():
        times = []
        for _ in range(max(50, runs * 5)):
            translate.cache_clear()
            t = time.perf_counter()
            translate(hogql, database=info.database, now=spec.now)
            times.append(time.perf_counter() - t)
        print(f"  {name:<16} {ms(times)}")
    raw.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1m,10m", help="comma list of 1m, 10m")
    parser.add_argument("--runs", type=int, default=15, help="repetitions per measurement")
    parser.add_argument("--reuse", action="store_true", help="reuse worlds already built")
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(tempfile.gettempdir()) / "posthog-escalation-bench",
        help="world home (chDB folder inside)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"command: {' '.join(['benchmarks/bench_hogql.py', *sys.argv[1:]])}")
    for label in args.sizes.split(","):
        bench_size(label.strip(), SIZES[label.strip()], args.home, args.runs, args.reuse)


if __name__ == "__main__":
    main()
