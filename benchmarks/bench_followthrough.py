"""Follow-through figures: redaction speed, store writes and the follow-up listing.

Run: ``.venv/bin/python benchmarks/bench_followthrough.py``. Prints medians and p95 with a
baseline measured in the same run (patterns-only redaction; a bare SQLite insert).

The demo section runs the bundled demo once (offline, on the embedded demo world, in a
temporary data folder) and times the public copy's redaction with the demo's real
redactor: the customer's names plus the other organizations its evidence names.

``--before FILE`` loads an older ``redact.py`` (e.g. ``git show <commit>:src/
posthog_escalation/redact.py > /tmp/redact_before.py``) and times it on the same text,
interleaved with the current one, so before and after are measured in the same run.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from machine import machine
from posthog_escalation.config import Settings
from posthog_escalation.followups import list_followups, record_update
from posthog_escalation.loading import load_model
from posthog_escalation.models import Customer, Escalation, EscalationRequest, Message, Ticket
from posthog_escalation.pipeline import escalate
from posthog_escalation.redact import Redactor, redact_text, redactor_for
from posthog_escalation.render import render_markdown
from posthog_escalation.store import EscalationStore, store_escalation

EXAMPLES = Path(__file__).resolve().parents[1] / "src/posthog_escalation/examples"
EXAMPLE = EXAMPLES / "escalation.yaml"

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def report(name: str, samples: list[float], unit: float = 1e3, label: str = "ms") -> float:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{name:<48} p50 {median * unit:8.3f} {label}   p95 {p95 * unit:8.3f} {label}")
    return median


def load_before(path: Path) -> types.ModuleType:
    """An older ``redact.py``, importable next to the current package."""
    source = path.read_text(encoding="utf-8").replace("from .", "from posthog_escalation.")
    module = types.ModuleType("redact_before")
    sys.modules[module.__name__] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def interleaved(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Each action timed ``repeat`` times, taking turns, so load hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            samples[name] += timed(action, 1)
    return samples


def demo_redaction(before: types.ModuleType | None) -> None:
    """The demo's public copy, redacted as ``escalate()`` redacts it."""
    request = load_model(EXAMPLES / "demo_request.yaml", EscalationRequest)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), backend="local", _env_file=None)
        outcome = anyio.run(lambda: escalate(request, settings=settings, drafter="offline"))
    escalation = outcome.escalation
    assert escalation is not None
    internal = outcome.markdown
    terms = list(dict.fromkeys(t for e in escalation.evidence for t in e.private_terms))

    def redactor(module: types.ModuleType | None = None) -> Redactor:
        make = module.redactor_for if module else redactor_for
        made = make(request.ticket, keep_project_ids=settings.keep_project_ids)
        made.orgs.extend(t for t in terms if t not in made.orgs)
        return made

    names = redactor()
    print(
        f"demo internal markdown: {len(internal)} characters; the redactor knows "
        f"{len(names.names)} people and {len(names.orgs)} organizations"
    )
    actions: dict[str, Callable[[], object]] = {
        "demo: redact_text (patterns only)": lambda: redact_text(internal),
        "demo: the demo's redactor (patterns + names)": lambda: redactor()(internal),
    }
    if before is not None:
        actions["demo, before: redact_text (patterns only)"] = lambda: before.redact_text(internal)
        actions["demo, before: the demo's redactor"] = lambda: redactor(before)(internal)
    for action in actions.values():
        action()
    medians = {name: report(name, samples) for name, samples in interleaved(actions, 40).items()}
    full = medians["demo: the demo's redactor (patterns + names)"]
    base = medians["demo: redact_text (patterns only)"]
    print(f"{'  ratio names/patterns':<48} {full / base:.2f}x")
    if before is not None:
        old = medians["demo, before: the demo's redactor"]
        print(f"{'  before / after (the demo redactor)':<48} {old / full:.2f}x")
    report(
        "demo: render_markdown(public) with the redactor",
        timed(lambda: render_markdown(escalation, "public", redactor=redactor()), 30),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="an older redact.py to compare with")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    demo_redaction(load_before(args.before) if args.before else None)
    escalation = load_model(EXAMPLE, Escalation)
    ticket = Ticket(
        id=escalation.ticket_id,
        subject="Blank recordings",
        customer=Customer(
            org_name="Northwind Health", org_id="org_7f3k2p9q", contacts=["Dana Whitfield"]
        ),
        messages=[Message(author_name="Priya Raman", text="hi")],
    )
    text = render_markdown(escalation, "internal")
    print(f"public markdown of the example: {len(text)} characters")
    base = report("redact_text (patterns only; baseline)", timed(lambda: redact_text(text), 200))
    full = report(
        "Redactor.for_ticket (patterns + names)",
        timed(lambda: Redactor.for_ticket(ticket)(text), 200),
    )
    print(f"{'  ratio names/patterns':<48} {full / base:.2f}x")
    print(f"{'  throughput (patterns + names)':<48} {len(text) / full / 1e6:.2f} MB/s")

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        raw = sqlite3.connect(data / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        payload = escalation.model_dump_json()

        def bare_insert() -> None:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO t (body) VALUES (?)", (payload,))
            raw.execute("COMMIT")

        bare = report("bare SQLite insert of the JSON (baseline)", timed(bare_insert, 200))
        with EscalationStore.in_data_dir(data) as store:
            counter = iter(range(10_000))

            def save_new() -> None:
                copy = escalation.model_copy(update={"ticket_id": f"T-{next(counter)}"})
                store_escalation(store, copy, ticket=ticket, now=NOW)

            internal = render_markdown(escalation, "internal")

            def save_only() -> None:
                copy = escalation.model_copy(update={"ticket_id": f"T-{next(counter)}"})
                store.save(copy, now=NOW, internal_markdown=internal, public_markdown=internal)

            only = report("EscalationStore.save (markdown given), new", timed(save_only, 200))
            print(f"{'  ratio save/bare insert':<48} {only / bare:.1f}x")
            report("store_escalation (render x2 + redact + save)", timed(save_new, 200))
            report(
                "store_escalation, same ticket (revision)",
                timed(lambda: store_escalation(store, escalation, ticket=ticket, now=NOW), 100),
            )
            moments = iter(NOW + timedelta(minutes=i) for i in range(10_000))
            report(
                "record_update (one transaction)",
                timed(lambda: record_update(store, "ESC-1", "note", next(moments)), 200),
            )
            count = len(store.list())
            report(
                f"list_followups over {count} open escalations",
                timed(lambda: list_followups(store, NOW + timedelta(days=1), due_only=True), 10),
            )
        raw.close()


if __name__ == "__main__":
    main()
