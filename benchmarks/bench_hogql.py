"""HogQL benchmark: our queries against hand-written ClickHouse SQL, and a process's first call.

For each world size (the demo world scaled to ~1M and ~10M events) it prints:

- build time of the world (generation inside chDB, ground truth included);
- for every query (the impact queries plus property filters, a property breakdown, a
  person-property filter and a groups join): p50 of our HogQL through ``LocalHogQL``
  (translate + run + decode, translation cached = warm, cleared = cold), of the SQL we
  generate run on a plain chDB session, and of the same question written by hand in
  ClickHouse SQL (``JSONExtractString``, plain columns, no null-safety wrappers); the
  ratios ours/hand-written are the figure the target (<= 1.1) is about, in wall time and
  in CPU time of the process (all its threads), which other jobs on the machine disturb
  far less;
- p50/p95 wall time of a whole ``impact_summary`` (one parallel round);
- p50/p95 of the translator alone per query (cache cleared every call);
- a process's first call: in fresh processes, the time to import the package, to load
  chDB's library (on first use since this round), to open the world (attach its folder)
  and to run the first ``impact_summary``.

Run: ``.venv/bin/python benchmarks/bench_hogql.py`` (both sizes) or ``--sizes 1m``.
Worlds are built under ``--home`` (default a folder in the system temp dir) and rebuilt
each run unless ``--reuse``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
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
from posthog_escalation.tools.hogql.engine import CONNECTION

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
HAND_SIGNATURE = "event = '$exception' AND `mat_$exception_message` ILIKE '%adoptedStyleSheets%'"
DEMO_EVENTS = 259_267  # events in the demo world at scale 1
SIZES = {"1m": 1_000_000, "10m": 10_000_000}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:7.1f} ms  p95 {pct(values, 0.95) * 1000:7.1f} ms"


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def hand_written(db: str, since: datetime, until: datetime) -> dict[str, str]:
    """The same questions as the HogQL queries, written directly in ClickHouse SQL."""
    window = (
        f"timestamp >= toDateTime64('{_ts(since)}', 6, 'UTC') "
        f"AND timestamp < toDateTime64('{_ts(until)}', 6, 'UTC')"
    )
    sig = f"({HAND_SIGNATURE})"
    return {
        "totals": f"""SELECT count(), uniqExact(person_id),
  uniqExactIf(`$group_0`, `$group_0` != ''), uniqExactIf(`$session_id`, `$session_id` != ''),
  min(timestamp), max(timestamp)
FROM {db}.events WHERE {sig} AND {window}""",
        "top_orgs": f"""SELECT a.org, JSONExtractString(g.properties, 'name'),
  JSONExtractString(g.properties, 'plan'), JSONExtractFloat(g.properties, 'arr'),
  JSONExtractInt(g.properties, 'seats'), a.events, a.persons
FROM (SELECT `$group_0` AS org, count() AS events, uniqExact(person_id) AS persons
  FROM {db}.events WHERE {sig} AND {window} AND `$group_0` != '' GROUP BY org) AS a
LEFT JOIN (SELECT key, properties FROM {db}.groups WHERE index = 0) AS g ON g.key = a.org
ORDER BY a.events DESC, a.org LIMIT 20""",
        "events_per_day": f"""SELECT toStartOfDay(timestamp) AS day, count(), uniqExact(person_id),
  uniqExactIf(`$group_0`, `$group_0` != '')
FROM {db}.events WHERE {sig} AND {window} GROUP BY day ORDER BY day LIMIT 1000""",
        "versions": f"""SELECT `mat_$lib` AS lib, `mat_$lib_version` AS version,
  countIf({sig}) AS a, count() AS t, minIf(timestamp, {sig})
FROM {db}.events WHERE {window} GROUP BY lib, version ORDER BY a DESC, t DESC LIMIT 100""",
        "environments": f"""SELECT `mat_$browser` AS b, `mat_$os` AS o,
  countIf({sig}) AS a, count() AS t
FROM {db}.events WHERE {window} GROUP BY b, o ORDER BY a DESC, t DESC LIMIT 100""",
        "org_sessions": f"""SELECT `$group_0` AS org, uniqExactIf(`$session_id`, {sig}) AS hit,
  uniqExact(`$session_id`)
FROM {db}.events WHERE {window} AND `$session_id` != ''
  AND `$group_0` IN (SELECT `$group_0` FROM {db}.events WHERE {sig} AND {window})
GROUP BY org ORDER BY hit DESC, org LIMIT 50""",
        "property_filter": f"""SELECT count() FROM {db}.events
WHERE JSONExtractString(properties, '$pathname') = '/billing' AND {window}""",
        "property_breakdown": f"""SELECT JSONExtractString(properties, '$os_version') AS v,
  count() AS n
