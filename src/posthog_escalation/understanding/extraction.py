"""Reading a ticket: :func:`extract_signals` wires every extraction of this package together.

No model, no network: the same ticket always gives the same signals.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..models import Ticket, TriageReport
from ..playbook import Playbook, default_playbook
from .catalogue import BARE_VERSION, Catalogue, default_catalogue
from .consequences import extract_data_risks, extract_revenue, extract_scope, extract_symptoms
from .context import (
    FRAMEWORKS,
    LANGUAGES,
    extract_config_options,
    extract_dates,
    extract_links,
    extract_platforms,
    extract_region,
    extract_runtimes,
    failing_platform,
    findall_named,
)
from .error_text import extract_errors, extract_http_statuses
from .model import SdkMention, Signals, VersionChange
from .reproduction import (
    extract_event_names,
    extract_expected_actual,
    extract_flag_keys,
    extract_steps,
    missing_facts,
    reproducibility_of,
)
from .severity import extract_depth
from .versions import extract_version_changes

MAX_TEXT = 20_000


def _merge_sdks(primary: list[SdkMention], extra: list[SdkMention]) -> list[SdkMention]:
    merged = {s.package: s for s in primary}
    for sdk in extra:
        current = merged.get(sdk.package)
        if current is None:
            merged[sdk.package] = sdk
        elif sdk.version and not current.version:
            merged[sdk.package] = current.model_copy(update={"version": sdk.version})
    return list(merged.values())


def _fill_versions(
    text: str, sdks: list[SdkMention], changes: list[VersionChange]
) -> list[SdkMention]:
    """Give a version-less SDK the version said elsewhere ("we are on version 3.3.7")."""
    out = []
    main = [s for s in sdks if not s.plugin]
    for sdk in sdks:
        if sdk.version is None:
            change = next((c for c in changes if c.package == sdk.package and c.first_bad), None)
            if change:
                sdk = sdk.model_copy(update={"version": change.first_bad})
            elif len(main) == 1 and sdk is main[0]:
                bare = BARE_VERSION.search(text)
                if bare:
                    sdk = sdk.model_copy(update={"version": bare.group("v")})
        out.append(sdk)
    return out


_RUNTIME_BEFORE = re.compile(
    r"\b(?:chrome|safari|firefox|edge|ios|ipados|android|macos|mac os x?|windows|linux|node"
    r"(?:\.js)?|python|ruby|php|go|java|kotlin|swift|dart|xcode|gradle|expo(?: sdk)?|flutter|"
    r"react native|next\.js|browser|os|app|plugin|server|helm|chart|posthog)\W{0,3}$",
    re.IGNORECASE,
)


def stated_version(text: str) -> str | None:
    """A version the ticket states on its own ("### Version\n\n3.20.1", "we are on version
    3.3.7"), unless a browser, system, runtime or app names it ("Chrome Version 127.0.1")."""
    for match in BARE_VERSION.finditer(text):
        if not _RUNTIME_BEFORE.search(text[max(0, match.start() - 24) : match.start()]):
            return match.group("v")
    return None


def implied_sdk(
    text: str,
    sdks: list[SdkMention],
    platforms: list[str],
    languages: list[str],
    failing: str | None,
    catalogue: Catalogue,
) -> SdkMention | None:
    """The SDK a ticket that names none points at by its platform or language."""
    if sdks:
        return None
    entry = catalogue.implied(platforms, languages, failing)
    if entry is None:
        return None
    return SdkMention(
        package=entry.package,
        written_as=entry.package,
        version=stated_version(text),
        lib=entry.lib,
        family=entry.family,
        repo=entry.repo,
        cue="implied",
    )


_BLOCK_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d+[.)][ \t]|```|\|))")
"""Where a paragraph, a heading, a list item, a code fence or a table row begins: a
sentence never runs across one."""
_HEADING_LINE = re.compile(r"(?m)^([ \t]*#{1,6}[ \t][^\n]*)\n")


def sentence_with(text: str, phrase: str) -> str:
    """The sentence of ``text`` that contains ``phrase`` (the phrase itself if absent),
    within its paragraph, heading or list item."""
    text = _HEADING_LINE.sub(r"\1\n\n", text)
    blocks = [" ".join(b.split()) for b in _BLOCK_BREAK.split(text)]
    wanted = " ".join(phrase.split()).lower()
    flat = next((b for b in blocks if wanted in b.lower()), " ".join(text.split()))
    flat = re.sub(r"^#{1,6}\s+", "", flat)
    at = flat.lower().find(wanted)
    if at == -1:
        return phrase
    starts = [flat.rfind(mark, 0, at) for mark in (". ", "! ", "? ", ": ")]
    start = max(starts) + 2 if max(starts) != -1 else 0
    ends = [
        i for i in (flat.find(mark, at + len(wanted)) for mark in (". ", "! ", "? ")) if i != -1
    ]
    end = min(ends) + 1 if ends else len(flat)
    return flat[start:end].strip()


def extract_signals(
    ticket: Ticket,
    triage: TriageReport | None = None,
    *,
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
    playbook: Playbook | None = None,
) -> Signals:
    """Read the facts an escalation needs from a ticket, without a model.

    Args:
        ticket: The support ticket.
        triage: The triage report; its SDK and platform hints and product area are used.
        now: The reference time for relative dates; the ticket's ``created_at`` (or its
            last message time) when omitted. Relative dates stay unresolved when neither
            is known.
        catalogue: The SDK catalogue (the packaged one when omitted).
        playbook: Its severity cues decide the depth (the packaged one when omitted).

    Returns:
        The extracted :class:`Signals`.
    """
    catalogue = catalogue or default_catalogue()
    text = ticket.full_text()[:MAX_TEXT]
    flat = " ".join(text.split())
    reference = (
        now
        or ticket.created_at
        or next((m.time for m in reversed(ticket.messages) if m.time), None)
    )
    today = reference.date() if reference else None

    sdks = catalogue.find(text, "ticket")
    hint_text = ""
    if triage is not None:
        hint_text = "\n".join([*triage.sdk_hints, *triage.platform_hints])
        sdks = _merge_sdks(sdks, catalogue.find(hint_text, "triage"))
    changes = extract_version_changes(text, sdks)
    sdks = _fill_versions(text, sdks, changes)
    errors = extract_errors(text)
    platforms = extract_platforms(text, sdks, triage.platform_hints if triage else [])
    languages = findall_named(flat, LANGUAGES)
    failing = failing_platform(text)
    implied = implied_sdk(text, sdks, platforms, languages, failing, catalogue)
    region, region_evidence = extract_region(flat, ticket)
    links = extract_links(text, ticket)
    dates = extract_dates(flat, today)
    starts = [d.date for d in dates if d.marks_start and d.date]
    expected, actual = extract_expected_actual(text)
    return Signals(
        ticket_id=ticket.id,
        subject=ticket.subject,
        text=text,
        sdks=sdks,
        version_changes=changes,
        errors=errors,
        http_statuses=extract_http_statuses(flat),
        platforms=platforms,
        failing_platform=failing,
        implied_sdk=implied,
        frameworks=findall_named(flat + "\n" + hint_text, FRAMEWORKS),
        languages=languages,
        runtimes=extract_runtimes(flat),
        region=region,
        region_evidence=region_evidence,
        config_options=extract_config_options(text),
        links=links,
        dates=dates,
        started_on=min(starts) if starts else None,
        scope=extract_scope(flat),
        depth=extract_depth(flat, (playbook or default_playbook()).severity_cues),
        revenue=extract_revenue(flat, ticket),
        data_risks=extract_data_risks(flat),
        symptoms=extract_symptoms(flat),
        event_names=extract_event_names(text),
        flag_keys=extract_flag_keys(text),
        reproduction_steps=extract_steps(text),
        expected=expected,
        actual=actual,
        reproducibility=reproducibility_of(flat),
        product_area=triage.product_area if triage else None,
        missing=missing_facts(
            text, [*sdks, *([implied] if implied else [])], platforms, links, errors
        ),
    )
