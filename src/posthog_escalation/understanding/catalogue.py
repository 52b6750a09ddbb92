"""The SDK catalogue (``sdk_catalogue.toml``) and how SDKs are recognised in a ticket.

Every SDK is recognised only by what the catalogue lists for it: the names users write,
package ids, import and install lines, classes, modules and stack-frame prefixes. The
version written next to a name or package id, in the syntax of any manifest (npm, pub,
CocoaPods, Gradle, pip, Go modules, ...), is read with it.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator

from ..errors import PlaybookError
from ..models import Model
from .model import SdkMention

CATALOGUE_FILE = Path(__file__).resolve().parents[1] / "sdk_catalogue.toml"
PRODUCT_NAME = "posthog"
"""A package id equal to the product's name is never matched on its own: "PostHog" in a
ticket names the product, not the CocoaPods pod or the PyPI package."""

VERSION_CORE = r"v?\d+(?:\.(?:\d+|x|\*|\+)){1,3}(?:-[0-9A-Za-z.]+)?"
VERSION_RANGE = rf"(?:\^|~>?|[<>]=?|==|~=|>=|<=|=)?\s*{VERSION_CORE}"
# What may sit between a package name and its version: the closing backtick of inline
# code, "@", quotes and colons of a manifest line, "version", "v", "==", "--version", a
# comma in a Podfile/Gemfile line.
_VERSION_AFTER = re.compile(
    r"""^`?(?:\s*(?=(?:==|~=|>=|<=|\^|~|[<>])\s*v?\d)|@|\s*\(|['"]?\s*[:=]\s*['"]?|"""
    r"""['"]?\s*,\s*['"]|,?\s+(?:(?:version|at|on|--version)\s+)?)"""
    rf"(?P<v>{VERSION_RANGE})(?!\w)(?!\.\d)",
    re.IGNORECASE,
)
_EXACT = re.compile(r"^v?(\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?)$")
BARE_VERSION = re.compile(
    rf"\b(?:version|ver\.?|release)\s+(?P<v>{VERSION_CORE})(?!\w)(?!\.\d)", re.IGNORECASE
)
"""A version said on its own ("we are on version 3.3.7")."""

_B = r"(?<![\w@/.-])"
UNTICKED = re.compile(r"(?m)^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[ \][^\n]*")
"""An unticked checklist line of an issue template."""
_E = r"(?![\w-])"
_COMPARED = re.compile(
    r"\b(?:(?<!would )(?<!'d )(?<!\bI )(?<!\bwe )(?<!\bthey )(?<!\byou )like|unlike|"
    r"similar to|same as|as (?:in|on|with)|compared (?:to|with)|"
    r"than (?:in|on|with))\s+(?:the\s+|in\s+|on\s+)?(?:(?:JS|JavaScript|web|iOS|Android|"
    r"Flutter|React Native|RN|Python|Node|Go|Ruby|PHP|\.NET|Java|Kotlin|Swift)(?:'s)?\s+"
    r"(?:SDK'?s?\s+|library\s+|client\s+)?)?[`'\"(]?$",
    re.IGNORECASE,
)
"""What makes a mention a comparison ("an API like JS `onFeatureFlags()`", "unlike the
iOS SDK"): the SDK compared with is not the one the ticket is about."""


def exact_version(version: str | None) -> str | None:
    """``1.2.3`` for an exact version (``v1.2.3`` too); None for a range or nothing."""
    if not version:
        return None
    match = _EXACT.match(version.strip())
    return match.group(1) if match else None


def version_after(text: str, end: int) -> str | None:
    """The version written right after position ``end`` of ``text``, if any."""
    match = _VERSION_AFTER.match(text[end : end + 48])
    if not match:
        return None
    return re.sub(r"\s+", " ", match.group("v")).strip()


class Move(Model):
    """A repository an SDK's code lived in before, until the day it moved out."""

    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    until: date


