"""PostHog docs sources (``.md``/``.mdx``) to sections with breadcrumbs and public URLs.

What the site renders is what we index: YAML frontmatter gives the title; ``import`` and
``export`` lines go; snippet components are replaced by the snippet file when it is
present; other JSX components are reduced to their text (and their ``title``); code
fences are kept apart so they can be weighted lower. Pages are split at H2 and H3 into
sections; each gets the URL posthog.com serves (``a/b.mdx`` -> ``/docs/a/b``,
``a/index.mdx`` -> ``/docs/a``) and the anchor the site's slugger gives its heading.

A file that cannot be parsed (bad frontmatter, unclosed JSX, binary, huge, not UTF-8,
empty) raises :class:`PageSkipped`; :func:`parse_folder` counts it and carries on.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from .models import SkipKind, SkippedFile

SITE = "https://posthog.com"
DOC_SUFFIXES = (".md", ".mdx")
MAX_FILE_BYTES = 2_000_000
MAX_SNIPPET_DEPTH = 6
GENERAL_AREA = "general"

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_CUSTOM_ID = re.compile(r"\s*\{#([A-Za-z0-9_\-]+)\}\s*$")
_CODE_MARK = re.compile(r"\x00C(\d+)\x00")
_IMPORT_START = re.compile(r"^import[\s{*]", re.MULTILINE)
_EXPORT_START = re.compile(
    r"^export\s+(?:const|let|var|function|default|async|class|\{|\*)", re.MULTILINE
)
_IMPORT_END = re.compile(r"""(['"])([^'"\n]+)\1\s*;?[ \t]*$""", re.MULTILINE)
_IMPORT_SHAPE = re.compile(
    r"""^import\s+(?:[\w$*{][^;'"]*?\s+from\s*)?['"][^'"\n]+['"]\s*;?\s*$""", re.DOTALL
)
_DEFAULT_IMPORT = re.compile(r"^import\s+([A-Za-z_$][\w$]*)\s*(?:,|\s+from\b)")
_SPECIAL = re.compile(r"[`<{]")
_TAG_NAME = re.compile(r"[A-Za-z][\w.:\-]*")
_TITLE_ATTR = re.compile(r"""\btitle\s*=\s*(?:\{\s*)?(["'])(.*?)\1""", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_EMPHASIS = re.compile(
    r"(?<![\w*])\*{1,3}(?=\S)|(?<=\S)\*{1,3}(?![\w*])|(?<!\w)__(?=\S)|(?<=\S)__(?!\w)"
)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BLANKS = re.compile(r"\n{3,}")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


class PageSkipped(Exception):
    """A file that cannot be indexed; ``kind`` and a one-line ``reason`` say why."""

    def __init__(self, kind: SkipKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(slots=True)
class Section:
    """One indexable section of a page."""

    id: str
    url: str
    area: str
    title: str
    heading: str | None
    breadcrumb: list[str]
    prose: str
    code: str

    @property
    def breadcrumb_text(self) -> str:
        """``Page > H2 > H3``."""
        return " > ".join(self.breadcrumb)


@dataclass(slots=True)
class Page:
    """A parsed page: its place on the site and its sections."""

    rel_path: str
    url: str
    area: str
    title: str
    sections: list[Section]


@dataclass
class ParsedDocs:
    """Every page of a docs folder, plus what was skipped and why."""

    root: Path
    pages: list[Page] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    snippets_resolved: int = 0
    snippets_missing: int = 0

    @property
    def sections(self) -> Iterator[Section]:
        """All sections, page by page."""
        for page in self.pages:
            yield from page.sections


# ---------------------------------------------------------------------------------
# Places: docs root, URLs, areas, anchors
# ---------------------------------------------------------------------------------


def find_docs_root(folder: Path) -> Path:
    """The folder whose files map to ``/docs/``: ``contents/docs`` inside a posthog.com
    checkout, else the folder itself."""
    nested = folder / "contents" / "docs"
    return nested if nested.is_dir() else folder


def is_page_path(rel: PurePosixPath) -> bool:
    """True for a docs page; snippet folders (``_snippets``, ``snippets``) and files whose
    name starts with ``_`` are included by pages, not published on their own."""
    if rel.suffix.lower() not in DOC_SUFFIXES:
        return False
    return not any(part.startswith(("_", ".")) or part == "snippets" for part in rel.parts)


def page_url(rel: PurePosixPath) -> str:
    """``session-replay/privacy.mdx`` -> ``https://posthog.com/docs/session-replay/privacy``."""
    parts = list(rel.with_suffix("").parts)
    if parts and parts[-1] == "index":
        parts.pop()
    return f"{SITE}/docs" + "".join(f"/{p}" for p in parts)


def page_area(rel: PurePosixPath) -> str:
    """The product area: the top folder, or ``libraries/<sdk>`` for SDK pages."""
    parts = rel.with_suffix("").parts
    if len(parts) < 2:
        return GENERAL_AREA
    if parts[0] == "libraries":
        return f"libraries/{parts[1]}"
    return parts[0]


def github_slug(text: str) -> str:
    """The anchor GitHub's slugger (used by posthog.com for headings) gives ``text``:
    lowercase, punctuation and symbols removed, each space a hyphen."""
    kept = []
    for char in text.lower():
        if char in " -_" or unicodedata.category(char)[0] in "LNM":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


class Slugger:
    """Unique anchors for one page: a repeated slug gets ``-1``, ``-2``, ..."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, text: str) -> str:
        base = github_slug(text)
        slug = base
        while slug in self._seen:
            self._seen[base] += 1
            slug = f"{base}-{self._seen[base]}"
        self._seen[slug] = 0
        return slug

    def reserve(self, anchor: str) -> str:
        """Register an explicit ``{#anchor}`` so later headings do not collide with it."""
        self._seen.setdefault(anchor, 0)
        return anchor


# ---------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------


def read_text(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A docs file as text.

    Raises:
        PageSkipped: Unreadable, larger than ``max_bytes``, binary, or not UTF-8.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PageSkipped(
                SkipKind.TOO_LARGE, f"{size:,} bytes is over the {max_bytes:,}-byte limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise PageSkipped(SkipKind.UNREADABLE, f"cannot be read ({exc.strerror})") from None
    if b"\x00" in data[:8192]:
        raise PageSkipped(SkipKind.BINARY, "looks binary (NUL bytes)")
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise PageSkipped(
            SkipKind.ENCODING, f"not UTF-8 (bad byte at offset {exc.start})"
        ) from None


def split_frontmatter(text: str) -> tuple[dict[str, object], str]:
    """YAML frontmatter and the body after it.

    Raises:
        PageSkipped: The frontmatter is unterminated, not YAML, or not a mapping.
    """
    if not text.startswith("---"):
        return {}, text
    first_newline = text.find("\n")
    if first_newline == -1 or text[:first_newline].strip() != "---":
        return {}, text
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[first_newline + 1 :], re.MULTILINE)
    if end is None:
        raise PageSkipped(SkipKind.FRONTMATTER, "frontmatter has no closing '---'")
    raw = text[first_newline + 1 : first_newline + 1 + end.start()]
    body = text[first_newline + 1 + end.end() :]
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 2}" if where is not None else ""
        raise PageSkipped(SkipKind.FRONTMATTER, f"frontmatter is not valid YAML{line}") from None
    if data is None:
        return {}, body
    if not isinstance(data, dict):
        raise PageSkipped(SkipKind.FRONTMATTER, "frontmatter is not a key: value mapping")
    return data, body


# ---------------------------------------------------------------------------------
# MDX to text
# ---------------------------------------------------------------------------------


class _Unbalanced(Exception):
    pass


class DocsParser:
    """Parses the pages of one docs root, sharing snippet work between pages."""

    def __init__(self, root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self.code_blocks: list[str] = []
        self._snippets: dict[Path, str | None] = {}
        self.snippets_resolved = 0
        self.snippets_missing = 0

    # -- public -----------------------------------------------------------------

    def parse_page(self, path: Path) -> Page:
        """Parse one page file.

        Raises:
            PageSkipped: The file cannot be indexed.
        """
        rel = PurePosixPath(path.resolve().relative_to(self.root).as_posix())
        text = read_text(path, max_bytes=self.max_bytes)
        meta, body = split_frontmatter(text)
        try:
            rendered = self._render(body, path.resolve(), depth=0, stack=())
        except _Unbalanced as exc:
            raise PageSkipped(SkipKind.JSX, str(exc)) from None
        title = meta.get("title")
        title = " ".join(str(title).split()) if title not in (None, "") else None
        page = self._sectionize(rendered, rel, title)
        if not page.sections:
            raise PageSkipped(SkipKind.EMPTY, "no title and no text after removing MDX")
        return page

    # -- rendering ----------------------------------------------------------------

    def _render(self, body: str, path: Path, *, depth: int, stack: tuple[Path, ...]) -> str:
        """Body markdown with code fences replaced by markers and MDX reduced to text."""
        body = self._extract_code(body)
        body, imports = _strip_statements(body)
        snippets = {
            name: target
            for name, spec in imports.items()
            if (target := self._resolve_import(spec, path)) is not None
        }
        missing = {
            name
            for name, spec in imports.items()
            if name not in snippets and spec.lower().endswith(DOC_SUFFIXES)
        }
        return self._reduce_jsx(body, snippets, missing, depth=depth, stack=(*stack, path))

    def _extract_code(self, body: str) -> str:
        lines = body.split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            opened = _FENCE_OPEN.match(lines[i])
            if not opened or (opened.group(1)[0] == "`" and "`" in opened.group(2)):
                out.append(lines[i])
                i += 1
                continue
            fence = opened.group(1)
            closer = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            j = i + 1
            while j < len(lines) and not closer.match(lines[j]):
                j += 1
            self.code_blocks.append("\n".join(lines[i + 1 : j]))
            out.append(f"\x00C{len(self.code_blocks) - 1}\x00")
            i = j + 1
        return "\n".join(out)

    def _resolve_import(self, spec: str, importer: Path) -> Path | None:
        if not spec.startswith((".", "/")):
            return None
        suffix = PurePosixPath(spec).suffix.lower()
        if suffix and suffix not in DOC_SUFFIXES:
            return None
        base = self.root / spec.lstrip("/") if spec.startswith("/") else importer.parent / spec
        candidates = [base] if suffix else [base.with_name(base.name + s) for s in DOC_SUFFIXES]
        for candidate in candidates:
            try:
                resolved = candidate.resolve()
            except OSError:
                continue
            if resolved.is_file() and resolved.is_relative_to(self.root):
                return resolved
        return None

    def _snippet_text(self, path: Path, depth: int, stack: tuple[Path, ...]) -> str | None:
        if path in stack or depth >= MAX_SNIPPET_DEPTH:
            return None
        if path not in self._snippets:
            try:
                _, body = split_frontmatter(read_text(path, max_bytes=self.max_bytes))
                self._snippets[path] = self._render(body, path, depth=depth + 1, stack=stack)
            except (PageSkipped, _Unbalanced):
                self._snippets[path] = None
        return self._snippets[path]

    def _reduce_jsx(
        self,
        body: str,
        snippets: dict[str, Path],
        missing: set[str],
        *,
        depth: int,
        stack: tuple[Path, ...],
    ) -> str:
        out: list[str] = []
        open_components: list[tuple[str, int]] = []
        i = 0
        n = len(body)
        while i < n:
            found = _SPECIAL.search(body, i)
            if found is None:
                out.append(body[i:])
                break
            j = found.start()
            out.append(body[i:j])
            char = body[j]
            if char == "`":
                run = len(body[j:]) - len(body[j:].lstrip("`"))
                close = body.find("`" * run, j + run)
                if close == -1 or "\n\n" in body[j:close]:
                    out.append(body[j : j + run])
                    i = j + run
                else:
                    out.append(body[j : close + run])
                    i = close + run
                continue
            if char == "{":
                if body.startswith("{/*", j):
                    close = body.find("*/}", j)
                    if close == -1:
                        raise _Unbalanced(f"unclosed MDX comment at line {_line(body, j)}")
                    i = close + 3
                else:
                    out.append("{")
                    i = j + 1
                continue
            # char == "<"
            if body.startswith("<!--", j):
                close = body.find("-->", j)
                if close == -1:
                    raise _Unbalanced(f"unclosed HTML comment at line {_line(body, j)}")
                i = close + 3
                continue
            tag = _read_tag(body, j)
            if tag is None:
                out.append("<")
                i = j + 1
                continue
            name, closing, self_closing, attrs, end = tag
            i = end
            if name[:1].isupper():
                if closing:
                    if not open_components or open_components[-1][0] != name:
                        raise _Unbalanced(
                            f"closing </{name}> at line {_line(body, j)} matches no open tag"
                        )
                    open_components.pop()
                elif not self_closing:
                    open_components.append((name, j))
            if closing:
                continue
            if name in snippets:
                text = self._snippet_text(snippets[name], depth, stack)
                if text is None:
                    self.snippets_missing += 1
                else:
                    self.snippets_resolved += 1
                    out.append(f"\n{text}\n")
                continue
            if name in missing:
                self.snippets_missing += 1
                continue
            title = _TITLE_ATTR.search(attrs)
            if title and title.group(2).strip():
                out.append(f"\n{title.group(2).strip()}\n")
        if open_components:
            name, at = open_components[-1]
            raise _Unbalanced(f"<{name}> opened at line {_line(body, at)} is never closed")
        return "".join(out)

    # -- sections -----------------------------------------------------------------

    def _sectionize(self, rendered: str, rel: PurePosixPath, title: str | None) -> Page:
        url = page_url(rel)
        area = page_area(rel)
        page_id = url.removeprefix(f"{SITE}/")
        slugger = Slugger()
        blocks: list[tuple[int, str, str | None, list[str], list[str]]] = []
        level, heading, anchor = 0, None, None
        prose: list[str] = []
        code: list[str] = []
        for line in rendered.split("\n"):
            markers = _CODE_MARK.findall(line)
            if markers:
                code.extend(self.code_blocks[int(m)] for m in markers)
                line = _CODE_MARK.sub("", line)
            match = _HEADING.match(line)
            if not match:
                prose.append(line)
                continue
            depth = len(match.group(1))
            raw = match.group(2)
            custom = _CUSTOM_ID.search(raw)
            text = clean_inline(_CUSTOM_ID.sub("", raw))
            if not text:
                continue
            if depth == 1 and title is None and not blocks and not "".join(prose).strip():
                title = text
                continue
            slug = slugger.reserve(custom.group(1)) if custom else slugger.slug(text)
            if depth > 3:
                prose.append(text)
                continue
            blocks.append((level, heading or "", anchor, prose, code))
            level, heading, anchor = max(depth, 2), text, slug
            prose, code = [], []
        blocks.append((level, heading or "", anchor, prose, code))

        explicit_title = title is not None
        title = title or _title_from_path(rel)
        sections: list[Section] = []
        h2: str | None = None
        for lvl, head, anc, prose_lines, code_parts in blocks:
            if lvl == 2:
                h2 = head
            crumb = [title] + ([h2, head] if lvl == 3 and h2 else [head] if head else [])
            body_text = clean_block("\n".join(prose_lines))
            code_text = "\n\n".join(c.strip("\n") for c in code_parts if c.strip())
            if (
                not head
                and not body_text
                and not code_text
                and (len(blocks) > 1 or not explicit_title)
            ):
                continue
            sections.append(
                Section(
                    id=f"{page_id}#{anc}" if anc else page_id,
                    url=f"{url}#{anc}" if anc else url,
                    area=area,
                    title=title,
                    heading=head or None,
                    breadcrumb=crumb,
                    prose=body_text,
                    code=code_text,
                )
            )
        return Page(rel_path=str(rel), url=url, area=area, title=title, sections=sections)


def _read_tag(body: str, start: int) -> tuple[str, bool, bool, str, int] | None:
    """Parse a JSX/HTML tag at ``start``: ``(name, closing, self_closing, attrs, end)``.

    Returns None when ``<`` does not start a tag (``a < b``, ``<5 ms``).

    Raises:
        _Unbalanced: The tag is never closed with ``>``.
    """
    i = start + 1
    closing = body.startswith("/", i)
    if closing:
        i += 1
    if body.startswith(">", i):
        return "", closing, False, "", i + 1
    name_match = _TAG_NAME.match(body, i)
    if name_match is None:
        return None
    name = name_match.group()
    if "://" in body[start : start + 12] or "@" in name:
        close = body.find(">", i)
        if close == -1 or "\n" in body[i:close]:
            return None
        return ":autolink", False, True, "", close + 1
    i = name_match.end()
    attrs_start = i
    depth = 0
    quote: str | None = None
    n = len(body)
    while i < n:
        char = body[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`" and (depth > 0 or char != "`"):
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif char == ">" and depth == 0:
            self_closing = body[i - 1] == "/"
            return name, closing, self_closing, body[attrs_start:i], i + 1
        i += 1
    raise _Unbalanced(f"tag <{name}> at line {_line(body, start)} is never closed with '>'")


def _strip_statements(body: str) -> tuple[str, dict[str, str]]:
    """Remove top-level ``import``/``export`` statements; return the default imports."""
    imports: dict[str, str] = {}
    out: list[str] = []
    pos = 0
    while True:
        imp = _IMPORT_START.search(body, pos)
        exp = _EXPORT_START.search(body, pos)
        nxt = min((m for m in (imp, exp) if m), key=lambda m: m.start(), default=None)
        if nxt is None:
            out.append(body[pos:])
            break
        out.append(body[pos : nxt.start()])
        if nxt is imp:
            end = _IMPORT_END.search(body, nxt.start(), nxt.start() + 1000)
            statement = body[nxt.start() : end.end()] if end else ""
            if not end or not _IMPORT_SHAPE.match(statement):
                line_end = body.find("\n", nxt.start())
                stop = len(body) if line_end == -1 else line_end
                out.append(body[nxt.start() : stop])
                pos = stop
                continue
            stop = end.end()
            named = _DEFAULT_IMPORT.match(statement)
            if named:
                imports[named.group(1)] = end.group(2)
        else:
            stop = _statement_end(body, nxt.start())
        pos = stop
    return "".join(out), imports


def _statement_end(body: str, start: int) -> int:
    """End of an ``export`` statement: the end of the line where brackets balance."""
    depth = 0
    quote: str | None = None
    i = start
    n = len(body)
    while i < n:
        char = body[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif char == "\n" and depth <= 0:
            return i
        i += 1
    return n


def _line(body: str, offset: int) -> int:
    return body.count("\n", 0, offset) + 1


def _title_from_path(rel: PurePosixPath) -> str:
    parts = rel.with_suffix("").parts
    name = parts[-2] if parts[-1] == "index" and len(parts) > 1 else parts[-1]
    return name.replace("-", " ").replace("_", " ").strip().capitalize() or "Docs"


def clean_inline(text: str) -> str:
    """Markdown inline syntax to plain text: links to their text, no code ticks or stars.

    Text inside backtick code spans is kept literally (``<PostHogProvider>`` stays).
    """
    parts = _CODE_SPAN.split(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 3 == 2:
            out.append(part)
        elif i % 3 == 0:
            part = _LINK.sub(r"\1", part)
            part = _REF_LINK.sub(r"\1", part)
            part = _EMPHASIS.sub("", part)
            out.append(re.sub(r"<[^>\n]{0,200}>", "", part))
    return " ".join(html.unescape("".join(out)).split())


def clean_block(text: str) -> str:
    """A block of rendered markdown to readable plain text, one line per paragraph line."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if _TABLE_RULE.match(line) and "-" in line:
            continue
        line = re.sub(r"^(?:>\s*)+", "", line)
        if line.startswith("|") or line.endswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            line = " · ".join(c for c in cells if c)
        line = re.sub(r"^[*+]\s+", "- ", line)
        lines.append(clean_inline(line) if line else "")
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------


def iter_doc_files(root: Path, *, pages_only: bool = False) -> list[Path]:
    """Every ``.md``/``.mdx`` file under ``root`` (hidden folders skipped), sorted."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        base = Path(folder)
        for name in sorted(files):
            if not name.lower().endswith(DOC_SUFFIXES):
                continue
            path = base / name
            if pages_only and not is_page_path(PurePosixPath(path.relative_to(root).as_posix())):
                continue
            found.append(path)
    return found


def parse_folder(folder: Path, *, max_bytes: int = MAX_FILE_BYTES) -> ParsedDocs:
    """Parse every page under a docs folder; unparseable files are skipped and counted."""
    root = find_docs_root(folder).resolve()
    parser = DocsParser(root, max_bytes=max_bytes)
    result = ParsedDocs(root=root)
    seen_urls: dict[str, str] = {}
    for path in iter_doc_files(root, pages_only=True):
        rel = path.relative_to(root).as_posix()
        try:
            page = parser.parse_page(path)
        except PageSkipped as exc:
            result.skipped.append(SkippedFile(path=rel, kind=exc.kind, reason=exc.reason))
            continue
        if page.url in seen_urls:
            result.skipped.append(
                SkippedFile(
                    path=rel,
                    kind=SkipKind.DUPLICATE,
                    reason=f"same URL as {seen_urls[page.url]}",
                )
            )
            continue
        seen_urls[page.url] = rel
        result.pages.append(page)
    result.snippets_resolved = parser.snippets_resolved
    result.snippets_missing = parser.snippets_missing
    return result
