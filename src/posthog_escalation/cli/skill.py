"""The ``skill`` command group: build (and check) the Claude skill in ``skill/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import skill as skill_files
from ..errors import InputError
from ..playbook import load_playbook
from .common import console, err_console

skill_app = typer.Typer(
    help="The Claude skill in skill/: references rendered from the playbook.",
    no_args_is_help=True,
)


@skill_app.command("build")
def build_command(
    skill_dir: Annotated[
        Path, typer.Option("--skill-dir", help="The skill folder (holds SKILL.md).")
    ] = Path("skill"),
    playbook_path: Annotated[
        Path | None,
        typer.Option("--playbook", help="A playbook.toml (default: the packaged one)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when anything is out of date.")
    ] = False,
    zip_path: Annotated[
        Path | None,
        typer.Option("--zip", help="Also write a zip of the skill folder (for Claude Desktop)."),
    ] = None,
) -> None:
    """Render skill/references/*.md from the playbook (and check SKILL.md's template)."""
    if not (skill_dir / skill_files.SKILL_FILE).exists():
        raise InputError(
            f"{skill_dir}: no {skill_files.SKILL_FILE} here",
            "run from the repository root or pass --skill-dir",
        )
    playbook = load_playbook(playbook_path)
    if check:
        from ..loading import load_model
        from ..models import Escalation

        example = Path(__file__).resolve().parents[1] / "examples" / "escalation.yaml"
        problems = skill_files.check_skill(skill_dir, load_model(example, Escalation), playbook)
        for problem in problems:
            err_console.print(f"[red]out of date:[/] {problem}", highlight=False)
        if problems:
            err_console.print("Run `posthog-escalation skill build` to regenerate.")
            raise typer.Exit(1)
        console.out(f"{skill_dir} is up to date with the playbook and the renderer.")
        return
    written = skill_files.build_references(skill_dir, playbook)
    for path in written:
        console.out(f"wrote {path}", highlight=False)
    if not written:
        console.out(f"{skill_dir / skill_files.REFERENCES} is already up to date.")
    if zip_path is not None:
        skill_files.package_skill(skill_dir, zip_path)
        console.out(f"wrote {zip_path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``skill`` group to ``app``."""
    app.add_typer(skill_app, name="skill")