class SdkEntry(Model):
    """One SDK of the catalogue."""

    package: str
    title: str
    lib: str = Field(description="The $lib value its events carry")
    family: str
    platforms: list[str]
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="Where its code lives today")
    docs: str
    plugin: bool = False
    names: list[str] = Field(default_factory=list)
    packages: dict[str, list[str]] = Field(default_factory=dict)
    imports: list[str] = Field(default_factory=list)
    identifiers: list[str] = Field(default_factory=list)
    moved: list[Move] = Field(default_factory=list)
    implied_by: dict[Literal["platforms", "languages"], list[str]] = Field(default_factory=dict)

    @field_validator("imports", "identifiers")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return patterns

    def repo_on(self, day: date | None) -> str:
        """The repository its code lived in on ``day`` (today's when ``day`` is None)."""
        if day is not None:
            for move in sorted(self.moved, key=lambda m: m.until):
                if day < move.until:
                    return move.repo
        return self.repo


class Component(Model):
    """A PostHog component that is not an SDK but has a repository of its own."""

    key: str
    title: str
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    area: str
    names: list[str]
    moved: list[Move] = Field(default_factory=list)


Cue = Literal["name", "package", "import", "identifier"]


class _Matcher:
    def __init__(self, pattern: re.Pattern[str], package: str, cue: Cue, versioned: bool):
        self.pattern = pattern
        self.package = package
        self.cue = cue
        self.versioned = versioned


def _phrase(text: str) -> str:
    return r"[\s_-]+".join(re.escape(word) for word in text.split())


