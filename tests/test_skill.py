"""The skill: committed references match the playbook; SKILL.md matches the renderer."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from posthog_escalation.cli import main
from posthog_escalation.config import Settings
from posthog_escalation.models import Cadence, Escalation, Severity
from posthog_escalation.playbook import FollowUpCadence, default_playbook
from posthog_escalation.render import EXTRA_HEADINGS, TEMPLATE_HEADINGS, render_markdown
from posthog_escalation.skill import (
    GENERATED,
    TEMPLATE_FILE,
    build_references,
    check_skill,
    frontmatter,
    headings,
    package_skill,
    render_references,
    stale_references,
    template_block,
)

SKILL_DIR = Path(__file__).resolve().parents[1] / "skill"


@pytest.fixture
def skill_copy(tmp_path: Path) -> Path:
    target = tmp_path / "skill"
    shutil.copytree(SKILL_DIR, target)
    return target


def test_the_committed_skill_agrees_with_the_playbook_and_the_renderer(
    example_escalation: Escalation,
) -> None:
    assert check_skill(SKILL_DIR, example_escalation) == []


def test_the_committed_references_are_exactly_what_the_playbook_renders() -> None:
    for name, text in render_references(default_playbook()).items():
        assert (SKILL_DIR / "references" / name).read_text(encoding="utf-8") == text


def test_the_template_reference_has_the_renderers_headings_in_order(
    example_escalation: Escalation,
) -> None:
    template = template_block((SKILL_DIR / TEMPLATE_FILE).read_text(encoding="utf-8"))
    expected = [*TEMPLATE_HEADINGS, *EXTRA_HEADINGS]
    assert headings(template) == expected
    assert headings(render_markdown(example_escalation, "internal")) == expected


def test_the_frontmatter_has_a_name_and_a_description_that_says_when_to_use_it() -> None:
    meta = frontmatter((SKILL_DIR / "SKILL.md").read_text(encoding="utf-8"))
    assert meta["name"] == "posthog-escalation"
    assert 0 < len(meta["description"]) < 1024
    assert "Escalate to engineering" in meta["description"]
    assert "upstream bug" in meta["description"]


async def test_skill_md_names_every_tool_the_mcp_server_serves(hogql_settings: Settings) -> None:
    from mcp import Client

    from posthog_escalation.server import build_server

    async with Client(build_server(settings=hogql_settings)) as client:
        served = [tool.name for tool in (await client.list_tools()).tools]
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    assert len(served) == 12
    for tool in served:
        assert f"`{tool}`" in text, tool
    for name in render_references():
        assert f"references/{name}" in text, name


def test_a_playbook_change_makes_the_committed_references_stale(
    skill_copy: Path,
) -> None:
    playbook = default_playbook()
    changed = playbook.model_copy(
        update={
            "follow_up": {
                **playbook.follow_up,
                Severity.MEDIUM: FollowUpCadence(
                    team=Cadence(low=48, high=48), customer=Cadence(low=5, high=5)
                ),
            }
        }
    )
    assert stale_references(skill_copy, changed) == [
        "references/follow-up.md differs from the playbook"
    ]
    build_references(skill_copy, changed)
    assert stale_references(skill_copy, changed) == []
    assert "every 48 hours" in (skill_copy / "references" / "follow-up.md").read_text()


def test_a_template_heading_that_drifts_from_the_renderer_is_reported(
    skill_copy: Path, example_escalation: Escalation
) -> None:
    path = skill_copy / TEMPLATE_FILE
    path.write_text(path.read_text().replace("### Routing\n", "### Where it goes\n"))
    problems = check_skill(skill_copy, example_escalation)
    assert len(problems) == 1
    assert problems[0].startswith("references/template.md headings differ from the renderer's")
    assert "'### Where it goes'" in problems[0]


def test_a_template_missing_a_field_label_is_reported(
    skill_copy: Path, example_escalation: Escalation
) -> None:
    path = skill_copy / TEMPLATE_FILE
    path.write_text(path.read_text().replace("- **Churn risk:**", "- **Risk:**"))
    assert check_skill(skill_copy, example_escalation) == [
        "references/template.md lacks the renderer's field labels: ['Churn risk']"
    ]


def test_a_missing_or_leftover_reference_is_reported(skill_copy: Path) -> None:
    (skill_copy / "references" / "routing.md").unlink()
    (skill_copy / "references" / "old-table.md").write_text(GENERATED + "\n\n# Old\n")
    (skill_copy / "references" / "notes.md").write_text("hand-written, left alone\n")
    assert stale_references(skill_copy) == [
        "references/routing.md is missing",
        "references/old-table.md is no longer generated",
    ]


def test_a_long_description_is_reported(skill_copy: Path, example_escalation: Escalation) -> None:
    path = skill_copy / "SKILL.md"
    text = path.read_text()
    meta = frontmatter(text)
    path.write_text(text.replace(meta["description"], "x" * 1024))
    assert check_skill(skill_copy, example_escalation) == [
        "SKILL.md frontmatter: `description` must be 1-1023 characters (has 1024)"
    ]


def test_the_routing_reference_marks_private_routes_and_sdk_repositories() -> None:
    routing = render_references()["routing.md"]
    assert "| `security` |" in routing
    assert "never a public repository" in routing
    assert "| `posthog-ios` | PostHog/posthog-ios |" in routing


def test_packaging_zips_the_skill_under_its_name(skill_copy: Path, tmp_path: Path) -> None:
    archive = package_skill(skill_copy, tmp_path / "out" / "skill.zip")
    names = zipfile.ZipFile(archive).namelist()
    assert "posthog-escalation/SKILL.md" in names
    assert "posthog-escalation/references/routing.md" in names


def test_cli_skill_build_writes_references_and_check_passes_after(
    skill_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in render_references():
        (skill_copy / "references" / name).unlink()
    assert main(["skill", "build", "--check", "--skill-dir", str(skill_copy)]) == 1
    assert "references/dimensions.md is missing" in capsys.readouterr().err
    assert main(["skill", "build", "--skill-dir", str(skill_copy)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["skill", "build", "--check", "--skill-dir", str(skill_copy)]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_cli_skill_build_without_a_skill_folder_is_a_one_line_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["skill", "build", "--skill-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no SKILL.md here" in err and "Traceback" not in err


def test_the_workflow_is_written_once_and_the_template_lives_in_its_reference() -> None:
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    assert text.count("### 1. Decide that it is an escalation") == 1
    assert "When triage says" not in text
    assert not (SKILL_DIR / "references" / "escalate-steps.md").exists()
    assert "<!-- template:start -->" not in text
    assert "references/template.md" in text
    assert len(text.splitlines()) < 160


def test_the_frontmatter_says_the_skill_needs_the_mcp_server() -> None:
    meta = frontmatter((SKILL_DIR / "SKILL.md").read_text(encoding="utf-8"))
    assert "posthog-escalation MCP server" in meta["compatibility"]
    assert len(meta["compatibility"]) <= 500


def test_a_skill_without_compatibility_or_a_template_link_is_reported(
    skill_copy: Path, example_escalation: Escalation
) -> None:
    path = skill_copy / "SKILL.md"
    text = path.read_text()
    compatibility = next(line for line in text.splitlines() if line.startswith("compatibility:"))
    path.write_text(text.replace(compatibility + "\n", "").replace("references/template.md", "x"))
    assert check_skill(skill_copy, example_escalation) == [
        "SKILL.md frontmatter: `compatibility` must name the posthog-escalation MCP server in "
        "at most 500 characters",
        "SKILL.md does not link references/template.md",
    ]


def test_build_zip_outside_a_checkout_packages_the_installed_skill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "skill.zip"
    assert main(["skill", "build", "--zip", str(archive)]) == 0
    captured = capsys.readouterr()
    assert "the installed skill" in captured.err and f"wrote {archive}" in captured.out
    names = zipfile.ZipFile(archive).namelist()
    assert "posthog-escalation/SKILL.md" in names
    assert "posthog-escalation/references/template.md" in names
    assert "posthog-escalation/references/routing.md" in names


def test_check_outside_a_checkout_checks_the_installed_skill(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["skill", "build", "--check"]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_build_outside_a_checkout_never_writes_into_the_installed_skill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from posthog_escalation.cli import skill as skill_cli

    installed = tmp_path / "installed"
    shutil.copytree(SKILL_DIR, installed)
    monkeypatch.setattr(skill_cli, "installed_skill", lambda: installed)
    (installed / "references" / "follow-up.md").write_text("stale\n")
    before = {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()}
    assert main(["skill", "build"]) == 2
    assert "the installed skill differs from this playbook" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()} == before
