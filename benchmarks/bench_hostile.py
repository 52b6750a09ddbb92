"""The hostile set: every attack of the security pass, tried, and whether it held.

Run: ``.venv/bin/python benchmarks/bench_hostile.py [--only CATEGORY,...]``.
Prints ``tried / held`` per category and one line per probe that did not hold; exits 1
when any did not hold.

Categories:

- **hogql-cli**, **hogql-mcp**: queries that reach outside the event tables (``IN
  system.one``, host-revealing functions, tables in JOINs, subqueries, CTEs and ARRAY
  JOIN), a 3,000-deep expression, unbounded output and a negative ``--limit`` — through
  the CLI and through the MCP server over stdio. Held: refused with one clear line (the
  CLI exits 2; the tool answers an error that says why), nothing of the host leaks, and
  output stays bounded.
- **http**: the MCP server over streamable HTTP: a lower-case ``bearer`` scheme, a
  3.5 MB string argument, one client's big call not freezing another's, evidence ids that
  never collide across clients, ``serve --http --port 99999``.
- **redaction-public**, **redaction-internal**: the secret and personal-data shapes of
  ``data/hostile_shapes.yaml`` (one a line, at least 60). Public: each, quoted in a
  sentence, is redacted by the public copy's redactor (and personal data is absent from
  a real run's public file). Internal: a real ``run`` on a ticket holding every shape
  writes no credential to any output file, stdout, stderr, ``list``, ``show`` or the
  SQLite files.
- **parsing**: YAML alias bombs, deep nesting (YAML and JSON) in every command that loads
  a document; ``show`` of an id too large for SQLite; ``--out`` naming a file; a ticket
  body that is one shape repeated to the reading limit, read and escalated offline (with
  both renders) in under 2 s each.
- **filing**: a marker planted by someone else, markers anyone can compute, two filings
  at once, a token whose identity cannot be read (against the test suite's fake GitHub).
- **paths**: ticket ids that try to choose where files go.

Every probe is one line of data in the tables below: adding one is adding a line. CLI
probes run the installed ``posthog-escalation`` as a subprocess (so a traceback or a
hang is seen as a user would see it) with a time limit, against a temporary data folder
that holds the demo world.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the suite's fake GitHub

from machine import machine  # noqa: E402

EXAMPLES = ROOT / "src" / "posthog_escalation" / "examples"
DEMO = EXAMPLES / "demo_request.yaml"
EXAMPLE_ESCALATION = EXAMPLES / "escalation.yaml"
CLI = str(Path(sys.executable).parent / "posthog-escalation")
PROBE_TIMEOUT = 120.0
TOKEN = "mcp-hostile-token-4b7d9e2a1c"


@dataclass
class Result:
    category: str
    probe: str
    held: bool
    detail: str = ""


@dataclass
class Bench:
    work: Path
    data: Path
    results: list[Result] = field(default_factory=list)

    def record(self, category: str, probe: str, held: bool, detail: str = "") -> None:
        detail = " ".join(detail.split())[:160]
        self.results.append(Result(category, probe, held, detail))
        mark = "held" if held else "NOT HELD"
        print(f"  [{mark:8}] {category:<20} {probe}" + (f" — {detail}" if not held else ""))


# -- running the CLI -------------------------------------------------------------------------


@dataclass
class Ran:
    code: int | None
    out: str
    err: str
    seconds: float


def cli(bench: Bench, *args: str, cwd: Path | None = None, timeout: float = PROBE_TIMEOUT) -> Ran:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(bench.work),
        "POSTHOG_ESCALATION_BACKEND": "local",
        "POSTHOG_ESCALATION_DATA_DIR": str(bench.data),
    }
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [CLI, *args],
            cwd=cwd or bench.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return Ran(None, out[:2000], f"timed out after {timeout:.0f} s", timeout)
    return Ran(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)


def one_clear_line(ran: Ran) -> tuple[bool, str]:
    """Exit 2, exactly one ``error:`` line on stderr, no traceback."""
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    held = ran.code == 2 and len(errors) == 1 and "Traceback" not in ran.err
    detail = f"exit {ran.code}; stderr: {(ran.err.strip().splitlines() or [''])[-1][:160]}"
    return held, detail


# -- hostile documents -------------------------------------------------------------------------


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\nticket: {id: T1, subject: *a9}\n"


DOCUMENTS: dict[str, Callable[[], str]] = {
    "bomb.yaml": alias_bomb,
    "deep.yaml": lambda: "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "deep.json": lambda: "[" * 3000 + "]" * 3000,
}
# Every command that loads a ticket, case or world spec; {doc} is the hostile file.
LOADERS: list[tuple[str, list[str]]] = [
    ("run", ["run", "{doc}", "--offline", "--no-store"]),
    ("lint", ["lint", "{doc}"]),
    ("render --request", ["render", str(EXAMPLE_ESCALATION), "--request", "{doc}"]),
    ("issues match", ["issues", "match", "{doc}"]),
    ("world build", ["world", "build", "{doc}"]),
    ("world truth", ["world", "truth", "{doc}"]),
]


def parsing_probes(bench: Bench) -> None:
    for name, make in DOCUMENTS.items():
        path = bench.work / name
        path.write_text(make())
        for label, argv in LOADERS:
            ran = cli(bench, *[str(path) if a == "{doc}" else a for a in argv], timeout=60)
            bench.record("parsing", f"{label} {name}", *one_clear_line(ran))
    ran = cli(bench, "show", "ESC-99999999999999999999999")
    bench.record("parsing", "show ESC-99999999999999999999999", *one_clear_line(ran))
    taken = bench.work / "taken.txt"
    taken.write_text("a file")
    ran = cli(bench, "run", str(DEMO), "--offline", "--no-store", "--out", str(taken))
    bench.record("parsing", "run --out <an existing file>", *one_clear_line(ran))
    long_run_probes(bench)


# A ticket body that is one shape repeated to the reading limit: a pattern tried from every
# position of such a run would cost quadratic time.
LONG_RUNS = {
    "digits": "1" * 20_000,
    "one word": "a" * 20_000,
    "dotted name": "a." * 10_000,
    "snake case": "a_" * 10_000,
    "dollar names": "$a" * 10_000,
    "Error repeated": "Error" * 4_000,
    "version dots": "1." * 10_000,
    "hex": "0x1f" * 5_000,
    "hyphenated": "a-" * 10_000,
    "constant names": "ABC_" * 5_000,
}
LONG_RUN_SECONDS = 2.0


def long_run_probes(bench: Bench) -> None:
    """Read, and escalate offline (searches, gate and both renders included), a ticket of
    each shape; each must finish in :data:`LONG_RUN_SECONDS`."""
    import anyio

    from posthog_escalation.backends import Backends
    from posthog_escalation.config import Settings
    from posthog_escalation.models import EscalationRequest, Ticket
    from posthog_escalation.pipeline import escalate
    from posthog_escalation.render import render_markdown
    from posthog_escalation.tools.docs import open_folder_index, shipped_docs_dir
    from posthog_escalation.tools.incidents import StaticIncidents
    from posthog_escalation.tools.issues import LocalIssues
    from posthog_escalation.understanding import extract_signals

    settings = Settings(backend="local", data_dir=bench.work / "long-runs")
    backends = Backends(
        hogql=None,
        docs=open_folder_index(shipped_docs_dir(), bench.work / "long-runs-docs"),
        issues=LocalIssues(records=[]),
        incidents=StaticIncidents([]),
    )

    async def whole(ticket: Ticket) -> None:
        request = EscalationRequest(ticket=ticket)
        outcome = await escalate(request, settings=settings, backends=backends, drafter="offline")
        if outcome.escalation is not None:
            render_markdown(outcome.escalation)
            render_markdown(outcome.escalation, "public")

    anyio.run(whole, Ticket(id="warm", subject="warm up", body="warm up"))
    for name, body in LONG_RUNS.items():
        ticket = Ticket(id="long", subject=body[:200], body=body)
        started = time.perf_counter()
        extract_signals(ticket)
        seconds = time.perf_counter() - started
        bench.record(
            "parsing",
            f"reading a ticket of one repeated shape ({name})",
            seconds < LONG_RUN_SECONDS,
            f"{seconds:.2f} s",
        )
        started = time.perf_counter()
        anyio.run(whole, ticket)
        seconds = time.perf_counter() - started
        bench.record(
            "parsing",
            f"escalating a ticket of one repeated shape ({name})",
            seconds < LONG_RUN_SECONDS,
            f"{seconds:.2f} s",
        )


# -- HogQL: CLI and MCP ------------------------------------------------------------------------

DEEP_EXPRESSION = "SELECT " + "(" * 3000 + "1" + ")" * 3000
# name, query: each must be refused (it reads outside the event tables or the host).
HOGQL_REFUSED: list[tuple[str, str]] = [
    ("IN system.one", "SELECT count() FROM events WHERE 0 IN system.one"),
    ("IN nosuchdb.x", "SELECT count() FROM events WHERE 0 IN nosuchdb.x"),
    ("JOIN system table", "SELECT count() FROM events e JOIN system.one o ON 1 = 1"),
    ("subquery on system", "SELECT * FROM (SELECT * FROM system.tables) LIMIT 1"),
    ("CTE on system", "WITH t AS (SELECT * FROM system.databases) SELECT * FROM t"),
    ("ARRAY JOIN system", "SELECT x FROM events ARRAY JOIN (SELECT [1] FROM system.one) AS x"),
    ("fullHostName()", "SELECT fullHostName()"),
    ("user()", "SELECT user()"),
    ("current_user()", "SELECT current_user()"),
    ("currentDatabase()", "SELECT currentDatabase()"),
    ("initial_query_id()", "SELECT initial_query_id()"),
    ("currentQueryID()", "SELECT currentQueryID()"),
    ("getServerSetting('path')", "SELECT getServerSetting('path')"),
    ("3,000-deep expression", DEEP_EXPRESSION),
]
BIG_OUTPUT = "SELECT * FROM events LIMIT 10000000"
MAX_CLI_OUTPUT = 5_000_000


# An engine error instead of a refusal tells the caller what exists ("IN nosuchdb.x").
ENGINE_ERROR = re.compile(
    r"(?i)doesn't exist|does not exist|unknown_(?:database|table)|DB::Exception|Code: \d+"
)


def _leaks_host(text: str, bench: Bench) -> bool:
    return socket.gethostname() in text or str(bench.data.resolve()) in text


def _refusal(held: bool, detail: str, text: str, bench: Bench) -> tuple[bool, str]:
    if _leaks_host(text, bench):
        return False, "the answer names the host or the data folder"
    if ENGINE_ERROR.search(text):
        return False, "an engine error, not a refusal: " + ENGINE_ERROR.search(text).group(0)
    return held, detail


def hogql_cli_probes(bench: Bench) -> None:
    for name, query in HOGQL_REFUSED:
        ran = cli(bench, "hogql", query, timeout=60)
        held, detail = _refusal(*one_clear_line(ran), ran.out + ran.err, bench)
        bench.record("hogql-cli", name, held, detail)
    ran = cli(bench, "hogql", "SELECT 1", "--limit", "-5")
    bench.record("hogql-cli", "--limit -5", *one_clear_line(ran))
    ran = cli(bench, "hogql", BIG_OUTPUT, timeout=90)
    bounded = ran.code is not None and len(ran.out) <= MAX_CLI_OUTPUT
    bench.record(
        "hogql-cli",
        "LIMIT 10000000 stays bounded",
        bounded and "Traceback" not in ran.err,
        f"exit {ran.code}, {len(ran.out):,} chars of output in {ran.seconds:.0f} s",
    )


_BARE_PREFIX = re.compile(r"^\s*Error executing tool \w+:?\s*")


def _tool_error_is_clear(result: Any) -> tuple[bool, str]:
    """An error that says why, not only "Error executing tool hogql_query"."""
    text = " ".join(getattr(c, "text", "") for c in result.content)
    reason = _BARE_PREFIX.sub("", text)
    return bool(result.is_error) and len(reason) > 10, text[:160]


async def _mcp_stdio(bench: Bench, calls: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    from mcp import Client, StdioServerParameters

    log = bench.work / "mcp-stdio.log"  # the server's stderr, kept out of the report
    params = StdioServerParameters(
        command="/bin/sh",
        args=["-c", f'exec "{CLI}" --data-dir "{bench.data}" serve 2>>"{log}"'],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(bench.work)},
        cwd=str(bench.work),
    )
    answers = []
    async with Client(params, read_timeout_seconds=240) as client:
        for _name, tool, arguments in calls:
            try:
                answers.append(await client.call_tool(tool, arguments))
            except Exception as exc:  # a transport failure is an answer too
                answers.append(exc)
    return answers


def hogql_mcp_probes(bench: Bench) -> None:
    calls = [(name, "hogql_query", {"query": query}) for name, query in HOGQL_REFUSED]
    calls.append(("LIMIT 10000000 stays bounded", "hogql_query", {"query": BIG_OUTPUT}))
    answers = asyncio.run(_mcp_stdio(bench, calls))
    for (name, _tool, _args), answer in zip(calls, answers, strict=True):
        if isinstance(answer, Exception):
            bench.record("hogql-mcp", name, False, f"{type(answer).__name__}: {answer}"[:160])
            continue
        text = " ".join(getattr(c, "text", "") for c in answer.content)
        if name.startswith("LIMIT"):
            size = len(text) + len(json.dumps(answer.structured_content or {}))
            bench.record("hogql-mcp", name, size <= MAX_CLI_OUTPUT, f"{size:,} chars")
            continue
        everything = text + json.dumps(answer.structured_content or {})
        held, detail = _refusal(*_tool_error_is_clear(answer), everything, bench)
        bench.record("hogql-mcp", name, held, detail)


# -- HTTP --------------------------------------------------------------------------------------

BIG_ARGUMENT = "x" * 3_500_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _http_checks(bench: Bench, url: str) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "hostile", "version": "1"},
        },
    }
    accept = {"accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=60) as http:
        lower = await http.post(
            url, json=initialize, headers=accept | {"authorization": f"bearer {TOKEN}"}
        )
    bench.record(
        "http", "lower-case 'bearer' scheme", lower.status_code == 200, str(lower.status_code)
    )

    def client(http: Any) -> Any:
        return Client(streamable_http_client(url, http_client=http))

    auth = {"authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(headers=auth, timeout=120) as one, client(one) as first:
        start = time.perf_counter()
        try:
            big = await first.call_tool("github_issue_search", {"query": BIG_ARGUMENT})
            refused = bool(big.is_error)
        except Exception:
            refused = True
        seconds = time.perf_counter() - start
        bench.record(
            "http", "3.5 MB string argument refused", refused and seconds < 5, f"{seconds:.1f} s"
        )
        ids = []
        for _ in range(3):
            answer = await first.call_tool("docs_search", {"query": "session replay safari"})
            ids.append((answer.structured_content or {}).get("evidence_id"))
    async with (
        httpx2.AsyncClient(headers=auth, timeout=120) as two,
        client(two) as second,
        httpx2.AsyncClient(headers=auth, timeout=120) as three,
        client(three) as third,
    ):
        answer = await second.call_tool("docs_search", {"query": "session replay safari"})
        fresh = (answer.structured_content or {}).get("evidence_id")
        # The SDK client speaks the stateless protocol (2026-07-28): there is no session to
        # number within, so ids come from one counter and no log is kept. A handshake
        # session numbering from E1 and released on close is tests/server/test_sessions.py.
        bench.record(
            "http",
            "evidence ids never collide across clients",
            fresh is not None and fresh not in ids and len(set(ids)) == len(ids),
            f"first client {ids}, another client gets {fresh}",
        )

        async def heavy() -> None:
            try:
                await second.call_tool("github_issue_search", {"query": "y " * 1_700_000})
            except Exception:
                return

        async def light() -> float:
            await asyncio.sleep(0.2)
            start = time.perf_counter()
            await third.call_tool("list_followups", {})
            return time.perf_counter() - start

        _, waited = await asyncio.gather(heavy(), light())
        bench.record(
            "http",
            "one client's big call does not freeze another",
            waited < 1.0,
            f"list_followups took {waited:.2f} s",
        )


def http_probes(bench: Bench) -> None:
    ran = cli(bench, "serve", "--http", "--port", "99999", timeout=60)
    bench.record("http", "serve --http --port 99999", *one_clear_line(ran))
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(bench.work),
        "POSTHOG_ESCALATION_MCP_TOKEN": TOKEN,
    }
    server = subprocess.Popen(
        [CLI, "--data-dir", str(bench.data), "serve", "--http", "--port", str(port)],
        cwd=bench.work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        if server.poll() is not None:
            bench.record("http", "server starts", False, (server.stderr.read() or "")[-160:])
            return
        try:
            asyncio.run(_http_checks(bench, f"http://127.0.0.1:{port}/mcp"))
        except Exception as exc:
            bench.record("http", "HTTP session", False, f"{type(exc).__name__}: {exc}"[:160])
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


# -- redaction -------------------------------------------------------------------------------

SHAPES_FILE = Path(__file__).resolve().parent / "data" / "hostile_shapes.yaml"


def shapes() -> list[tuple[str, str, str, str]]:
    """``(kind, name, text, needle)`` per line of ``data/hostile_shapes.yaml``: kind
    ``secret`` must be in no output, ``personal`` in no public copy; ``needle`` is the part
    of ``text`` that must not survive."""
    import yaml

    return [tuple(row) for row in yaml.safe_load(SHAPES_FILE.read_text(encoding="utf-8"))]


def _ticket() -> Any:
    from posthog_escalation.models import Customer, Message, Ticket

    return Ticket(
        id="ZD-1",
        subject="Blank recordings",
        customer=Customer(
            org_name="Northwind Health", org_id="org_8f3k2", contacts=["Dana Whitfield"]
        ),
        messages=[Message(author_role="support", author_name="Sam Okafor", text="Looking.")],
    )


def redaction_public_probes(bench: Bench) -> None:
    from posthog_escalation.redact import Redactor

    for kind, name, text, needle in shapes():
        output = Redactor.for_ticket(_ticket())(f"The customer wrote: {text}\nNext line.")
        bench.record("redaction-public", f"{kind}: {name}", needle not in output, output[:160])


def _hostile_request() -> dict[str, Any]:
    import yaml

    request = yaml.safe_load(DEMO.read_text())
    secrets = [text for kind, _, text, _ in shapes() if kind == "secret"]
    personal = [text for kind, _, text, _ in shapes() if kind == "personal"]
    ticket = request["ticket"]
    ticket["subject"] += f" (key {secrets[19]})"
    ticket["body"] += "\n" + "\n".join(f"- {t}" for t in secrets + personal) + "\n"
    ticket.setdefault("messages", []).append(
        {"author_role": "support", "author_name": "Sam", "text": secrets[27]}
    )
    triage = request["triage"]
    triage["summary"] = f"{triage.get('summary', '')} {secrets[23]}"
    triage["findings"] = [*triage.get("findings", []), secrets[26]]
    return request


def redaction_internal_probes(bench: Bench) -> None:
    path = bench.work / "hostile-request.json"
    path.write_text(json.dumps(_hostile_request(), default=str))
    out = bench.work / "hostile-out"
    ran = cli(bench, "run", str(path), "--offline", "--out", str(out))
    if ran.code not in (0, 1):
        bench.record("redaction-internal", "run on the hostile ticket", False, ran.err[-160:])
        return
    listed = [cli(bench, *args) for args in (["list"], ["list", "--json"], ["show", "ESC-1"])]
    shown = cli(bench, "show", "ESC-1", "--json")
    outputs = {p.name: p.read_text() for p in out.iterdir()}
    outputs["stdout"] = ran.out + "".join(r.out for r in [*listed, shown])
    outputs["stderr"] = ran.err + "".join(r.err for r in [*listed, shown])
    raw = b"".join(
        p.read_bytes() for p in bench.data.iterdir() if p.name.startswith("escalations.db")
    )
    outputs["SQLite files"] = raw.decode("utf-8", "replace")
    public = outputs.get("escalation.public.md", "")
    for kind, name, _text, needle in shapes():
        if kind == "secret":
            found = [where for where, text in outputs.items() if needle in text]
            bench.record("redaction-internal", f"secret: {name}", not found, f"in {found}")
        else:
            bench.record(
                "redaction-public", f"run's public file: {name}", needle not in public, "leaked"
            )


# -- filing ------------------------------------------------------------------------------------


def filing_probes(bench: Bench) -> None:
    import anyio
    import httpx2
    from tenacity import wait_none

    from fake_github import FakeGitHub
    from posthog_escalation.filing import file_escalation, marker, plan_for_stored
    from posthog_escalation.loading import load_model
    from posthog_escalation.models import Escalation
    from posthog_escalation.store import EscalationStore, store_escalation

    token = "ghp_HostileBenchT0kenNeverLogged0123456789"
    escalation = load_model(EXAMPLE_ESCALATION, Escalation)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)

    def fresh(name: str) -> tuple[Path, FakeGitHub]:
        folder = bench.work / "filing" / name
        with EscalationStore.in_data_dir(folder) as store:
            store_escalation(store, escalation, ticket=_ticket_for(escalation), now=now)
        return folder / "escalations.db", FakeGitHub(token)

    def send(path: Path, github: FakeGitHub) -> Any:
        async def go() -> Any:
            transport = httpx2.MockTransport(github.handler)
            with EscalationStore(path) as store:
                async with httpx2.AsyncClient(transport=transport) as client:
                    plan = plan_for_stored(store.get("ESC-1"))
                    return await file_escalation(
                        plan,
                        store=store,
                        escalation_id="ESC-1",
                        token=token,
                        client=client,
                        wait=wait_none(),
                        claim_wait=30,
                    )

        try:
            return anyio.run(go)
        except Exception as exc:
            return exc

    def planted_key(path: Path) -> str:
        with EscalationStore(path) as store:
            return store.get("ESC-1").idempotency_key

    path, github = fresh("squat-exact")
    github.plant("copied\n" + marker(planted_key(path)), author="mallory")
    result = send(path, github)
    bench.record(
        "filing",
        "our exact marker in an issue by someone else",
        getattr(result, "outcome", None) == "created",
        repr(result)[:160],
    )

    path, github = fresh("squat-range")
    unkeyed = [
        marker("pe-" + hashlib.sha256(f"posthog-escalation:{t}".encode()).hexdigest()[:20])
        for t in [escalation.ticket_id, *(f"ZD-{n}" for n in range(48000, 48500))]
    ]
    github.plant("\n".join(unkeyed), author="mallory")
    github.plant(unkeyed[0], author=github.login)
    result = send(path, github)
    bench.record(
        "filing",
        "markers anyone can compute, for a range of tickets",
        getattr(result, "outcome", None) == "created",
        repr(result)[:160],
    )

    path, github = fresh("concurrent")
    github.create_delay = 0.4
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(send(path, github))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    bench.record(
        "filing",
        "two filings of one escalation at once",
        len(github.creates) == 1,
        f"{len(github.creates)} issues created: {[getattr(r, 'outcome', r) for r in results]}",
    )

    path, github = fresh("identity")
    github.user_status = 403
    result = send(path, github)
    bench.record(
        "filing",
        "a token whose identity cannot be read files nothing",
        not github.creates and isinstance(result, Exception),
        repr(result)[:160],
    )


def _ticket_for(escalation: Any) -> Any:
    return _ticket().model_copy(update={"id": escalation.ticket_id})


# -- paths -------------------------------------------------------------------------------------

HOSTILE_IDS = [
    "../../escaped",
    "..",
    ".",
    "a/../../b",
    "{absolute}",
    "~/home-escape",
    "x\\..\\..\\y",
]


def path_probes(bench: Bench) -> None:
    import yaml

    for ticket_id in HOSTILE_IDS:
        cwd = bench.work / "paths" / f"case-{abs(hash(ticket_id))}" / "cwd"
        cwd.mkdir(parents=True)
        real_id = str(cwd.parent / "absolute-target") if ticket_id == "{absolute}" else ticket_id
        request = yaml.safe_load(DEMO.read_text())
        request["ticket"]["id"] = real_id
        path = cwd.parent / "request.yaml"
        path.write_text(yaml.safe_dump(request))
        before = set(bench.work.rglob("escalation.md"))
        ran = cli(bench, "run", str(path), "--offline", "--no-store", cwd=cwd)
        written = sorted(set(bench.work.rglob("escalation.md")) - before)
        inside = [p for p in written if p.parent.parent == cwd / "out"]
        held = ran.code == 0 and len(written) == 1 and inside == written
        bench.record("paths", f"ticket id {ticket_id!r}", held, f"exit {ran.code}, wrote {written}")


# -- the run -----------------------------------------------------------------------------------

CATEGORIES: dict[str, Callable[[Bench], None]] = {
    "parsing": parsing_probes,
    "paths": path_probes,
    "redaction": lambda b: (redaction_public_probes(b), redaction_internal_probes(b)),
    "filing": filing_probes,
    "hogql": lambda b: (hogql_cli_probes(b), hogql_mcp_probes(b)),
    "http": http_probes,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated: " + ", ".join(CATEGORIES))
    args = parser.parse_args()
    chosen = [c for c in args.only.split(",") if c] or list(CATEGORIES)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        work = Path(folder)
        bench = Bench(work=work, data=work / "data")
        print("building the demo world in a temporary data folder ...", flush=True)
        built = cli(bench, "world", "build", timeout=600)
        if built.code != 0:
            print(f"world build failed: {built.err[-400:]}")
            return 2
        started = time.perf_counter()
        for name in chosen:
            print(f"\n{name}:", flush=True)
            CATEGORIES[name](bench)
        seconds = time.perf_counter() - started
    categories = list(dict.fromkeys(r.category for r in bench.results))
    print(f"\n{'category':<20} {'tried':>6} {'held':>6}")
    for category in categories:
        rows = [r for r in bench.results if r.category == category]
        print(f"{category:<20} {len(rows):>6} {sum(r.held for r in rows):>6}")
    failed = [r for r in bench.results if not r.held]
    total = len(bench.results)
    print(f"{'all':<20} {total:>6} {total - len(failed):>6}   ({seconds:.0f} s)")
    if failed:
        print(f"\nNOT HELD ({len(failed)}):")
        for r in failed:
            print(f"  {r.category:<20} {r.probe} — {r.detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
