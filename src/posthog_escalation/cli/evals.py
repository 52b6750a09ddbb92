"""``eval``: run the eval cases, print the report, and fail when a gating check fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import anyio
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import InputError
from ..evals.cases import load_cases
from ..evals.records import RunConfig, TrialRecord, WorldBuild, resolve_run
from ..evals.runner import Progress as RunProgress
from ..evals.runner import RunResult, run_eval
from .common import console, err_console, state

DEFAULT_CASES = Path("evals") / "cases"
DEFAULT_RUNS = Path("runs")

_STATUS = {"passed": "[green]pass[/]", "failed": "[red]FAIL[/]", "infra_error": "[yellow]infra[/]"}


def _run(
    targets: list[Path],
    config: RunConfig,
    runs_dir: Path,
    resume: str | None,
    baseline: str | None,
) -> RunResult:
    settings = state.settings
    resume_dir = resolve_run(resume, runs_dir) if resume else None
    baseline_dir = resolve_run(baseline, runs_dir) if baseline else None
    cases = [] if resume_dir else load_cases(targets)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        trials = bar.add_task("building worlds", total=None)

        def on_world(build: WorldBuild) -> None:
            how = "reused" if build.reused else f"built in {build.seconds:.1f} s"
            bar.console.print(
                f"[dim]› world {build.name}: {how} ({build.events:,} events)[/]", highlight=False
            )

        def on_planned(count: int) -> None:
            bar.update(trials, description="running trials", total=count, completed=0)

        def on_trial(record: TrialRecord) -> None:
            bar.console.print(
                f"  {_STATUS[record.status]} {record.case_id} #{record.trial} "
                f"[dim]({record.seconds:.2f} s)[/]",
                highlight=False,
            )
            bar.advance(trials)

        return anyio.run(
            lambda: run_eval(
                cases,
                settings,
                config,
                runs_dir=runs_dir,
                resume=resume_dir,
                baseline=baseline_dir,
                progress=RunProgress(world=on_world, planned=on_planned, trial=on_trial),
            )
        )


def eval_command(
    cases: Annotated[
        list[Path] | None,
        typer.Argument(help="Case files or folders (default: evals/cases).", show_default=False),
    ] = None,
    drafter: Annotated[
        str, typer.Option("--drafter", help="offline (rules) or llm (Claude).")
    ] = "offline",
    trials: Annotated[int, typer.Option("--trials", min=1, max=100, help="Trials per case.")] = 1,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Trials running at once.")
    ] = 2,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="A run (folder or id) to compare with.")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option("--resume", help="Finish a run: re-run infra errors and unfinished trials."),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", min=0, help="Stop starting trials once this USD is spent."),
    ] = None,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also grade with the LLM judge (needs a key).")
    ] = False,
    runs_dir: Annotated[
        Path, typer.Option("--runs-dir", help="Where runs are written.")
    ] = DEFAULT_RUNS,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for cached worlds and indexes (same as the global option).",
        ),
    ] = None,
) -> None:
    """Run the eval cases; print the report; exit 1 if any gating check failed."""
    if data_dir is not None:
        state.data_dir = data_dir
        state._settings = None
    if drafter not in ("offline", "llm"):
        raise InputError(f"--drafter must be offline or llm, got '{drafter}'", "pick one")
    if resume and cases:
        raise InputError(
            "--resume runs the cases of the resumed run; do not name cases with it",
            "drop the case arguments, or start a new run without --resume",
        )
    chosen: Literal["offline", "llm"] = "llm" if drafter == "llm" else "offline"
    config = RunConfig(
        drafter=chosen,
        trials=trials,
        concurrency=concurrency,
        max_cost=max_cost,
        judge=judge,
    )
    result = _run(cases or [DEFAULT_CASES], config, runs_dir, resume, baseline)
    report = (result.run_dir / "report.md").read_text(encoding="utf-8")
    console.print(report, markup=False, highlight=False)
    err_console.print(f"[dim]› run written to {result.run_dir}[/]", highlight=False)
    if result.gating_failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``eval`` to ``app``."""
    app.command("eval")(eval_command)
