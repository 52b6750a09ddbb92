"""The ``skill`` command group: build (and check) the Claude skill in ``skill/``."""

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from .common import console, err_console

SKILL_FILE = "SKILL.md"
SKILL_PACKAGE = "posthog_escalation.skill_files"
CHECKOUT_SKILL = Path("skill")

skill_app = typer.Typer(
    help="The Claude skill in skill/: references rendered from the playbook.",
    no_args_is_help=True,
)


def installed_skill() -> Path | None:
    """The skill installed with the package (``posthog_escalation.skill_files``), if its
    files are on disk."""
    from importlib import resources

    try:
        folder = Path(str(resources.files(SKILL_PACKAGE)))
    except ModuleNotFoundError:
        return None
    return folder if (folder / SKILL_FILE).is_file() else None


def resolve_skill_dir(given: Path | None) -> tuple[Path, bool]:
    """The skill folder to work on, and whether it is the installed (read-only) copy:
    ``--skill-dir`` when given; else ``./skill`` in a source checkout; else the skill
    installed with the package.

    Raises:
        InputError: The folder holds no SKILL.md.
    """
    if given is not None:
        if not (given / SKILL_FILE).exists():
            raise InputError(
                f"{given}: no {SKILL_FILE} here", "pass the skill folder with --skill-dir"
            )
        return given, False
    if (CHECKOUT_SKILL / SKILL_FILE).exists():
        return CHECKOUT_SKILL, False
    installed = installed_skill()
    if installed is None:
        raise InputError(
            f"no {SKILL_FILE} in ./skill and no installed skill",
            "run from the repository root, pass --skill-dir, or reinstall posthog-escalation",
        )
    return installed, True


@skill_app.command("build")
def build_command(
    skill_dir: Annotated[
        Path | None,
        typer.Option(
            "--skill-dir",
            help="The skill folder (holds SKILL.md); default ./skill, else the installed skill.",
            show_default=False,
        ),
    ] = None,
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
    """Render skill/references/*.md from the playbook (and check SKILL.md and the template).

    Outside a source checkout it works on the skill installed with the package, which is
    built already: it checks it, and zips it with --zip.
    """
    from .. import skill as skill_files
    from ..playbook import load_playbook

    folder, installed = resolve_skill_dir(skill_dir)
    playbook = load_playbook(playbook_path)
    if installed:
        err_console.print(f"[dim]› the installed skill: {folder}[/]")
    if check or installed:
        from ..loading import load_model
        from ..models import Escalation

        example = Path(__file__).resolve().parents[1] / "examples" / "escalation.yaml"
        problems = skill_files.check_skill(folder, load_model(example, Escalation), playbook)
        for problem in problems:
            err_console.print(f"[red]out of date:[/] {problem}")
        if problems and not check:
            raise InputError(
                "the installed skill differs from this playbook",
                "copy the installed skill folder, then pass --skill-dir with the copy",
            )
        if problems:
            err_console.print("Run `posthog-escalation skill build` to regenerate.")
            raise typer.Exit(1)
        if check:
            console.out(f"{folder} is up to date with the playbook and the renderer.")
    else:
        written = skill_files.build_references(folder, playbook)
        for path in written:
            console.out(f"wrote {path}", highlight=False)
        if not written:
            console.out(f"{folder / skill_files.REFERENCES} is already up to date.")
    if zip_path is not None:
        skill_files.package_skill(folder, zip_path)
        console.out(f"wrote {zip_path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``skill`` group to ``app``."""
    app.add_typer(skill_app, name="skill")
