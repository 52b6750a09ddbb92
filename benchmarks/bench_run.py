"""End-to-end benchmark of the main job: ``run --offline`` cold and ``escalate()`` warm.

For the demo world (about 260k events) and the demo world scaled to about 1M events it
prints:

- cold: the median wall time of a whole ``posthog-escalation run --offline`` process on
  the demo ticket (world already built), next to two baselines measured in the same run:
  a bare ``python -c pass`` and a process that only imports the package;
- warm: the median of ``escalate()`` in one process with the backends open, split by
  stage (signals, evidence, draft, gate and render), and the median of the impact
  summary alone (the largest piece of the evidence stage) as a baseline.

Run: ``.venv/bin/python benchmarks/bench_run.py [--sizes demo,1m] [--runs N]``.
One chDB data folder per process: every size is a database in one temporary home.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import yaml

from machine import machine
from posthog_escalation.backends import open_backends
from posthog_escalation.config import Settings
from posthog_escalation.evidence import derive_signature
from posthog_escalation.loading import load_model
from posthog_escalation.models import EscalationRequest
from posthog_escalation.pipeline import escalate
from posthog_escalation.tools.hogql import impact_summary, packaged_world
from posthog_escalation.understanding import extract_signals

ROOT = Path(__file__).resolve().parents[1]
REQUEST = ROOT / "src" / "posthog_escalation" / "examples" / "demo_request.yaml"
CLI = Path(sys.executable).with_name("posthog-escalation")
DEMO_EVENTS = 259_267
SIZES = {"demo": None, "1m": 1_000_000}


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms"


def timed_process(args: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def world_spec(label: str, target: int | None, folder: Path) -> Path:
    if target is None:
        return packaged_world("demo")
    data = yaml.safe_load(packaged_world("demo").read_text(encoding="utf-8"))
    data["name"] = f"bench-run-{label}"
    data["scale"] = round(target / DEMO_EVENTS, 3)
    path = folder / f"{label}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def warm(settings: Settings, request: EscalationRequest, runs: int) -> None:
    backends = open_backends(settings)
    try:
        stages: dict[str, list[float]] = {}
        for _ in range(runs):
            outcome = await escalate(
                request, settings=settings, backends=backends, drafter="offline"
            )
            assert outcome.passed_gate
            for name, seconds in outcome.stage_seconds.items():
                stages.setdefault(name, []).append(seconds)
        signals = extract_signals(request.ticket, request.triage)
        derived = derive_signature(signals)
        assert derived is not None
        impact = []
        for _ in range(runs):
            started = time.perf_counter()
            await impact_summary(backends.hogql, derived[0])
            impact.append(time.perf_counter() - started)
    finally:
        await backends.aclose()
    print("warm escalate(), medians by stage:")
    for name, values in stages.items():
        print(f"  {name:<16}{median_ms(values)}")
    print(f"  {'impact alone':<16}{median_ms(impact)}  (baseline: the impact summary by itself)")


def cold_runs(label: str, target: int | None, home: Path, runs: int) -> Path:
    spec = world_spec(label, target, home)
    env = {
        **os.environ,
        "POSTHOG_ESCALATION_DATA_DIR": str(home),
        "POSTHOG_ESCALATION_WORLD": str(spec),
        "POSTHOG_ESCALATION_BACKEND": "local",
    }
    env.pop("ANTHROPIC_API_KEY", None)
    out = home / f"out-{label}"
    run_args = [str(CLI), "run", str(REQUEST), "--offline", "--no-store", "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(run_args, env=env, check=True, capture_output=True)
    first = time.perf_counter() - started
    print(f"\n== {label}: cold (first run, building the world if needed: {first:.1f} s) ==")
    cold = timed_process(run_args, env, runs)
    bare = timed_process([sys.executable, "-c", "pass"], env, runs)
    imports = timed_process(
        [sys.executable, "-c", "import posthog_escalation.cli, posthog_escalation.pipeline"],
        env,
        runs,
    )
    print(f"cold run --offline   {median_ms(cold)}")
    print(f"  baseline python    {median_ms(bare)}")
    print(f"  baseline imports   {median_ms(imports)}")
    own = statistics.median(cold) - statistics.median(imports)
    print(f"  run minus imports  {own * 1000:8.1f} ms")
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="demo,1m")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        home = Path(tmp)
        labels = args.sizes.split(",")
        # Subprocesses first: once this process opens the chDB folder, no other can.
        specs = {label: cold_runs(label, SIZES[label], home, args.runs) for label in labels}
        request = load_model(REQUEST, EscalationRequest)
        for label, spec in specs.items():
            print(f"\n== {label}: warm ==")
            settings = Settings(data_dir=home, world=spec, backend="local", _env_file=None)
            anyio.run(warm, settings, request, max(args.runs, 10))


if __name__ == "__main__":
    main()