class Catalogue(Model):
    """Every SDK and component, and the matchers built from them."""

    version: int = 1
    sdk: list[SdkEntry]
    component: list[Component] = Field(default_factory=list)
    _matchers: list[_Matcher] = PrivateAttr(default_factory=list)
    _by_package: dict[str, SdkEntry] = PrivateAttr(default_factory=dict)
    _components: list[tuple[Component, re.Pattern[str]]] = PrivateAttr(default_factory=list)

    def model_post_init(self, _context: object) -> None:
        matchers: list[_Matcher] = []
        for entry in self.sdk:
            for name in entry.names:
                pattern = re.compile(_B + _phrase(name) + _E, re.IGNORECASE)
                matchers.append(_Matcher(pattern, entry.package, "name", True))
            for ids in entry.packages.values():
                for package_id in ids:
                    if package_id.lower() == PRODUCT_NAME:
                        continue
                    pattern = re.compile(_B + re.escape(package_id) + _E, re.IGNORECASE)
                    matchers.append(_Matcher(pattern, entry.package, "package", True))
            for line in entry.imports:
                matchers.append(
                    _Matcher(re.compile(line, re.IGNORECASE), entry.package, "import", True)
                )
            for ident in entry.identifiers:
                matchers.append(_Matcher(re.compile(ident), entry.package, "identifier", True))
        self._matchers = matchers
        self._by_package = {e.package: e for e in self.sdk}
        self._components = [
            (c, re.compile(_B + "(?:" + "|".join(_phrase(n) for n in c.names) + ")" + _E, re.I))
            for c in self.component
        ]

    def entry(self, package: str) -> SdkEntry | None:
        """The SDK whose canonical package name is ``package``."""
        return self._by_package.get(package)

    @property
    def packages(self) -> list[str]:
        """Every canonical package name."""
        return list(self._by_package)

    def find(self, text: str, source: Literal["ticket", "triage"] = "ticket") -> list[SdkMention]:
        """Every SDK named in ``text``, in order of first mention, with its version when one
        is written next to a name, package id or install line. An unticked checklist item
        ("- [ ] posthog-node" in an issue template) names nothing."""
        text = UNTICKED.sub(lambda m: " " * len(m.group(0)), text)
        hits: list[tuple[int, int, _Matcher, re.Match[str]]] = []
        for matcher in self._matchers:
            for match in matcher.pattern.finditer(text):
                if match.end() > match.start():
                    hits.append((match.start(), match.end(), matcher, match))
        # Longer matches win over the shorter ones they cover ("posthog-react-native" over
        # "react native sdk"), then earlier ones.
        hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        taken: list[tuple[int, int]] = []
        found: dict[str, SdkMention] = {}
        first: dict[str, int] = {}
        for start, end, matcher, match in hits:
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            if _COMPARED.search(text[max(0, start - 40) : start]):
                continue
            version = version_after(text, end) if matcher.versioned else None
            entry = self._by_package[matcher.package]
            current = found.get(entry.package)
            if current is None or start < first[entry.package]:
                first[entry.package] = start
            if current is None:
                found[entry.package] = SdkMention(
                    package=entry.package,
                    written_as=match.group(0).strip()[:80],
                    version=version,
                    lib=entry.lib,
                    family=entry.family,
                    repo=entry.repo,
                    plugin=entry.plugin,
                    source=source,
                    cue=matcher.cue,
                )
            elif version and not current.version:
                found[entry.package] = current.model_copy(update={"version": version})
        return sorted(found.values(), key=lambda m: first[m.package])

    def implied(
        self, platforms: list[str], languages: list[str], failing: str | None = None
    ) -> SdkEntry | None:
        """The SDK a ticket that names none points at by its platform or language.

        The most specific wins: a cross-platform wrapper's platform (Flutter, React
        Native), then one native mobile platform (iOS or Android; both named implies
        neither, unless ``failing`` says which one the failure is stated for), then a
        programming language, then the web.
        """
        wrappers = {"flutter", "react-native"}
        found: list[tuple[int, int, SdkEntry]] = []
        natives = {"ios", "android"} & set(platforms)
        if failing in natives:
            natives = {failing}
        for index, entry in enumerate(self.sdk):
            named = set(entry.implied_by.get("platforms", []))
            spoken = set(entry.implied_by.get("languages", []))
            if named & wrappers & set(platforms):
                found.append((0, index, entry))
            elif named & natives and len(natives) == 1:
                found.append((1, index, entry))
            elif spoken & set(languages) and "web" not in named:
                found.append((2, index, entry))
            elif (named - {"ios", "android"}) & set(platforms) or spoken & set(languages):
                found.append((3, index, entry))
        return min(found, key=lambda f: (f[0], f[1]))[2] if found else None

    def components(self, text: str) -> list[Component]:
        """The components with a repository of their own that ``text`` names."""
        hits = [(m.start(), c) for c, pattern in self._components if (m := pattern.search(text))]
        return [c for _, c in sorted(hits, key=lambda pair: pair[0])]

    def successors(self, repo: str) -> set[str]:
        """Where the code of an SDK or component that lived in ``repo`` lives now (and the
        repositories it moved through)."""
        found: set[str] = set()
        for entry in [*self.sdk, *self.component]:
            moves = sorted(entry.moved, key=lambda m: m.until)
            for index, move in enumerate(moves):
                if move.repo.lower() == repo.lower():
                    found.update(m.repo for m in moves[index + 1 :])
                    found.add(entry.repo)
        return found


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate a catalogue file.

    Raises:
        PlaybookError: The file is missing, not TOML, or an entry is invalid; the message
            names the file and the field.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaybookError(f"{path}: SDK catalogue not found", "restore the file") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"{path}: not valid TOML ({exc})", "fix the syntax") from None
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlaybookError(f"{path}: {where}: {first['msg']}", "fix that entry") from None


@cache
def default_catalogue() -> Catalogue:
    """The packaged catalogue, loaded once."""
    return load_catalogue(CATALOGUE_FILE)


def sdk_mentions(text: str) -> list[SdkMention]:
    """Every SDK package named in ``text``, with its version when written next to it."""
    return default_catalogue().find(text)
