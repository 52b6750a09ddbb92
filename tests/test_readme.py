"""The README's commands run as written and print what it shows.

Every ``sh``, ``console`` and ``python`` block of README.md is run, in order, in a
sandbox that looks like the repository root (``src/``, ``evals/`` and ``skill/`` linked
in) with a fresh data folder, unless the line before it marks it
``<!-- readme-test: skip — <why> -->`` (a synopsis, or a command that needs Claude Code or
runs until stopped). In a ``console`` block each ``$`` line is a command (``\\`` continues
it) and the lines after it are output the command must print, in any order: ``...``
stands for anything, and a line of only ``...`` for lines left out. ``json`` blocks must
parse.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from posthog_escalation.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = re.compile(r"^\s*<!-- readme-test: skip — (?P<why>.+?) -->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\w*)\s*$")
PROGRAM = "posthog-escalation"


@dataclass
class Command:
    """One command of a block and the output lines it must print."""

    words: list[str]
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int
    lang: str
    text: str
    skip: str | None


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks of ``markdown``, with the reason each is skipped, if it is."""
    found: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = opening.group("indent")
        body: list[str] = []
        end = index + 1
        while lines[end].strip() != "```":
            body.append(lines[end][len(indent) :])
            end += 1
        marker = SKIP.match(lines[index - 1]) if index else None
        found.append(
            Block(
                line=index + 1,
                lang=opening.group("lang"),
                text="\n".join(body),
                skip=marker.group("why") if marker else None,
            )
        )
        index = end + 1
    return found


def commands(block: Block) -> list[Command]:
    """The commands of a ``sh`` or ``console`` block."""
    found: list[Command] = []
    pending: list[str] = []
    for raw in block.text.splitlines():
        if pending:
            pending.append(raw.strip())
            if not raw.endswith("\\"):
                found.append(Command(shlex.split(" ".join(p.rstrip("\\") for p in pending))))
                pending = []
            continue
        if block.lang == "console" and raw.startswith("$ "):
            pending = [raw[2:]]
        elif block.lang == "sh" and raw.strip() and not raw.startswith("#"):
            pending = [raw]
        else:
            if raw.strip() and found:
                found[-1].expected.append(raw)
            continue
        if not raw.endswith("\\"):
            found.append(Command(shlex.split(pending[0].split(" #")[0])))
            pending = []
    return found


def matches(expected: str, printed: list[str]) -> bool:
    """True when some printed line is ``expected`` (``...`` standing for anything)."""
    pattern = re.compile(".*".join(re.escape(part) for part in expected.strip().split("...")))
    return any(pattern.fullmatch(line.strip()) for line in printed)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that looks like the repository root, with a fresh data folder."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("src", "evals", "skill"):
        (root / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("POSTHOG_ESCALATION_DATA_DIR", str(tmp_path / "data"))
    for name in ("ANTHROPIC_API_KEY", "POSTHOG_API_KEY", "POSTHOG_PROJECT_ID", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_the_block_reader_reads_commands_continuations_and_output() -> None:
    block = Block(
        1,
        "console",
        '$ posthog-escalation update ESC-1 \\\n    --note "a b"\nRecorded on ESC-1.\n...',
        None,
    )
    [command] = commands(block)
    assert command.words == ["posthog-escalation", "update", "ESC-1", "--note", "a b"]
    assert command.expected == ["Recorded on ESC-1.", "..."]
    assert matches("due ... UTC", ["  due 2026-11-20 16:00 UTC"])
    assert not matches("due 2026-11-21 UTC", ["due 2026-11-20 UTC"])


def test_every_block_is_run_or_says_why_not() -> None:
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.lang in ("sh", "console") and block.skip is None:
            for command in commands(block):
                assert command.words[0] == PROGRAM, (
                    f"README.md:{block.line}: `{' '.join(command.words)}` is not a "
                    f"{PROGRAM} command; run it in the test or mark the block "
                    "<!-- readme-test: skip — why -->"
                )


def test_every_json_block_parses() -> None:
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.lang == "json":
            json.loads(block.text)


@pytest.mark.slow
def test_every_readme_command_runs_and_prints_what_the_readme_shows(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = 0
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.skip is not None:
            continue
        if block.lang == "python":
            exec(compile(block.text, f"README.md:{block.line}", "exec"), {})
            assert capsys.readouterr().out.strip(), f"README.md:{block.line} printed nothing"
            ran += 1
            continue
        if block.lang not in ("sh", "console"):
            continue
        for command in commands(block):
            code = main(command.words[1:])
            captured = capsys.readouterr()
            printed = (captured.out + captured.err).splitlines()
            where = f"README.md:{block.line}: {' '.join(command.words)}"
            assert code == 0, f"{where} exited {code}:\n{captured.err}"
            wanted = [line for line in command.expected if line.strip() != "..."]
            missing = [line for line in wanted if not matches(line, printed)]
            assert missing == [], f"{where} did not print:\n" + "\n".join(missing)
            ran += 1
    assert ran >= 10
