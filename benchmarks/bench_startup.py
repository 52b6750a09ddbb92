"""Benchmark: how fast the doors open — the CLI, the MCP server and a cold run.

Each figure is measured against a baseline taken in the same run, in whole fresh
processes, rounds interleaved in a shuffled order so machine load hits every kind alike:

- ``posthog-escalation --help`` against ``python -c "import typer"`` (a bare interpreter
  plus typer; a bare ``python -c pass`` is printed too). Target: ≤ 2×.
- The MCP server, from spawning ``posthog-escalation serve`` to the answer of the first
  ``tools/list`` (after ``initialize``), against a minimal ``MCPServer`` from the same
  ``mcp`` package (one tool, stdio) measured the same way. Target: ≤ 1.5×.
- ``posthog-escalation run --offline`` on the demo ticket, cold: a fresh process, the
  demo world already built in the data folder. Target: ≤ 2 s on an idle machine.
- Warm ``escalate()`` on the demo (offline drafter, backends open): p50, by stage.
  Target: p50 ≤ 0.5 s.

Wall time and CPU time are both printed: CPU (user + system) of each child process, from
``getrusage(RUSAGE_CHILDREN)`` around it, or for the MCP servers from ``/proc/<pid>/stat``
at the moment the ``tools/list`` answer arrives (all its threads), which other jobs on a
shared machine disturb far less than wall time. The load average is printed with them.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs N] [--warm-runs N]``
(defaults 11 and 15). Everything lives in a temporary data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from machine import machine

ROOT = Path(__file__).resolve().parents[1]
REQUEST = ROOT / "src" / "posthog_escalation" / "examples" / "demo_request.yaml"
CLI = Path(sys.executable).with_name("posthog-escalation")
PYTHON = sys.executable
MINIMAL_SERVER = textwrap.dedent(
    """
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("minimal")


    @server.tool()
    def echo(text: str) -> str:
        \"\"\"Return the text.\"\"\"
        return text


    server.run("stdio")
    """
)
TICKS = os.sysconf("SC_CLK_TCK")

Sample = tuple[float, float]
"""(wall seconds, CPU seconds) of one process."""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(args: list[str], env: dict[str, str]) -> Sample:
    """Run ``args`` to completion; its wall and CPU time."""
    cpu = children_cpu()
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started, children_cpu() - cpu


def process_cpu(pid: int) -> float | None:
    """CPU seconds used so far by ``pid`` (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def _send(process: subprocess.Popen[bytes], message: dict[str, object]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(message).encode() + b"\n")
    process.stdin.flush()


def _reply(process: subprocess.Popen[bytes], request_id: int) -> dict[str, object]:
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the server closed its output before answering")
        message = json.loads(line)
        if message.get("id") == request_id:
            if "error" in message:
                raise RuntimeError(f"the server answered with an error: {message['error']}")
            return message


def mcp_first_list(args: list[str], env: dict[str, str]) -> tuple[Sample, int]:
    """Spawn an MCP stdio server; time until its first ``tools/list`` answer. Returns the
    sample and the number of tools listed."""
    cpu = children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        _send(
            process,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"},
                },
            },
        )
        _reply(process, 1)
        _send(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        answer = _reply(process, 2)
        wall = time.perf_counter() - started
        used = process_cpu(process.pid)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if used is None:
        used = children_cpu() - cpu
    tools = answer.get("result", {})
    count = len(tools.get("tools", [])) if isinstance(tools, dict) else 0
    return (wall, used), count


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min) / {five:.2f} (5 min)"


def median(samples: list[Sample], index: int) -> float:
    return statistics.median(sample[index] for sample in samples)


def line(label: str, samples: list[Sample]) -> str:
    wall = [s[0] for s in samples]
    return (
        f"  {label:<34} wall p50 {median(samples, 0) * 1000:7.0f} ms  "
        f"(min {min(wall) * 1000:6.0f})   CPU p50 {median(samples, 1) * 1000:7.0f} ms"
    )


def ratio(name: str, ours: list[Sample], base: list[Sample], target: float) -> str:
    wall = median(ours, 0) / median(base, 0)
    cpu = median(ours, 1) / median(base, 1)
    verdict = "met" if max(wall, cpu) <= target else ("met in CPU" if cpu <= target else "NOT met")
    return f"  {name:<34} wall {wall:5.2f}×   CPU {cpu:5.2f}×   target ≤ {target:g}×: {verdict}"