FROM {db}.events WHERE {window} GROUP BY v ORDER BY n DESC, v LIMIT 20""",
        "person_property": f"""SELECT count() FROM {db}.events
WHERE JSONExtractString(person_properties, 'email') LIKE '%@northwindhealth.com'""",
        "groups_join": f"""SELECT JSONExtractString(g.properties, 'plan') AS plan, count() AS n
FROM {db}.events AS e JOIN {db}.groups AS g ON g.key = e.`$group_0`
WHERE g.index = 0 AND JSONExtractString(g.properties, 'plan') != 'free' AND {window}
GROUP BY plan ORDER BY n DESC, plan""",
    }


def extra_queries(since: datetime, until: datetime) -> dict[str, str]:
    """HogQL queries that read JSON properties (the impact queries mostly read columns)."""
    window = f"timestamp >= toDateTime('{_ts(since)}') AND timestamp < toDateTime('{_ts(until)}')"
    return {
        "property_filter": (
            f"SELECT count() FROM events WHERE properties.$pathname = '/billing' AND {window}"
        ),
        "property_breakdown": (
            "SELECT properties.$os_version AS v, count() AS n FROM events "
            f"WHERE {window} GROUP BY v ORDER BY n DESC, v LIMIT 20"
        ),
        "person_property": (
            "SELECT count() FROM events WHERE person.properties.email LIKE '%@northwindhealth.com'"
        ),
        "groups_join": (
            "SELECT g.properties.plan AS plan, count() AS n FROM events e "
            "JOIN groups g ON g.key = e.$group_0 "
            f"WHERE g.index = 0 AND g.properties.plan != 'free' AND {window} "
            "GROUP BY plan ORDER BY n DESC, plan"
        ),
    }


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


FIRST_CALL = """
import json, sys, time
started = time.perf_counter()
import anyio
from posthog_escalation.config import Settings
from posthog_escalation.tools.hogql import impact_summary, open_backend
imported, cpu = time.perf_counter(), time.process_time()
import chdb.session  # what the first open would load: chDB's library
loaded = time.perf_counter()
settings = Settings(data_dir=sys.argv[2], backend="local", _env_file=None)
backend = open_backend(settings, world=sys.argv[1])
opened = time.perf_counter()
anyio.run(lambda: impact_summary(backend, sys.argv[3]))
first, first_cpu = time.perf_counter(), time.process_time()
anyio.run(lambda: impact_summary(backend, sys.argv[3]))
second = time.perf_counter()
print(json.dumps({"import": imported - started, "chdb": loaded - imported,
                  "open": opened - loaded, "first": first - opened,
                  "second": second - first, "cpu": first_cpu - cpu}))
