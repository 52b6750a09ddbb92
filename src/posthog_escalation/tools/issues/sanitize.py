"""Make GitHub issue text safe to show to a model or a terminal.

Issue titles and bodies are written by anyone. Before they reach a model they lose what
a reader cannot see but a model can: HTML comments and tags, invisible and
zero-width characters, bidirectional controls, Unicode tag characters (which can spell
out hidden ASCII), variation selectors and other format or control characters. What
remains is the visible text, bounded in length.
"""

from __future__ import annotations

import html
import re
import unicodedata

MAX_BODY = 6000
MAX_TITLE = 300

_HIDDEN_BLOCKS = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|template|noscript|iframe|object|embed|svg|math)\b"
    r"[^>]*>.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_TAG_NAMES = (
    "a|abbr|article|aside|audio|b|base|bdi|bdo|blockquote|body|br|button|caption|center|cite|"
    "code|col|colgroup|dd|del|details|dfn|div|dl|dt|em|embed|figcaption|figure|font|footer|"
    "form|g-emoji|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|"
    "mark|math|meta|nav|noscript|object|ol|option|p|param|path|picture|pre|q|rp|rt|ruby|s|samp|"
    "script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|"
    "tbody|td|template|textarea|tfoot|th|thead|title|tr|tt|u|ul|var|video|wbr"
)
_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_MD_COMMENT = re.compile(
    r"^[ \t]*\[(?://|comment)\]:[ \t]*#[ \t]*(?:\(.*\)|\".*\"|'.*')[ \t]*(?:\n|$)", re.MULTILINE
)
_KEEP_CONTROLS = {"\n", "\t"}


def _visible(char: str) -> bool:
    if char in _KEEP_CONTROLS:
        return True
    code = ord(char)
    if 0xE0000 <= code <= 0xE007F:  # tag characters
        return False
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False
    if code in (0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800):  # fillers that render blank
        return False
    category = unicodedata.category(char)
    # Cc: control, Cf: format (zero-width, bidi controls, soft hyphen, BOM),
    # Co: private use, Cs: surrogates, Cn: unassigned.
    return category not in {"Cc", "Cf", "Co", "Cs", "Cn"}


def strip_invisible(text: str) -> str:
    """Drop invisible, bidirectional-control, tag and other non-printing characters."""
    return "".join(ch for ch in text if _visible(ch))


def strip_html(text: str) -> str:
    """Drop HTML comments, script-like blocks and tags; keep the text between tags.

    Only real HTML tag names are removed, so code such as ``Promise<void>`` survives.
    """
    text = _HIDDEN_BLOCKS.sub("", text)
    text = _MD_COMMENT.sub("", text)
    return _TAG.sub("", text)


def sanitize_text(text: str | None, *, limit: int = MAX_BODY) -> str:
    """Visible text only, bounded to ``limit`` characters.

    Entities are decoded and the text is cleaned again until it stops changing, so an
    entity cannot smuggle a tag or an invisible character past the first pass.
    """
    if not text:
        return ""
    current = unicodedata.normalize("NFKC", text.replace("\r\n", "\n"))
    for _ in range(4):
        cleaned = strip_invisible(strip_html(current))
        decoded = html.unescape(cleaned)
        if decoded == current:
            break
        current = decoded
    current = strip_invisible(strip_html(current))
    current = re.sub(r"[ \t]+\n", "\n", current)
    current = re.sub(r"\n{3,}", "\n\n", current).strip()
    if len(current) > limit:
        current = current[:limit].rstrip() + " …[truncated]"
    return current


def sanitize_title(text: str | None) -> str:
    """A title: visible text on one line, bounded."""
    return " ".join(sanitize_text(text, limit=MAX_TITLE).split())
