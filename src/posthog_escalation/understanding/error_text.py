"""Errors and stack traces quoted in a ticket, with the phrases worth searching for."""

from __future__ import annotations

import re
from typing import Literal

from .model import ErrorSignal

_ERROR_TYPE = (
    r"(?:[A-Za-z_][\w$]*\.)*(?:[A-Z][\w$]*(?:Error|Exception|Fault|Timeout)|Error|Exception|"
    r"[A-Z][a-z]+[A-Z]?[a-z]*(?:Invalid|Denied|Failure|Failed)|"
    r"Uncaught(?: \(in promise\))?|Fatal error|fatal error|Fatal Exception|Unhandled Exception|"
    r"panic|PANIC|FATAL EXCEPTION|SIGABRT|SIGSEGV|EXC_BAD_ACCESS|EXC_CRASH)"
)
_ERROR_LINE = re.compile(
    rf"(?<![\w$.])(?P<type>{_ERROR_TYPE})(?::|\s+-)\s*(?P<message>[^\n`]{{3,300}})",
)
"""An error type starts where a word starts: tried from inside a long word or dotted
name, the type's nested repetition would make a long line cost quadratic time."""
_ERROR_STANDALONE = re.compile(
    r"\b(?P<type>EXC_BAD_ACCESS|SIGABRT|SIGSEGV|ANR|OutOfMemoryError|StackOverflowError|"
    r"NSInvalidArgumentException|NSInternalInconsistencyException)\b"
)
_ERROR_PHRASES = re.compile(
    r"(?P<message>Maximum call stack size exceeded|Failed to fetch|Network request failed|"
    r"Script error\.|ResizeObserver loop (?:limit exceeded|completed with undelivered "
    r"notifications)|Cannot read propert(?:y|ies) of (?:undefined|null)(?: \(reading '[^']+'\))?|"
    r"undefined is not an object(?: \(evaluating '[^']+'\))?|"
    r"(?<![\w$.])[\w$.]{1,120} is not a function|(?<![\w$.])[\w$.]{1,120} is not defined|"
    r"Minified React error #\d+|ChunkLoadError[^\n]{0,80}|"
    r"CORS (?:policy|error)[^\n]{0,100}|net::ERR_[A-Z_]+|"
    r"Unknown (?:function|table|field)[^\n]{0,80}|"
    r"Refused to (?:load|execute|connect|apply|frame|create)[^\n]{0,300}|"
    r"(?:Unable to|Failed to|Could not|Couldn't) [^\n:.]{3,80}: [^\s.,;]+)"
)
_FRAME = re.compile(
    r"^\s*(?:at\s+\S.*|File \"[^\"]+\", line \d+.*|#\d+\s+\S.*|\d+\s+\S+\s+0x[0-9a-f]+.*|"
    r"[\w$.<>]+\([\w$.]+:\d+(?::\d+)?\).*|\S+\.(?:js|ts|tsx|mjs|dart|kt|java|swift|py|go|rb)"
    r":\d+.*)$"
)
_IGNORE_MESSAGES = re.compile(
    r"^(?:s?\)?\s*$|handling|tracking|message|messages|rate|logs?\b|reporting|boundary)",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(
    r"(?<![\w$.])(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[a-z]+[A-Z][\w$]*|"
    r"[A-Z][A-Z0-9]*_[A-Z0-9_]+|E[A-Z]{5,})(?![\w$])"
)
_NOT_IDENTIFIER_TAIL = frozenset(
    [
        "com",
        "io",
        "net",
        "org",
        "dev",
        "app",
        "co",
        "uk",
        "de",
        "fr",
        "eu",
        "js",
        "mjs",
        "cjs",
        "ts",
        "tsx",
        "jsx",
        "py",
        "kt",
        "java",
        "swift",
        "dart",
        "rb",
        "go",
        "php",
        "html",
        "css",
        "json",
        "map",
    ]
)
GENERIC_ERROR_TYPES = frozenset(
    [
        "Error",
        "Exception",
        "TypeError",
        "ReferenceError",
        "RangeError",
        "SyntaxError",
        "ValueError",
        "KeyError",
        "AttributeError",
        "RuntimeError",
        "AssertionError",
        "IndexError",
        "NullPointerException",
        "IllegalStateException",
        "IllegalArgumentException",
        "Fatal error",
        "fatal error",
        "Fatal Exception",
        "FATAL EXCEPTION",
        "Uncaught",
        "Uncaught (in promise)",
        "Unhandled Exception",
        "panic",
        "PANIC",
    ]
)
_FAILURE_WORDS = re.compile(
    r"\b(?:fail\w*|error|errors|denied|invalid|unable|cannot|can'?t|couldn'?t|not found|"
    r"refused|exceed\w*|time[sd]? ?out|timeout|missing|unknown|unauthori[sz]ed|forbidden|"
    r"expired|blocked|no data|went wrong|not allowed|too many|limit)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"(?<![\w=])(?:'([^'\n]{6,160})'|\"([^\"\n]{6,160})\"|“([^”\n]{6,160})”)")


def _identifiers(message: str) -> list[str]:
    found = []
    for match in _IDENTIFIER.finditer(re.sub(r"https?://\S+", " ", message)):
        ident = match.group(0)
        parts = ident.split(".")
        if len(parts) > 1 and parts[-1].lower() in _NOT_IDENTIFIER_TAIL:
            continue
        while len(parts) > 1 and len(parts[0]) <= 2:
            parts = parts[1:]
        ident = ".".join(parts)
        if len(ident) >= 8:
            found.append(ident)
    return sorted(dict.fromkeys(found), key=len, reverse=True)


def _plain_segment(message: str) -> str:
    """The longest run of plain words in a message: URLs, long quoted strings, numbers
    and addresses split it, and sentences and ``key: value`` parts end a run."""
    text = re.sub(r"['\"]?https?://[^\s'\"]+['\"]?", "|", message)
    text = re.sub(r"\"[^\"]*\"|'[^'\s]*\s[^']*'|'[^']{41,}'", "|", text)
    text = re.sub(r"(?<![\w.])\d[\d.:x/-]*(?![\w])", "|", text)
    segments = re.split(r"\||: |\. |[()\[\]{}]|;", text)
    best: list[str] = []
    for segment in segments:
        words = segment.strip(" .,:'\"`").split()
        if len(words) > len(best):
            best = words
    return " ".join(best[:10]) if len(best) >= 3 else ""


def _search_phrases(type_: str | None, message: str) -> list[str]:
    """The parts of an error most likely written the same way in another report.

    Minified names differ between builds (``n.adoptedStyleSheets`` here, ``t.`` there),
    so a dotted chain loses its one-letter head. In order: the longest distinctive
    identifier, the longest plain-words run of the message, and the exception type when
    it is not a generic one (``ObjectDisposedException``, not ``TypeError``).
    """
    phrases: list[str] = []
    identifiers = _identifiers(message)
    if identifiers:
        phrases.append(identifiers[0])
    segment = _plain_segment(message)
    if segment:
        phrases.append(segment)
    if type_ and type_ not in GENERIC_ERROR_TYPES:
        short = type_.split(".")[-1]
        if short not in GENERIC_ERROR_TYPES and len(short) >= 6:
            phrases.append(short)
    if not phrases and message:
        words = message.strip(" .:'\"`").split()
        if len(words) >= 2:
            phrases.append(" ".join(words[:10]))
    return list(dict.fromkeys(phrases))


_PROSE_AFTER = re.compile(
    r"[.!?]\s+(?=(?:We|I|It|This|That|The|Our|My|Any|Can|Could|Please|Is|Are|Also|Since|"
    r"When|But|And|So|Then|Now|Thanks|Only|Other|Here|There|Not|No|Happens|Seems)\b)"
)


def _trim_message(message: str) -> str:
    """The error message without the customer's prose that follows it on the line."""
    cut = _PROSE_AFTER.search(message)
    if cut:
        message = message[: cut.start() + 1]
    return message.strip().rstrip("`'\".,;")


def _frames_around(lines: list[str], index: int) -> list[str]:
    """The stack frames right after an error line, or (Python) right before it."""
    return _frames_after(lines, index) or _frames_before(lines, index)


def _frames_before(lines: list[str], index: int) -> list[str]:
    frames: list[str] = []
    for line in reversed(lines[max(0, index - 12) : index]):
        if _FRAME.match(line):
            frames.append(" ".join(line.split())[:200])
        elif not line.strip() or "Traceback" in line or not line.startswith((" ", "\t")):
            break
    return list(reversed(frames[:4]))


def _frames_after(lines: list[str], index: int) -> list[str]:
    frames: list[str] = []
    for line in lines[index + 1 : index + 12]:
        if _FRAME.match(line):
            frames.append(" ".join(line.split())[:200])
            if len(frames) == 4:
                break
        elif frames:
            break
    return frames


def extract_errors(text: str) -> list[ErrorSignal]:
    errors: list[ErrorSignal] = []
    seen: set[str] = set()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        for match in _ERROR_LINE.finditer(line):
            type_ = match.group("type")
            message = _trim_message(match.group("message"))
            if _IGNORE_MESSAGES.match(message) or (
                type_.lower() in {"error", "exception"} and len(message.split()) < 2
            ):
                continue
            if (
                type_ in {"Error", "Exception"}
                and match.start() > 0
                and line[match.start() - 1].isalnum()
            ):
                continue
            _add_error(errors, seen, type_, message, _frames_around(lines, index))
        for match in _ERROR_STANDALONE.finditer(line):
            _add_error(errors, seen, match.group("type"), "", _frames_around(lines, index))
        for match in _ERROR_PHRASES.finditer(line):
            message = match.group("message").strip().rstrip(".,;")
            if any(message in e.text for e in errors):
                continue
            _add_error(errors, seen, None, message, _frames_around(lines, index))
    for match in _QUOTED.finditer(text):
        quoted = next(g for g in match.groups() if g).strip()
        if (
            len(quoted.split()) >= 2
            and _FAILURE_WORDS.search(quoted)
            and not re.search(r"[=(){};<>]|https?://", quoted)
            and not any(quoted.lower() in e.text.lower() for e in errors)
        ):
            _add_error(errors, seen, None, quoted.rstrip("."), [], "quoted")
    return errors


def _add_error(
    errors: list[ErrorSignal],
    seen: set[str],
    type_: str | None,
    message: str,
    frames: list[str],
    source: Literal["line", "quoted"] = "line",
) -> None:
    text = f"{type_}: {message}" if type_ and message else (type_ or message)
    text = text[:300]
    key = text.lower()
    if key in seen or any(key in s for s in seen):
        return
    seen.add(key)
    phrases = _search_phrases(type_, message) if message else [type_ or ""]
    errors.append(
        ErrorSignal(
            text=text,
            type=type_,
            message=message,
            frames=frames,
            key_phrase=phrases[0] if phrases else "",
            search_phrases=[p for p in phrases if p],
            source=source,
        )
    )


_HTTP_STATUS = re.compile(
    r"(?:\b(?:HTTP|status(?: code)?|returns?|returned|returning|got|getting|with|a|an|"
    r"response)\s*:?\s*|\()(?P<code>[45]\d\d)\b(?!\)?\s*\d)"
    r"(?!\s*(?:ms|MB|KB|users|events|orgs|seats|%))"
    r"|\b(?P<code2>[45]\d\d)\s+(?:error|errors|Internal Server Error|Bad Gateway|"
    r"Service Unavailable|Gateway Time-?out|Too Many Requests|Forbidden|Unauthorized|"
    r"Not Found|Payload Too Large|Bad Request)\b",
    re.IGNORECASE,
)


def extract_http_statuses(text: str) -> list[int]:
    codes = []
    for match in _HTTP_STATUS.finditer(text):
        code = int(match.group("code") or match.group("code2"))
        codes.append(code)
    return list(dict.fromkeys(codes))