def warm_escalate(data_dir: Path, runs: int) -> None:
    import anyio

    from posthog_escalation.backends import open_backends
    from posthog_escalation.config import Settings
    from posthog_escalation.loading import load_model
    from posthog_escalation.models import EscalationRequest
    from posthog_escalation.pipeline import escalate

    settings = Settings(data_dir=data_dir, backend="local", _env_file=None)
    request = load_model(REQUEST, EscalationRequest)

    async def main() -> tuple[list[float], dict[str, list[float]]]:
        backends = open_backends(settings)
        totals: list[float] = []
        stages: dict[str, list[float]] = {}
        try:
            for index in range(runs + 1):
                started = time.perf_counter()
                outcome = await escalate(
                    request, settings=settings, backends=backends, drafter="offline"
                )
                took = time.perf_counter() - started
                assert outcome.passed_gate
                if index == 0:
                    continue
                totals.append(took)
                for stage, seconds in outcome.stage_seconds.items():
                    stages.setdefault(stage, []).append(seconds)
        finally:
            await backends.aclose()
        return totals, stages

    totals, stages = anyio.run(main)
    ordered = sorted(totals)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    p50 = statistics.median(totals)
    verdict = "met" if p50 <= 0.5 else "NOT met"
    print(f"\nwarm escalate() on the demo, {runs} runs after one warm-up (load {load()}):")
    print(
        f"  total p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms   target p50 ≤ 500 ms: {verdict}"
    )
    for stage, values in stages.items():
        print(f"  {stage:<18} p50 {statistics.median(values) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="processes of each kind")
    parser.add_argument("--warm-runs", type=int, default=15, help="warm escalate() runs")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"load average at the start: {load()}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        home = Path(tmp)
        data = home / "data"
        minimal = home / "minimal_server.py"
        minimal.write_text(MINIMAL_SERVER, encoding="utf-8")
        env = {
            **os.environ,
            "POSTHOG_ESCALATION_DATA_DIR": str(data),
            "POSTHOG_ESCALATION_BACKEND": "local",
        }
        for name in ("ANTHROPIC_API_KEY", "POSTHOG_API_KEY", "GITHUB_TOKEN"):
            env.pop(name, None)
        out = home / "out"
        run_args = [str(CLI), "run", str(REQUEST), "--offline", "--no-store", "--out", str(out)]
        started = time.perf_counter()
        subprocess.run(run_args, env=env, check=True, capture_output=True)
        print(
            f"first run (builds the demo world and the docs index): "
            f"{time.perf_counter() - started:.1f} s\n"
        )
        kinds: dict[str, Callable[[], Sample]] = {
            "python -c pass": lambda: timed_process([PYTHON, "-c", "pass"], env),
            'python -c "import typer"': lambda: timed_process([PYTHON, "-c", "import typer"], env),
            "posthog-escalation --help": lambda: timed_process([str(CLI), "--help"], env),
            "minimal MCPServer → tools/list": lambda: mcp_first_list([PYTHON, str(minimal)], env)[
                0
            ],
            "serve → tools/list": lambda: mcp_first_list([str(CLI), "serve"], env)[0],
            "run --offline (cold)": lambda: timed_process(run_args, env),
        }
        _, count = mcp_first_list([str(CLI), "serve"], env)
        samples: dict[str, list[Sample]] = {name: [] for name in kinds}
        rng = random.Random(16)
        for _ in range(args.runs):
            order = list(kinds)
            rng.shuffle(order)
            for name in order:
                samples[name].append(kinds[name]())
        print(f"{args.runs} processes of each kind, interleaved (load now {load()}):")
        for name, values in samples.items():
            print(line(name, values))
        print(f"  (the server listed {count} tools)")
        print("\nratios of medians, each against its baseline in this run:")
        print(
            ratio(
                "--help / import typer",
                samples["posthog-escalation --help"],
                samples['python -c "import typer"'],
                2.0,
            )
        )
        print(
            ratio(
                "serve / minimal MCPServer",
                samples["serve → tools/list"],
                samples["minimal MCPServer → tools/list"],
                1.5,
            )
        )
        cold = samples["run --offline (cold)"]
        verdict = "met" if median(cold, 0) <= 2.0 else "not met at this load"
        print(
            f"  run --offline cold                  wall {median(cold, 0):.2f} s, CPU "
            f"{median(cold, 1):.2f} s   target ≤ 2 s on an idle machine: {verdict}"
        )
        warm_escalate(data, args.warm_runs)
    print(f"\nload average at the end: {load()}")


if __name__ == "__main__":
    main()
