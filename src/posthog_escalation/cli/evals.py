"""``eval``: run the eval cases, print the report, and fail when a gating check fails."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ..errors import InputError
from .common import console, err_console, started, state

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..evals.records import RunConfig, RunResult, TrialRecord, WorldBuild

DEFAULT_CASES = Path("evals") / "cases"
DEFAULT_RUNS = Path("runs")

_STATUS = {"passed": "[green]pass[/]", "failed": "[red]FAIL[/]", "infra_error": "[yellow]infra[/]"}


def resolve_case_targets(targets: list[Path], cases_dir: Path = DEFAULT_CASES) -> list[Path]:
    """Case files and folders as given; a name that is neither is read as a case id in
    ``cases_dir`` (``replay-safari-regression`` is ``evals/cases/replay-safari-regression.yaml``,
    or the case there whose ``id`` it is).

    Raises:
        InputError: A name is no file, folder or case id.
    """
    resolved: list[Path] = []
    for target in targets:
        if target.exists() or len(target.parts) != 1:
            resolved.append(target)
            continue
        resolved.append(_case_by_id(target.name, cases_dir))
    return resolved


def _case_by_id(case_id: str, cases_dir: Path) -> Path:
    for suffix in (".yaml", ".yml"):
        named = cases_dir / f"{case_id}{suffix}"
        if named.is_file():
            return named
    if cases_dir.is_dir():
        from ..evals.cases import case_files, load_case

        for path in case_files([cases_dir]):
            if load_case(path).id == case_id:
                return path
    raise InputError(
        f"{case_id}: no such case file, folder or case id in {cases_dir}",
        f"pass a case file, a folder of cases, or the id of a case in {cases_dir} "
        "(e.g. replay-safari-regression)",
    )


def _progress() -> "Progress":
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console.rich,
        transient=True,
    )


def _run(
    targets: list[Path],
    config: "RunConfig",
    runs_dir: Path,
    resume: str | None,
    baseline: str | None,
) -> "RunResult":
    import anyio

    from ..evals.cases import load_cases
    from ..evals.records import resolve_run
    from ..evals.runner import Progress as RunProgress
    from ..evals.runner import run_eval

    settings = state.settings
    started()
    resume_dir = resolve_run(resume, runs_dir) if resume else None
    baseline_dir = resolve_run(baseline, runs_dir) if baseline else None
    cases = [] if resume_dir else load_cases(resolve_case_targets(targets))
    with _progress() as bar:
        trials = bar.add_task("building worlds", total=None)

        def on_world(build: "WorldBuild") -> None:
            how = "reused" if build.reused else f"built in {build.seconds:.1f} s"
            bar.console.print(
                f"[dim]› world {build.name}: {how} ({build.events:,} events)[/]", highlight=False
            )

        def on_planned(count: int) -> None:
            bar.update(trials, description="running trials", total=count, completed=0)

        def on_trial(record: "TrialRecord") -> None:
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


FLOOR_FIGURES = {
    "route": "route",
    "repo": "repo",
    "not_a_bug_recall": "not_a_bug_recall",
    "not_a_bug_precision": "not_a_bug_precision",
    "bugs_called_not_a_bug": "bugs_called_not_a_bug",
    "gate": "gate_pass",
    "docs_recall": "docs_recall_at_5",
    "duplicate_recall": "duplicate_recall_at_5",
}
"""Names a ``--floor`` may use, and the summary figure each reads."""
CEILINGS = frozenset({"bugs_called_not_a_bug"})
"""Figures where lower is better: their floor is a ceiling."""


def _floors(specs: list[str]) -> dict[str, float]:
    floors: dict[str, float] = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        if name not in FLOOR_FIGURES or not value:
            raise InputError(
                f"--floor '{spec}' is not NAME=VALUE",
                f"use one of {', '.join(FLOOR_FIGURES)} with a share, e.g. route=0.85",
            )
        try:
            floors[name] = float(value)
        except ValueError:
            raise InputError(
                f"--floor '{spec}': '{value}' is not a number", "e.g. route=0.85"
            ) from None
    return floors


def _accuracy(
    dataset: Path, split: str, docs_dir: Path | None, runs_dir: Path, floors: dict[str, float]
) -> None:
    import anyio

    from ..evals.accuracy import render_markdown, run_accuracy, write_run
    from ..evals.dataset import load_reports
    from ..tools.docs import open_folder_index, shipped_docs_dir
    from ..tools.docs.index import index_store

    settings = state.settings
    started()
    reports = load_reports(dataset, split)  # type: ignore[arg-type]
    everything = load_reports(dataset, "all")
    docs = open_folder_index(docs_dir or shipped_docs_dir(), index_store(settings.data_dir))
    with _progress() as bar:
        task = bar.add_task(f"reading {len(reports)} reports", total=len(reports))
        run = anyio.run(
            lambda: run_accuracy(
                reports,
                docs=docs,
                snapshot=everything,
                settings=settings,
                progress=lambda _score: bar.advance(task),
                dataset=dataset.name,
                split=split,  # type: ignore[arg-type]
            )
        )
    folder = write_run(run, runs_dir)
    console.print(render_markdown(run), markup=False, highlight=False)
    err_console.print(f"[dim]› accuracy run written to {folder}[/]", highlight=False)
    failed = []
    for name, floor in floors.items():
        figure = getattr(run.summary, FLOOR_FIGURES[name])
        value = figure.value
        if value is None:
            continue
        if (value > floor) if name in CEILINGS else (value < floor):
            word = "above its ceiling" if name in CEILINGS else "below its floor"
            failed.append(f"{name} {value:.3f} is {word} {floor:.3f}")
    if failed:
        err_console.print("[red]accuracy floors failed:[/] " + "; ".join(failed), highlight=False)
        raise typer.Exit(1)


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
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset",
            help="Labeled real reports (JSONL): run the accuracy suite on them instead of the "
            "cases.",
        ),
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="dev, holdout or all (with --dataset).")
    ] = "all",
    docs_dir: Annotated[
        Path | None,
        typer.Option("--docs-dir", help="Docs folder to index for the accuracy suite."),
    ] = None,
    floor: Annotated[
        list[str] | None,
        typer.Option(
            "--floor",
            help="NAME=VALUE: exit 1 when a figure falls below it (bugs_called_not_a_bug: "
            "above it). Names: " + ", ".join(FLOOR_FIGURES) + ".",
        ),
    ] = None,
) -> None:
    """Run the eval cases (or, with --dataset, the accuracy suite on labeled real reports);
    print the report; exit 1 if any gating check or floor failed."""
    if data_dir is not None:
        state.data_dir = data_dir
        state._settings = None
    if dataset is not None:
        if split not in ("dev", "holdout", "all"):
            raise InputError(f"--split must be dev, holdout or all, got '{split}'", "pick one")
        if cases:
            raise InputError("--dataset runs labeled reports, not cases", "drop the case arguments")
        _accuracy(dataset, split, docs_dir, runs_dir, _floors(floor or []))
        return
    if drafter not in ("offline", "llm"):
        raise InputError(f"--drafter must be offline or llm, got '{drafter}'", "pick one")
    if resume and cases:
        raise InputError(
            "--resume runs the cases of the resumed run; do not name cases with it",
            "drop the case arguments, or start a new run without --resume",
        )
    from ..evals.records import RunConfig

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
