"""Several clients at once: a running HTTP server and CLI commands on one data folder."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import anyio.abc
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from posthog_escalation.tools.hogql import LocalHogQL

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
CLI = str(Path(sys.executable).parent / "posthog-escalation")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_for_port(port: int, server: anyio.abc.Process, seconds: float) -> None:
    with anyio.fail_after(seconds):
        while True:
            if server.returncode is not None:
                raise AssertionError(f"the server exited with {server.returncode}")
            try:
                await (await anyio.connect_tcp("127.0.0.1", port)).aclose()
                return
            except OSError:
                await anyio.sleep(0.2)


@pytest.mark.slow
async def test_a_server_and_two_cli_commands_use_one_data_folder_at_once(
    tmp_path: Path, demo_world: LocalHogQL
) -> None:
    data = tmp_path / "data"
    folder = demo_world.world.ground_truth_path.parent
    shutil.copytree(folder, data / "worlds" / folder.name)  # the demo world, already built
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "POSTHOG_ESCALATION_BACKEND": "local",
        "POSTHOG_ESCALATION_DATA_DIR": str(data),
    }
    port = free_port()
    server = await anyio.open_process(
        [CLI, "serve", "--http", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    truth = demo_world.ground_truth()
    try:
        await wait_for_port(port, server, 120)
        async with (
            httpx2.AsyncClient(timeout=120) as http,
            Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as mcp,
        ):
            query = {"query": "SELECT count() FROM events"}
            first = await mcp.call_tool("hogql_query", query)
            assert not first.is_error, first.content
            assert first.structured_content["results"] == [[truth.totals.events]]

            commands = {
                "hogql": [CLI, "hogql", "SELECT count() FROM events", "--json"],
                "impact": [CLI, "impact", SIGNATURE, "--since", "-30d", "--json"],
            }
            done: dict[str, subprocess.CompletedProcess[bytes]] = {}
            answers = []

            async def run(name: str) -> None:
                done[name] = await anyio.run_process(
                    commands[name], env=env, cwd=tmp_path, check=False
                )

            async with anyio.create_task_group() as group:
                for name in commands:
                    group.start_soon(run, name)
                while len(done) < len(commands):
                    answers.append(await mcp.call_tool("hogql_query", query))
                    await anyio.sleep(0.2)
            last = await mcp.call_tool("hogql_query", query)
    finally:
        server.terminate()
        with anyio.fail_after(60):
            await server.wait()

    for name, result in done.items():
        assert result.returncode == 0, f"{name}: {result.stderr.decode()[-2000:]}"
    hogql = json.loads(done["hogql"].stdout)
    impact = json.loads(done["impact"].stdout)
    assert hogql["results"] == [[truth.totals.events]]
    incident = truth.incidents["replay-safari-regression"]
    assert impact["affected_events"] == incident.events
    assert answers and all(not a.is_error for a in [*answers, last])
    assert all(a.structured_content["results"] == [[truth.totals.events]] for a in answers)
