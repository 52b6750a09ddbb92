"""The main job: ``run`` a ticket file into an escalation, and the bundled ``demo``."""

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .common import console, err_console, started, state

if TYPE_CHECKING:
    from ..models import EscalationRequest
    from ..outcome import Outcome
    from ..pipeline import DrafterChoice

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO_REQUEST = EXAMPLES / "demo_request.yaml"
EXIT_NOT_ESCALATED = 3
"""``run``'s exit code when the triage report decided not to escalate (nothing written)."""


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_folder_name(ticket_id: str) -> str:
    """A folder name for ``ticket_id`` that stays inside its parent: only letters, digits,
    ``.``, ``_`` and ``-``, no leading dot; when anything had to change, a short hash of
    the id is appended so two different ids never share a folder."""
    cleaned = _UNSAFE.sub("-", ticket_id).strip(".-")[:80]
    if cleaned == ticket_id:
        return cleaned
    digest = hashlib.sha256(ticket_id.encode()).hexdigest()[:8]
    return f"{cleaned or 'ticket'}-{digest}"


def default_out(ticket_id: str, base: Path = Path("out")) -> Path:
    """``out/<safe name of the ticket id>``."""
    return base / safe_folder_name(ticket_id)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(
            f"--out {out}: is a file, not a folder", "pass a folder (it is created if missing)"
        )


def _prepare_out(out: Path) -> None:
    _check_out(out)
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(
            f"--out {out}: cannot create the folder ({exc.strerror})",
            "pass a folder you can write to",
        ) from None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (0600)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    tmp.replace(path)


def write_outputs(outcome: "Outcome", out: Path) -> list[Path]:
    """Write the escalation's files into ``out`` (0600 each); returns the paths written."""
    _prepare_out(out)
    assert outcome.escalation is not None
    files = {
        "escalation.md": outcome.markdown,
        "escalation.public.md": outcome.public_markdown,
        "escalation.json": outcome.escalation.model_dump_json(indent=2),
        "evidence.json": json.dumps(
            [e.model_dump(mode="json") for e in outcome.evidence], indent=2
        ),
        "findings.json": json.dumps([f.model_dump() for f in outcome.findings], indent=2),
    }
    written = []
    for name, text in files.items():
        path = out / name
        _write_private(path, text)
        written.append(path)
    return written


def _execute(
    request: "EscalationRequest", drafter: "DrafterChoice", out: Path | None, store: bool
) -> int:
    import anyio

    from ..pipeline import escalate
    from ..store import EscalationStore, store_escalation

    settings = state.settings
    started()

    def progress(label: str) -> None:
        err_console.print(f"[dim]›[/] {label}", highlight=False)

    outcome = anyio.run(
        lambda: escalate(request, settings=settings, drafter=drafter, progress=progress)
    )
    if outcome.refusal is not None:
        console.print(
            f"Not escalated: ticket {outcome.ticket_id}: {outcome.refusal.reason}", markup=False
        )
        return EXIT_NOT_ESCALATED
    escalation = outcome.escalation
    assert escalation is not None
    target = out or default_out(escalation.ticket_id)
    written = write_outputs(outcome, target)
    console.print(outcome.markdown, markup=False, highlight=False)
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in outcome.stage_seconds.items())
    err_console.print(f"[dim]› wrote {len(written)} files to {target} ({timings})[/]")
    if store:
        with EscalationStore.in_data_dir(settings.data_dir) as db:
            saved = store_escalation(
                db,
                escalation,
                now=escalation.created_at,
                ticket=request.ticket,
                extra_secrets=settings.secrets(),
                keep_project_ids=settings.keep_project_ids,
            )
        stored = saved.stored
        verb = "Stored" if saved.created else "Updated"
        due = stored.schedule.team_due
        when = f"; next team check {due:%Y-%m-%d %H:%M} UTC" if due else ""
        err_console.print(
            f"› {verb} as {stored.id} ({stored.status.value}, revision {stored.revision}){when}",
            highlight=False,
        )
    if outcome.fell_back:
        err_console.print("› Claude could not finish; the offline drafter wrote this escalation")
    for note in outcome.notes:
        err_console.print(f"› note: {note}", highlight=False)
    errors = [f for f in outcome.findings if f.level == "error"]
    for finding in outcome.findings:
        err_console.print(f"[yellow]{finding.one_line()}[/]", highlight=False)
    err_console.print(
        f"quality gate: {len(errors)} error(s), {len(outcome.findings) - len(errors)} warning(s)"
    )
    return 1 if errors else 0


def run(
    file: Annotated[Path, typer.Argument(help="YAML or JSON with `ticket` and optional `triage`.")],
    offline: Annotated[bool, typer.Option("--offline", help="Use the rules drafter.")] = False,
    llm: Annotated[
        bool, typer.Option("--llm", help="Use Claude (needs ANTHROPIC_API_KEY).")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Folder for the output files.")] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not save it in the store.")
    ] = False,
) -> None:
    """Escalate a ticket: gather evidence, draft, gate, render and store it.

    Exit codes: 0 escalated and past the quality gate; 1 the gate found errors (the files
    are still written); 2 bad input; 3 not escalated, because the triage report decided
    against it (nothing written or stored).
    """
    from ..loading import load_model
    from ..models import EscalationRequest

    if offline and llm:
        raise typer.BadParameter("choose one of --offline and --llm")
    drafter: DrafterChoice = "offline" if offline else "llm" if llm else "auto"
    if out is not None:
        _check_out(out)
    request = load_model(file, EscalationRequest)
    code = _execute(request, drafter, out, store=not no_store)
    if code:
        raise typer.Exit(code)


def demo(
    out: Annotated[Path | None, typer.Option(help="Folder for the output files.")] = None,
) -> None:
    """Run the bundled demo ticket end to end, offline, on the embedded demo world."""
    from ..loading import load_model
    from ..models import EscalationRequest

    if out is not None:
        _check_out(out)
    request = load_model(DEMO_REQUEST, EscalationRequest)
    code = _execute(request, "offline", out, store=False)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``demo`` to ``app``."""
    app.command("run")(run)
    app.command("demo")(demo)
