"""Wall time of the offline eval over every committed case, cold and warm.

For each concurrency (1 and 2) the eval runs in a fresh data folder (cold: every world
and the docs index are built) and then again in the same folder (warm: worlds reused from
the cache). Each run is its own process, as in CI (chDB opens one data folder per
process), so the figures include interpreter start-up. Printed per run: the whole
process, the run's own wall time (``run.json``), the seconds spent building or reopening
worlds and their share, and the worlds built vs reused.

    .venv/bin/python benchmarks/bench_evals.py [--warm-repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("posthog-escalation")


def run_once(data_dir: Path, runs_dir: Path, concurrency: int) -> dict[str, float]:
    """One eval process; its timings and what its run.json says."""
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(CLI),
            "--data-dir",
            str(data_dir),
            "eval",
            "--drafter",
            "offline",
            "--concurrency",
            str(concurrency),
            "--runs-dir",
            str(runs_dir),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    process = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"eval exited {done.returncode}")
    run = max(runs_dir.iterdir(), key=lambda p: p.stat().st_mtime)
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    worlds = meta["worlds"]
    return {
        "process": process,
        "wall": meta["wall_seconds"],
        "worlds": meta["world_seconds"],
        "built": sum(1 for w in worlds if not w["reused"]),
        "reused": sum(1 for w in worlds if w["reused"]),
        "cases": len(meta["cases"]),
    }


def row(label: str, figures: dict[str, float]) -> str:
    share = figures["worlds"] / figures["wall"] if figures["wall"] else 0.0
    return (
        f"{label:<28} {figures['process']:>8.2f} {figures['wall']:>8.2f} "
        f"{figures['worlds']:>8.2f} {share:>7.0%} {int(figures['built']):>6} "
        f"{int(figures['reused']):>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'run':<28} {'process':>8} {'wall':>8} {'worlds':>8} {'share':>7} {'built':>6} "
        f"{'reused':>7}"
    )
    print("-" * 80)
    summary: dict[int, tuple[float, float]] = {}
    for concurrency in (1, 2):
        with tempfile.TemporaryDirectory(prefix="bench-evals-") as tmp:
            data, runs = Path(tmp) / "data", Path(tmp) / "runs"
            cold = run_once(data, runs, concurrency)
            print(row(f"concurrency {concurrency}, cold", cold))
            warm = [run_once(data, runs, concurrency) for _ in range(args.warm_repeats)]
            for index, figures in enumerate(warm, start=1):
                print(row(f"concurrency {concurrency}, warm #{index}", figures))
            median = statistics.median(f["wall"] for f in warm)
            summary[concurrency] = (cold["wall"], median)
    print("-" * 80)
    cases = cold["cases"]
    for concurrency, (cold_wall, warm_wall) in summary.items():
        print(
            f"concurrency {concurrency}: {int(cases)} cases, cold {cold_wall:.2f} s, "
            f"warm median {warm_wall:.2f} s"
        )
    c1, c2 = summary[1][1], summary[2][1]
    print(f"warm speed-up from concurrency 2: {c1 / c2:.2f}x (baseline: concurrency 1)")


if __name__ == "__main__":
    main()
