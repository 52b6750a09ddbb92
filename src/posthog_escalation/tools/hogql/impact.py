"""The standard impact queries: who, how many, since when, which versions, growing or not.

A *signature* is a HogQL boolean expression over ``events`` (``event = '$exception' AND
properties.$exception_message ILIKE '%adoptedStyleSheets%'``). :func:`impact_summary`
runs one round of parallel queries for a window and returns every figure together with
the exact HogQL that produced it, so each number can be cited as evidence. Only
:meth:`HogQLBackend.query` is used, so it works the same on PostHog and the embedded world.

Organizations are PostHog groups of type ``organization`` (``$group_0``); their name,
plan, seats and ARR come from the ``groups`` table's properties.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio

from ...errors import EscalationError, InputError
from .backend import HogQLBackend
from .models import (
    DayCount,
    EnvironmentShare,
    HogQLResponse,
    ImpactFigure,
    ImpactSummary,
    OrgImpact,
    OrgSessionShare,
    VersionShare,
)
from .spec import resolve_time
from .translate import validate_expression

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=14)
GROWTH_THRESHOLD = 1.25
MAX_FIGURE_ROWS = 50


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def impact_queries(signature: str, since: datetime, until: datetime) -> dict[str, str]:
    """The HogQL of each impact query, by name (all over ``[since, until)``)."""
    sig = f"({signature.strip()})"
    window = f"timestamp >= toDateTime('{_ts(since)}') AND timestamp < toDateTime('{_ts(until)}')"
    return {
        "totals": (
            "SELECT count() AS events, uniqExact(person_id) AS persons,\n"
            "  uniqExactIf($group_0, $group_0 != '') AS orgs,\n"
            "  uniqExactIf($session_id, $session_id != '') AS sessions,\n"
            "  min(timestamp) AS first_seen, max(timestamp) AS last_seen\n"
            f"FROM events\nWHERE {sig}\n  AND {window}"
        ),
        "top_orgs": (
            "SELECT a.org AS org, g.properties.name AS name, g.properties.plan AS plan,\n"
            "  toFloat(g.properties.arr) AS arr, toInt(g.properties.seats) AS seats,\n"
            "  a.events AS events, a.persons AS persons\n"
            "FROM (\n"
            "  SELECT $group_0 AS org, count() AS events, uniqExact(person_id) AS persons\n"
            f"  FROM events\n  WHERE {sig}\n    AND {window} AND $group_0 != ''\n"
            "  GROUP BY org\n"
            ") AS a\n"
            "LEFT JOIN (SELECT key, properties FROM groups WHERE index = 0) AS g ON g.key = a.org\n"
            "ORDER BY events DESC, org\nLIMIT 20"
        ),
        "events_per_day": (
            "SELECT toStartOfDay(timestamp) AS day, count() AS events,\n"
            "  uniqExact(person_id) AS persons, uniqExactIf($group_0, $group_0 != '') AS orgs\n"
            f"FROM events\nWHERE {sig}\n  AND {window}\n"
            "GROUP BY day\nORDER BY day\nLIMIT 1000"
        ),
        "versions": (
            "SELECT properties.$lib AS lib, properties.$lib_version AS version,\n"
            f"  countIf({sig}) AS affected, count() AS total,\n"
            f"  minIf(timestamp, {sig}) AS first_seen\n"
            f"FROM events\nWHERE {window}\n"
            "GROUP BY lib, version\nORDER BY affected DESC, total DESC\nLIMIT 100"
        ),
        "environments": (
            "SELECT properties.$browser AS browser, properties.$os AS os,\n"
            f"  countIf({sig}) AS affected, count() AS total\n"
            f"FROM events\nWHERE {window}\n"
            "GROUP BY browser, os\nORDER BY affected DESC, total DESC\nLIMIT 100"
        ),
        "org_sessions": (
            "SELECT $group_0 AS org,\n"
            f"  uniqExactIf($session_id, {sig}) AS affected_sessions,\n"
            "  uniqExact($session_id) AS sessions\n"
            f"FROM events\nWHERE {window} AND $session_id != ''\n"
            "  AND $group_0 IN (\n"
            f"    SELECT $group_0 FROM events WHERE {sig}\n      AND {window}\n  )\n"
            "GROUP BY org\nORDER BY affected_sessions DESC, org\nLIMIT 50"
        ),
    }


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value).replace(" ", "T").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None if parsed.year <= 1970 else parsed


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _version_key(version: str | None) -> tuple[int, ...]:
    head = (version or "").split("-")[0]
    return tuple(int(p) if p.isdigit() else 0 for p in head.split("."))


def _growth(
    days: list[DayCount], first_seen: datetime | None, until: datetime
) -> tuple[bool, float | None]:
    """Compare the last full days with the first full days since the signature appeared."""
    if first_seen is None:
        return False, None
    counts: dict[date, int] = {d.day: d.events for d in days}
    first_day = first_seen.date() + timedelta(days=1)
    last_day = until.date() - timedelta(days=1)
    span = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    series = [counts.get(d, 0) for d in span]
    if len(series) < 2:
        return False, None
    k = max(1, min(3, len(series) // 2))
    early, late = sum(series[:k]) / k, sum(series[-k:]) / k
    if early == 0:
        return late > 0, None
    ratio = late / early
    return ratio >= GROWTH_THRESHOLD, round(ratio, 3)


async def impact_summary(
    backend: HogQLBackend,
    signature: str,
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    now: datetime | None = None,
) -> ImpactSummary:
    """Quantify a signature over a window with one round of parallel HogQL queries.

    Args:
        backend: Where to query (PostHog or an embedded world).
        signature: A HogQL boolean expression over ``events``.
        since: Window start (datetime, ISO text or relative like ``-7d``); default
            ``until - 14 days``.
        until: Window end (exclusive); default ``now``.
        now: The clock for relative times; default the backend's clock, else wall time.

    Raises:
        QueryError: The signature is not a valid HogQL condition, or the main query failed.
        InputError: The window is empty or a time is unreadable.
    """
    validate_expression(signature)
    clock = now or getattr(backend, "now", None) or datetime.now(UTC)
    try:
        end = resolve_time(until, clock) if until is not None else clock
        start = resolve_time(since, clock) if since is not None else end - DEFAULT_WINDOW
    except ValueError as exc:
        raise InputError(f"impact window: {exc}", "pass ISO times or offsets like -7d") from None
    if start >= end:
        raise InputError(
            f"impact window is empty ({start:%Y-%m-%dT%H:%M}Z to {end:%Y-%m-%dT%H:%M}Z)",
            "since must be before until",
        )
    queries = impact_queries(signature, start, end)
    answers: dict[str, HogQLResponse] = {}
    failures: dict[str, EscalationError] = {}

    async def run(name: str, hogql: str) -> None:
        try:
            answers[name] = await backend.query(hogql)
        except EscalationError as exc:
            failures[name] = exc

    async with anyio.create_task_group() as group:
        for name, hogql in queries.items():
            group.start_soon(run, name, hogql)
    if "totals" in failures:
        raise failures["totals"]
    summary = ImpactSummary(
        signature=signature, since=start, until=end, backend=backend.description
    )
    builders: dict[str, Callable[[ImpactSummary, HogQLResponse, str], None]] = {
        "totals": _totals,
        "top_orgs": _top_orgs,
        "events_per_day": _per_day,
        "versions": _versions,
        "environments": _environments,
        "org_sessions": _org_sessions,
    }
    for name, build in builders.items():
        if name in answers:
            build(summary, answers[name], queries[name])
        else:
            summary.errors.append(f"{name}: {failures[name].one_line()}")
    return summary


def _figure(
    summary: ImpactSummary, name: str, value: Any, hogql: str, response: HogQLResponse
) -> None:
    summary.figures.append(
        ImpactFigure(
            name=name,
            value=value,
            hogql=hogql,
            columns=list(response.columns),
            rows=[list(r) for r in response.results[:MAX_FIGURE_ROWS]],
        )
    )


def _totals(summary: ImpactSummary, response: HogQLResponse, hogql: str) -> None:
    row = response.rows()[0] if response.results else {}
    summary.affected_events = int(_num(row.get("events")))
    summary.affected_persons = int(_num(row.get("persons")))
    summary.affected_orgs = int(_num(row.get("orgs")))
    summary.affected_sessions = int(_num(row.get("sessions")))
    if summary.affected_events:
        summary.first_seen = _time(row.get("first_seen"))
        summary.last_seen = _time(row.get("last_seen"))
    for name in ("affected_events", "affected_persons", "affected_orgs", "affected_sessions"):
        _figure(summary, name, getattr(summary, name), hogql, response)
    for name in ("first_seen", "last_seen"):
        value = getattr(summary, name)
        _figure(summary, name, value.isoformat() if value else None, hogql, response)


def _top_orgs(summary: ImpactSummary, response: HogQLResponse, hogql: str) -> None:
    for row in response.rows():
        arr, seats = row.get("arr"), row.get("seats")
        summary.top_orgs.append(
            OrgImpact(
                key=str(row.get("org")),
                name=row.get("name"),
                plan=row.get("plan"),
                arr=_num(arr) if arr is not None else None,
                seats=int(_num(seats)) if seats is not None else None,
                events=int(_num(row.get("events"))),
                persons=int(_num(row.get("persons"))),
            )
        )
    _figure(summary, "top_orgs", [o.model_dump() for o in summary.top_orgs], hogql, response)


def _per_day(summary: ImpactSummary, response: HogQLResponse, hogql: str) -> None:
    for row in response.rows():
        moment = _time(row.get("day"))
        if moment is None:
            continue
        summary.events_per_day.append(
            DayCount(
                day=moment.date(),
                events=int(_num(row.get("events"))),
                persons=int(_num(row.get("persons"))),
                orgs=int(_num(row.get("orgs"))),
            )
        )
    summary.growing, summary.growth_ratio = _growth(
        summary.events_per_day, summary.first_seen, summary.until
    )
    _figure(
        summary,
        "events_per_day",
        {d.day.isoformat(): d.events for d in summary.events_per_day},
        hogql,
        response,
    )
    _figure(summary, "growing", summary.growing, hogql, response)
    _figure(summary, "growth_ratio", summary.growth_ratio, hogql, response)


def _versions(summary: ImpactSummary, response: HogQLResponse, hogql: str) -> None:
    rows = response.rows()
    affected_total = sum(_num(r.get("affected")) for r in rows) or 1.0
    for row in rows:
        affected, total = _num(row.get("affected")), _num(row.get("total"))
        summary.versions.append(
            VersionShare(
                lib=row.get("lib"),
                version=row.get("version"),
                affected_events=int(affected),
                all_events=int(total),
                share_of_affected=round(affected / affected_total, 4),
                affected_rate=round(affected / total, 4) if total else 0.0,
                first_seen=_time(row.get("first_seen")) if affected else None,
            )
        )
    hit = [v for v in summary.versions if v.affected_events]
    if hit:
        by_lib: dict[str | None, int] = {}
        for v in hit:
            by_lib[v.lib] = by_lib.get(v.lib, 0) + v.affected_events
        lib = max(by_lib, key=lambda k: by_lib[k])
        candidates = sorted(
            (v for v in hit if v.lib == lib and v.share_of_affected >= 0.05),
            key=lambda v: _version_key(v.version),
        )
        if candidates:
            summary.starts_in_version = f"{lib} {candidates[0].version}"
    _figure(
        summary, "versions", [v.model_dump(mode="json") for v in summary.versions], hogql, response
    )
    _figure(summary, "starts_in_version", summary.starts_in_version, hogql, response)


def _environments(summary: ImpactSummary, response: HogQLResponse, hogql: str) -> None:
    rows = response.rows()
    affected_total = sum(_num(r.get("affected")) for r in rows) or 1.0
    for row in rows:
        affected, total = _num(row.get("affected")), _num(row.get("total"))
        summary.environments.append(
            EnvironmentShare(
                browser=row.get("browser"),
                os=row.get("os"),
                affected_events=int(affected),
                all_events=int(total),
                share_of_affected=round(affected / affected_total, 4),
                affected_rate=round(affected / total, 4) if total else 0.0,
            )
        )
    _figure(
        summary, "environments", [e.model_dump() for e in summary.environments], hogql, response
    )


def _org_sessions(summary: ImpactSummary, response: HogQLResponse, hogql: str) -> None:
    names = {o.key: o.name for o in summary.top_orgs}
    affected = total = 0
    for row in response.rows():
        hit, sessions = int(_num(row.get("affected_sessions"))), int(_num(row.get("sessions")))
        key = str(row.get("org"))
        summary.org_sessions.append(
            OrgSessionShare(
                key=key,
                name=names.get(key),
                affected_sessions=hit,
                sessions=sessions,
                share=round(hit / sessions, 4) if sessions else 0.0,
            )
        )
        affected, total = affected + hit, total + sessions
    summary.session_share = round(affected / total, 4) if total else None
    _figure(
        summary, "org_sessions", [o.model_dump() for o in summary.org_sessions], hogql, response
    )
    _figure(summary, "session_share", summary.session_share, hogql, response)
