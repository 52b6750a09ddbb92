"""The Claude skill in ``skill/``: its reference tables, rendered from the playbook, and
the consistency checks that keep ``SKILL.md`` and the template in step with the renderer.

The tables in ``skill/references/`` are generated (``posthog-escalation skill build``)
from ``playbook.toml``, the one source of truth. ``SKILL.md`` (the workflow, written once)
and ``references/template.md`` (the template) are written by hand, but the template must
carry exactly the headings and field labels :func:`render_markdown` produces, and
``SKILL.md`` must link it and name the MCP server in its ``compatibility`` line.
:func:`check_skill` reports every difference; a test runs it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .errors import InputError
from .models import Escalation, Severity
from .playbook import Playbook, default_playbook
from .render import render_markdown

GENERATED = (
    "<!-- Generated from playbook.toml by `posthog-escalation skill build`. "
    "Edit the playbook, not this file. -->"
)
SKILL_FILE = "SKILL.md"
REFERENCES = "references"
TEMPLATE_FILE = f"{REFERENCES}/template.md"
SERVER_NAME = "posthog-escalation"
MAX_COMPATIBILITY = 500
TEMPLATE_START = "<!-- template:start -->"
TEMPLATE_END = "<!-- template:end -->"
MAX_DESCRIPTION = 1024
MAX_NAME = 64
_HEADING = re.compile(r"^(#{2,3}) (.+)$")
_LABEL = re.compile(r"\*\*([^*]+?):\*\*")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _page(title: str, intro: str, body: list[str]) -> str:
    return "\n".join([GENERATED, "", f"# {title}", "", intro, "", *body]).rstrip() + "\n"


def _dimensions(playbook: Playbook) -> str:
    rows = [[d.name, d.determine] for d in playbook.dimensions]
    return _page(
        "The five dimensions",
        f"{playbook.motto} Answer each with a number or a date from the data, and cite the "
        "evidence id that shows it.",
        _table(["Dimension", "What to determine"], rows),
    )


def _severity(playbook: Playbook) -> str:
    body: list[str] = []
    for level in Severity:
        body += [f"## {level.value}", ""]
        body += [f"- {c}" for c in playbook.severity[level].criteria] + [""]
    body += [
        "## Rules the quality gate checks",
        "",
        "When the condition holds, the severity must be at least the minimum shown, and the "
        "escalation must take the route shown when there is one.",
        "",
    ]
    rows = [
        [r.id, r.condition.replace("_", " "), r.min_severity.value, r.route or "—", r.message]
        for r in playbook.severity_rules
    ]
    body += _table(["Rule", "Condition", "At least", "Route", "Why"], rows)
    return _page(
        "Severity rubric", "Pick the most urgent level whose description fits the data.", body
    )


def _routing(playbook: Playbook) -> str:
    rows = []
    for route in playbook.routes.values():
        labels = ", ".join(f"`{label}`" for label in route.labels)
        if route.mobile_labels:
            labels += " (mobile: " + ", ".join(f"`{x}`" for x in route.mobile_labels) + ")"
        where = route.channel if route.public else f"{route.channel} — never a public repository"
        repo = f"the SDK's repository (default {route.repo})" if route.sdk_repo else route.repo
        rows.append(
            [
                f"`{route.key}`",
                route.issue_type,
                route.team,
                where,
                repo if route.public else "—",
                labels,
                "; ".join(route.context),
            ]
        )
    body = _table(
        ["Route", "Issue type", "Escalate to", "Where", "Repository", "Labels", "Context it needs"],
        rows,
    )
    body += ["", "## Words that suggest a route", ""]
    body += _table(
        ["Route", "Keywords"],
        [[f"`{r.key}`", ", ".join(r.keywords) or "—"] for r in playbook.routes.values()],
    )
    body += [
        "",
        "## SDK repositories",
        "",
        "The `$lib` value or package name -> its repository.",
        "",
    ]
    body += _table(["SDK", "Repository"], [[f"`{k}`", v] for k, v in playbook.sdk_repos.items()])
    if playbook.also_filed_in:
        body += [
            "",
            "## Also search",
            "",
            "Customers often file in these repositories instead.",
            "",
        ]
        body += _table(
            ["Owning repository", "Also search"],
            [[owner, ", ".join(others)] for owner, others in playbook.also_filed_in.items()],
        )
    return _page(
        "Routing",
        "Issue type -> the team that owns it -> where it goes -> the PostHog context that "
        "team needs. Security and data exposure bypass normal triage and never go to a "
        "public repository.",
        body,
    )


def _follow_up(playbook: Playbook) -> str:
    rows = []
    for level in Severity:
        cadence = playbook.cadence(level)
        customer = str(cadence.customer) + (
            f" {cadence.customer_note}" if cadence.customer_note else ""
        )
        rows.append([level.value, str(cadence.team), customer])
    return _page(
        "Follow-up cadence",
        "Don't escalate and forget. A follow-up is due at the low end of the range and "
        "overdue after the high end; business days skip weekends.",
        _table(["Severity", "Check with the team", "Update the customer"], rows),
    )


def _closing(playbook: Playbook) -> str:
    rows = [[f"`{c.id}`", c.text, " and ".join(c.applies_to)] for c in playbook.close_criteria]
    body = _table(["Reason id", "When", "Allows"], rows)
    body += ["", "## After closing or downgrading", ""]
    body += [f"{n}. {step}" for n, step in enumerate(playbook.closing_steps, start=1)]
    return _page(
        "Close or downgrade",
        "An escalation may be closed or downgraded only for one of these reasons; the "
        "commands take the reason id.",
        body,
    )


def escalate_steps_page(playbook: Playbook | None = None) -> str:
    """The playbook's steps for an "Escalate to engineering" decision, as a page (the
    ``escalation://playbook`` resource shows it; the skill's own workflow is SKILL.md)."""
    playbook = playbook or default_playbook()
    body = [f"{n}. {step}" for n, step in enumerate(playbook.escalate_steps, start=1)]
    return _page(
        'When the triage decision is "Escalate to engineering"',
        "Run these steps in order.",
        body,
    )


