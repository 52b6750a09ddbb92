"""The MCP Skills extension (SEP-2640, ``io.modelcontextprotocol/skills``): the server
hands a host the skill that says how to use its tools.

Every file of the packaged skill (``SKILL.md`` and its ``references/``, installed as
``posthog_escalation.skill_files``) is a ``skill://posthog-escalation/<path>`` resource,
read with ``resources/read``. ``skills/list`` and ``skills/get`` answer the skill's entry:
its frontmatter as written, and every file with its SHA-256 digest and size, so a host
can verify what it reads. The extension is declared under ``capabilities.extensions`` on
2026-07-28 connections (the SDK carries that field from that revision on); the methods
and the resources answer on every connection.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension, MethodBinding, ResourceBinding
from mcp.server.mcpserver.resources import TextResource
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CacheableResult, PaginatedRequestParams, RequestParams
from pydantic import BaseModel

SKILLS_EXTENSION = "io.modelcontextprotocol/skills"
SKILL_PACKAGE = "posthog_escalation.skill_files"
"""The installed skill (the top-level skill/ folder, mapped in by pyproject.toml)."""
SKILL_DIR = Path(__file__).resolve().parents[3] / "skill"
"""The skill folder of a source checkout, when the package data is not installed."""
SKILL_FILE = "SKILL.md"
TTL_MS = 3_600_000
"""How long a host may cache an entry: the skill changes only with the installation."""

_FRONTMATTER = re.compile(r"^---\r?\n(.*?)\r?\n---\r?\n", re.DOTALL)
_NOT_SKILL_FILES = (".py", ".pyc")


class SkillFileEntry(BaseModel):
    """One file of a skill: its resource URI, ``sha256:<hex>`` digest and size in bytes."""

    uri: str
    digest: str
    size: int


class SkillEntry(BaseModel):
    """A skill: the URI of its SKILL.md, its frontmatter verbatim, and every file."""

    uri: str
    frontmatter: dict[str, Any]
    resources: list[SkillFileEntry]


class ListSkillsResult(CacheableResult):
    """The answer to ``skills/list``."""

    skills: list[SkillEntry]
    result_type: Literal["complete"] = "complete"


class GetSkillParams(RequestParams):
    """The parameters of ``skills/get``."""

    uri: str


class GetSkillResult(CacheableResult):
    """The answer to ``skills/get``."""

    skill: SkillEntry
    result_type: Literal["complete"] = "complete"


@dataclass(frozen=True)
class SkillFile:
    """One file of a skill, as bytes, at ``path`` (``/``-separated) in the skill folder."""

    path: str
    data: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Skill:
    """A skill folder: its frontmatter (``name`` and ``description`` at least) and files."""

    frontmatter: dict[str, Any]
    files: tuple[SkillFile, ...]

    @property
    def name(self) -> str:
        return str(self.frontmatter["name"])

    @property
    def uri(self) -> str:
        """The URI of the skill's SKILL.md."""
        return self.file_uri(SKILL_FILE)

    def file_uri(self, path: str) -> str:
        return f"skill://{self.name}/{path}"

    def entry(self) -> SkillEntry:
        """The skill's ``Skill`` entry, as ``skills/list`` and ``skills/get`` give it."""
        return SkillEntry(
            uri=self.uri,
            frontmatter=self.frontmatter,
            resources=[
                SkillFileEntry(uri=self.file_uri(f.path), digest=f.digest, size=len(f.data))
                for f in self.files
            ],
        )


def read_skill(folder: Traversable) -> Skill:
    """The skill in ``folder``: SKILL.md's frontmatter and every file but Python's.

    Raises:
        ValueError: There is no SKILL.md, or its frontmatter lacks ``name`` or
            ``description``.
    """
    import yaml

    files = tuple(sorted(_files(folder, ""), key=lambda f: (f.path != SKILL_FILE, f.path)))
    main = next((f for f in files if f.path == SKILL_FILE), None)
    if main is None:
        raise ValueError(f"no {SKILL_FILE} in {folder}")
    match = _FRONTMATTER.match(main.data.decode("utf-8"))
    frontmatter = yaml.safe_load(match.group(1)) if match else None
    if not isinstance(frontmatter, dict) or not {"name", "description"} <= set(frontmatter):
        raise ValueError(f"{SKILL_FILE} needs YAML frontmatter with name and description")
    return Skill(frontmatter=frontmatter, files=files)


def _files(folder: Traversable, prefix: str) -> Iterator[SkillFile]:
    for item in folder.iterdir():
        path = f"{prefix}{item.name}"
        if item.is_dir():
            if item.name != "__pycache__":
                yield from _files(item, f"{path}/")
        elif not item.name.endswith(_NOT_SKILL_FILES):
            yield SkillFile(path=path, data=item.read_bytes())


@cache
def packaged_skill() -> Skill | None:
    """The installed skill, else the source checkout's, else None (read once)."""
    try:
        folder: Traversable = resources.files(SKILL_PACKAGE)
    except ModuleNotFoundError:
        folder = SKILL_DIR
    if not folder.joinpath(SKILL_FILE).is_file():
        return None
    return read_skill(folder)


class SkillsExtension(Extension):
    """Serves ``skills`` as ``skill://`` resources with ``skills/list`` and ``skills/get``."""

    identifier = SKILLS_EXTENSION

    def __init__(self, skills: list[Skill]) -> None:
        self._skills = {skill.uri: skill for skill in skills}

    def resources(self) -> list[ResourceBinding]:
        bindings = []
        for skill in self._skills.values():
            for file in skill.files:
                main = file.path == SKILL_FILE
                bindings.append(
                    ResourceBinding(
                        TextResource(
                            uri=skill.file_uri(file.path),
                            name=skill.name if main else f"{skill.name}/{file.path}",
                            description=str(skill.frontmatter["description"]) if main else None,
                            mime_type="text/markdown"
                            if file.path.endswith(".md")
                            else "text/plain",
                            text=file.data.decode("utf-8"),
                        )
                    )
                )
        return bindings

    def methods(self) -> list[MethodBinding]:
        return [
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        ]

    async def _list(
        self, _: ServerRequestContext[Any, Any], __: PaginatedRequestParams
    ) -> ListSkillsResult:
        return ListSkillsResult(
            skills=[skill.entry() for skill in self._skills.values()],
            ttl_ms=TTL_MS,
            cache_scope="public",
        )

    async def _get(
        self, _: ServerRequestContext[Any, Any], params: GetSkillParams
    ) -> GetSkillResult:
        skill = self._skills.get(params.uri)
        if skill is None:
            known = ", ".join(self._skills) or "none"
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"no skill at {params.uri} — this server serves: {known}",
            )
        return GetSkillResult(skill=skill.entry(), ttl_ms=TTL_MS, cache_scope="public")