"""


def first_calls(spec_file: Path, home: Path, runs: int) -> dict[str, list[float]]:
    """Times of fresh processes: import, open the world, first and second summary."""
    times: dict[str, list[float]] = {
        "import": [],
        "chdb": [],
        "open": [],
        "first": [],
        "second": [],
        "cpu": [],
    }
    here = Path(__file__).resolve().parent
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CALL, str(spec_file), str(home), SIGNATURE],
            capture_output=True,
            check=True,
            cwd=here,
            text=True,
        ).stdout
        for key, value in json.loads(out).items():
            times[key].append(value)
    return times


def bench_size(label: str, target: int, home: Path, runs: int, reuse: bool) -> None:
    data = yaml.safe_load(packaged_world("demo").read_text(encoding="utf-8"))
    data["name"] = f"bench-{label}"
    data["scale"] = round(target / DEMO_EVENTS, 3)
    spec = parse_world_spec(data, source=f"bench {label}")
    spec_file = home / f"bench-{label}.yaml"
    home.mkdir(parents=True, exist_ok=True)
    spec_file.write_text(yaml.safe_dump(data), encoding="utf-8")

    started = time.perf_counter()
    info = build_world(spec, home=home, force=not reuse)
    wall = time.perf_counter() - started
    backend = LocalHogQL.open(spec, home=home)
    print(f"\n== {label}: {info.totals.events:,} events, {info.totals.persons:,} persons ==")
    if info.reused:
        print("build: reused (run without --reuse to time the build)")
    else:
        print(f"build: {info.build_seconds:.1f} s (wall {wall:.1f} s)")

    raw = Session(CONNECTION)
    raw.query("SET output_format_json_quote_64bit_integers = 0", "CSV")
    raw.query("SET date_time_output_format = 'iso'", "CSV")
    since, until = spec.now - (spec.now - spec.start) / 1.5, spec.now
    queries = {**impact_queries(SIGNATURE, since, until), **extra_queries(since, until)}
    hand = hand_written(f"`{info.database}`", since, until)
    print(
        "p50 per query (3x the runs for queries under 50 ms); wall = elapsed time, cpu = CPU "
        "time of all the process's threads (steadier than wall time on a shared machine)"
    )
    print(
        f"{'query':<19} {'ours warm':>10} {'ours cold':>10} {'our SQL':>10} {'hand':>10} "
        f"{'warm/hand':>10} {'cold/hand':>10} {'cpu warm/hand':>14} {'cpu cold/hand':>14}"
    )
    ratios: dict[str, list[float]] = {"warm": [], "cold": [], "cpu warm": [], "cpu cold": []}
    for name, hogql in queries.items():
        sql = translate(hogql, database=info.database, now=spec.now).clickhouse
        variants: dict[str, Callable[[], object]] = {
            "warm": lambda h=hogql: backend.query_sync(h),
            "cold": lambda h=hogql: (translate.cache_clear(), backend.query_sync(h)),
            "raw": lambda s=sql: raw.query(s, "JSONCompact"),
        }
        if name in hand:
            variants["hand"] = lambda s=hand[name]: raw.query(s, "JSONCompact")
        wall: dict[str, list[float]] = {key: [] for key in variants}
        cpu: dict[str, list[float]] = {key: [] for key in variants}
        for call in variants.values():
            call()
        quick = timed(variants["warm"]) < 0.05  # short queries need more runs to be steady
        for _ in range(runs * 3 if quick else runs):
            order = list(variants)
            random.shuffle(order)
            for key in order:
                started_cpu, started = time.process_time(), time.perf_counter()
                variants[key]()
                wall[key].append(time.perf_counter() - started)
                cpu[key].append(time.process_time() - started_cpu)
        p50 = {key: statistics.median(values) for key, values in wall.items()}
        c50 = {key: statistics.median(values) for key, values in cpu.items()}
        cells = [f"{p50[key] * 1000:>7.1f} ms" for key in ("warm", "cold", "raw")]
        if "hand" in p50:
            found = {
                "warm": p50["warm"] / p50["hand"],
                "cold": p50["cold"] / p50["hand"],
                "cpu warm": c50["warm"] / c50["hand"],
                "cpu cold": c50["cold"] / c50["hand"],
            }
            for key, value in found.items():
                ratios[key].append(value)
            cells.append(f"{p50['hand'] * 1000:>7.1f} ms")
            cells += [f"{found['warm']:>10.3f}", f"{found['cold']:>10.3f}"]
            cells += [f"{found['cpu warm']:>14.3f}", f"{found['cpu cold']:>14.3f}"]
        print(f"{name:<19} " + " ".join(cells))
    if ratios["warm"]:
        print(
            "ours/hand-written, max (median) over queries: "
            + ", ".join(
                f"{key} {max(values):.3f} ({statistics.median(values):.3f})"
                for key, values in ratios.items()
            )
        )

    walls = []
    for _ in range(runs):
        translate.cache_clear()
        started = time.perf_counter()
        summary = anyio.run(lambda: impact_summary(backend, SIGNATURE, now=spec.now))
        walls.append(time.perf_counter() - started)
    print(f"impact summary   {ms(walls)}  ({summary.affected_events:,} affected events)")

    print("translator alone (uncached):")
    for name, hogql in queries.items():
        times_t = []
        for _ in range(max(50, runs * 5)):
            translate.cache_clear()
            times_t.append(
                timed(lambda h=hogql: translate(h, database=info.database, now=spec.now))
            )
        print(f"  {name:<19} {ms(times_t)}")
    raw.close()

    first = first_calls(spec_file, home, max(3, runs // 5))
    median = {key: statistics.median(values) for key, values in first.items()}
    print(
        f"first call in a fresh process (median of {len(first['first'])}): "
        f"import the package {median['import']:.2f} s, load chDB's library "
        f"{median['chdb'] * 1000:.0f} ms, open the world {median['open'] * 1000:.0f} ms, "
        f"first impact summary {median['first'] * 1000:.0f} ms, "
        f"second {median['second'] * 1000:.0f} ms"
    )
    print(
        f"  open + first summary {median['open'] + median['first']:.2f} s; with chDB's library "
        f"{median['chdb'] + median['open'] + median['first']:.2f} s "
        f"(CPU of all the process's threads for these: {median['cpu']:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1m,10m", help="comma list of 1m, 10m")
    parser.add_argument("--runs", type=int, default=15, help="repetitions per measurement")
    parser.add_argument("--reuse", action="store_true", help="reuse worlds already built")
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(tempfile.gettempdir()) / "posthog-escalation-bench",
        help="world home (worlds/ inside)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"command: {' '.join(['benchmarks/bench_hogql.py', *sys.argv[1:]])}")
    for label in args.sizes.split(","):
        bench_size(label.strip(), SIZES[label.strip()], args.home, args.runs, args.reuse)


if __name__ == "__main__":
    main()