def render_references(playbook: Playbook | None = None) -> dict[str, str]:
    """The reference files (name -> markdown) rendered from ``playbook``."""
    playbook = playbook or default_playbook()
    return {
        "dimensions.md": _dimensions(playbook),
        "severity.md": _severity(playbook),
        "routing.md": _routing(playbook),
        "follow-up.md": _follow_up(playbook),
        "close-and-downgrade.md": _closing(playbook),
    }


def build_references(skill_dir: Path, playbook: Playbook | None = None) -> list[Path]:
    """Write ``skill_dir/references/*.md`` from the playbook; returns the files written
    (only those whose text changed)."""
    folder = skill_dir / REFERENCES
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_references(playbook).items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_references(skill_dir: Path, playbook: Playbook | None = None) -> list[str]:
    """Reference files that are missing, differ from the playbook, or are left over."""
    folder = skill_dir / REFERENCES
    expected = render_references(playbook)
    problems = []
    for name, text in expected.items():
        path = folder / name
        if not path.exists():
            problems.append(f"references/{name} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"references/{name} differs from the playbook")
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            if path.name not in expected and text.startswith(GENERATED):
                problems.append(f"references/{path.name} is no longer generated")
    return problems


def frontmatter(text: str) -> dict[str, str]:
    """The ``key: value`` pairs of SKILL.md's YAML frontmatter (flat strings only)."""
    import yaml

    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    if not match:
        return {}
    data = yaml.safe_load(match.group(1)) or {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def template_block(text: str) -> str:
    """The template in ``text`` (``references/template.md``): between the template
    markers, inside its outer fence."""
    start, end = text.find(TEMPLATE_START), text.find(TEMPLATE_END)
    if start < 0 or end < start:
        return ""
    lines = text[start + len(TEMPLATE_START) : end].strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("````") and lines[-1].startswith("````"):
        lines = lines[1:-1]
    return "\n".join(lines)


def headings(markdown: str) -> list[str]:
    """``##``/``###`` headings outside code fences; ``## ESCALATION: ...`` -> ``## ESCALATION:``."""
    found = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```") and not line.startswith("````"):
            fenced = not fenced
            continue
        match = _HEADING.match(line)
        if match and not fenced:
            title = match.group(2)
            if title.startswith("ESCALATION:"):
                title = "ESCALATION:"
            found.append(f"{match.group(1)} {title}")
    return found


def labels(markdown: str) -> list[str]:
    """Field labels (``**Severity:**``) in order of first appearance."""
    return list(dict.fromkeys(_LABEL.findall(markdown)))


def check_skill(
    skill_dir: Path, example: Escalation, playbook: Playbook | None = None
) -> list[str]:
    """Every way ``skill_dir`` disagrees with the playbook and the renderer.

    Checks the frontmatter (``name``, a ``description`` under 1,024 characters and a
    ``compatibility`` line naming the MCP server), that SKILL.md links the template, that
    the template has exactly the renderer's headings in the same order and every field
    label the renderer writes for ``example``, and the generated references.
    """
    path = skill_dir / SKILL_FILE
    if not path.exists():
        return [f"{path} is missing"]
    text = path.read_text(encoding="utf-8")
    problems = []
    meta = frontmatter(text)
    name = meta.get("name", "")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name) or len(name) > MAX_NAME:
        problems.append("SKILL.md frontmatter: `name` must be lower-case words joined by '-'")
    description = meta.get("description", "")
    if not description or len(description) >= MAX_DESCRIPTION:
        problems.append(
            f"SKILL.md frontmatter: `description` must be 1-{MAX_DESCRIPTION - 1} characters "
            f"(has {len(description)})"
        )
    compatibility = meta.get("compatibility", "")
    if SERVER_NAME not in compatibility or len(compatibility) > MAX_COMPATIBILITY:
        problems.append(
            f"SKILL.md frontmatter: `compatibility` must name the {SERVER_NAME} MCP server in "
            f"at most {MAX_COMPATIBILITY} characters"
        )
    if TEMPLATE_FILE not in text:
        problems.append(f"SKILL.md does not link {TEMPLATE_FILE}")
    template_path = skill_dir / TEMPLATE_FILE
    template_text = template_path.read_text(encoding="utf-8") if template_path.exists() else ""
    template = template_block(template_text)
    if not template:
        problems.append(
            f"{TEMPLATE_FILE} has no template between {TEMPLATE_START} and {TEMPLATE_END}"
        )
    rendered = render_markdown(example, "internal")
    want, have = headings(rendered), headings(template)
    if want != have:
        problems.append(
            f"{TEMPLATE_FILE} headings differ from the renderer's: expected {want}, found {have}"
        )
    missing = [label for label in labels(rendered) if label not in labels(template)]
    if missing:
        problems.append(f"{TEMPLATE_FILE} lacks the renderer's field labels: {missing}")
    return problems + stale_references(skill_dir, playbook)


def package_skill(skill_dir: Path, destination: Path) -> Path:
    """Zip ``skill_dir`` (SKILL.md and references/) for upload to Claude Desktop."""
    if not (skill_dir / SKILL_FILE).exists():
        raise InputError(f"{skill_dir}: no {SKILL_FILE} here", "pass the skill folder")
    destination.parent.mkdir(parents=True, exist_ok=True)
    text = (skill_dir / SKILL_FILE).read_text(encoding="utf-8")
    root = frontmatter(text).get("name") or skill_dir.resolve().name
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(skill_dir.rglob("*")):
            if path.is_file() and path.suffix == ".md":
                archive.write(path, f"{root}/{path.relative_to(skill_dir)}")
    return destination
