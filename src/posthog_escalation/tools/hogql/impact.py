"""The standard impact queries: who, how many, since when, which versions, growing or not.

A *signature* is a HogQL boolean expression over ``events`` (``event = '$exception' AND
properties.$exception_message ILIKE '%adoptedStyleSheets%'``). :func:`impact_summary`
runs one round of parallel queries for a window, then the session shares since the
problem started (its first matching event), and returns every figure together with the
exact HogQL that produced it, so each number can be cited as evidence. Only
:meth:`HogQLBackend.query` is used, so it works the same on PostHog and the embedded world.

Two kinds of project are queried. A *cross-customer* project holds every customer's
events with ``$group_0`` as the customer's organization (PostHog's own view; the embedded
worlds are built that way): there organizations are counted, and their name, plan, seats
and ARR come from the ``groups`` table. A *customer's own* project holds one customer's
events; there ``$group_0`` is whatever that customer made group type 0, so
``impact_summary(..., cross_customer=False)`` leaves organizations out.
:func:`customer_impact` measures the reporting customer's own share of sessions in
either kind.

The trend is a stated test (:func:`daily_trend`), not a ratio of two days.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import anyio

from ...errors import EscalationError, InputError
from .backend import HogQLBackend
from .models import (
    CustomerImpact,
    DayCount,
    EnvironmentShare,
    HogQLResponse,
    ImpactFigure,
    ImpactSummary,
    OrgImpact,
    OrgSessionShare,
    Trend,
    VersionShare,
)
from .spec import resolve_time
from .translate import validate_expression

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=14)
TREND_MIN_DAYS = 4
"""Full days needed before a trend is called growing or shrinking."""
TREND_MIN_CHANGE = 0.25
"""The fitted change over the tested days must reach this share of the median day."""
TREND_HALF_CHANGE = 0.1
"""The fitted change over each half must reach this share of the median day to count."""
TREND_RULE = (
    "growing or shrinking only when the least-squares slope over the full days since the "
    "start and the slopes over their first and second halves all share that sign, each "
    "half changing by at least a tenth of the median day and the whole by at least a "
    "quarter; otherwise steady at about the median day"
)
MAX_FIGURE_ROWS = 50


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _window(since: datetime, until: datetime) -> str:
    return f"timestamp >= toDateTime('{_ts(since)}') AND timestamp < toDateTime('{_ts(until)}')"


def impact_queries(
    signature: str,
    since: datetime,
    until: datetime,
    start: datetime | None = None,
    *,
    cross_customer: bool = True,
) -> dict[str, str]:
    """The HogQL of each impact query, by name (all over ``[since, until)``).

    Args:
        signature: A HogQL boolean expression over ``events``.
        since: Window start.
        until: Window end (exclusive).
        start: When the problem started (its first matching event): the session shares
            (``org_sessions``) are split at it into since-start and baseline. Without it
            ``org_sessions`` is left out, since it cannot be split yet.
        cross_customer: Whether ``$group_0`` is the customer's organization; without it
            the organization queries (``top_orgs``, ``org_sessions``) are left out and
            ``totals`` does not count organizations.
    """
    sig = f"({signature.strip()})"
    window = _window(since, until)
    orgs = "  uniqExactIf($group_0, $group_0 != '') AS orgs,\n" if cross_customer else ""
    day_orgs = ", uniqExactIf($group_0, $group_0 != '') AS orgs" if cross_customer else ""
    queries = {
        "totals": (
            "SELECT count() AS events, uniqExact(person_id) AS persons,\n"
            f"{orgs}"
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
            f"  uniqExact(person_id) AS persons{day_orgs}\n"
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
    }
    if not cross_customer:
        del queries["top_orgs"]
    elif start is not None:
        after = f"timestamp >= toDateTime('{_ts(start)}')"
        before = f"timestamp < toDateTime('{_ts(start)}')"
        queries["org_sessions"] = (
            "SELECT $group_0 AS org,\n"
            f"  uniqExactIf($session_id, {sig} AND {after}) AS affected_sessions,\n"
            f"  uniqExactIf($session_id, {after}) AS sessions,\n"
            f"  uniqExactIf($session_id, {sig} AND {before}) AS baseline_affected_sessions,\n"
            f"  uniqExactIf($session_id, {before}) AS baseline_sessions\n"
            f"FROM events\nWHERE {window} AND $session_id != ''\n"
            "  AND $group_0 IN (\n"
            f"    SELECT $group_0 FROM events WHERE {sig}\n      AND {window}\n  )\n"
            "GROUP BY org\nORDER BY affected_sessions DESC, org\nLIMIT 50"
        )
    return queries


def customer_queries(
    signature: str,
    since: datetime,
    until: datetime,
    start: datetime | None = None,
    *,
    org_key: str | None = None,
) -> dict[str, str]:
    """The HogQL of :func:`customer_impact`: ``first_seen`` (when the customer's problem
    started) and, once ``start`` is known, ``shares`` (its sessions since then and before).

    ``org_key`` filters a cross-customer project to the customer's organization; leave it
    out for the customer's own project.
    """
    sig = f"({signature.strip()})"
    window = _window(since, until)
    org = f" AND $group_0 = '{_quote(org_key)}'" if org_key is not None else ""
    queries = {
        "first_seen": (
            "SELECT min(timestamp) AS first_seen, count() AS events\n"
            f"FROM events\nWHERE {sig}\n  AND {window}{org}"
        )
    }
    if start is not None:
        after = f"timestamp >= toDateTime('{_ts(start)}')"
        before = f"timestamp < toDateTime('{_ts(start)}')"
        session = "$session_id != ''"
        queries["shares"] = (
            f"SELECT countIf({sig}) AS events,\n"
            f"  uniqExactIf(person_id, {sig}) AS persons,\n"
            f"  uniqExactIf($session_id, {sig} AND {session} AND {after}) AS affected_sessions,\n"
            f"  uniqExactIf($session_id, {session} AND {after}) AS sessions,\n"
            f"  uniqExactIf($session_id, {sig} AND {session} AND {before})"
            " AS baseline_affected_sessions,\n"
            f"  uniqExactIf($session_id, {session} AND {before}) AS baseline_sessions\n"
            f"FROM events\nWHERE {window}{org}"
        )
    return queries


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


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


def full_days(first_seen: datetime, until: datetime) -> list[date]:
    """The whole UTC days from ``first_seen`` to ``until``: a first day that starts after
    midnight and a last day cut by ``until`` are partial and left out."""
    first = first_seen.date()
    if first_seen.astimezone(UTC).time() != datetime.min.time():
        first += timedelta(days=1)
    last = until.astimezone(UTC).date() - timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _slope(values: list[int]) -> float:
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    den = sum((x - mean_x) ** 2 for x in range(n))
    return num / den if den else 0.0


def daily_trend(
    per_day: dict[date, int], first_seen: datetime | None, until: datetime
) -> Trend | None:
    """The trend of the daily counts since ``first_seen``, by :data:`TREND_RULE`.

    Days without a count are zero. Returns None when nothing was seen.
    """
    if first_seen is None:
        return None
    days = full_days(first_seen, until)
    counts = [per_day.get(d, 0) for d in days]
    if not counts:
        return Trend(word="too few days")
    median = sorted(counts)[(len(counts) - 1) // 2]
    if len(counts) < TREND_MIN_DAYS:
        return Trend(word="too few days", per_day=median, days=days, counts=counts)
    half = (len(counts) + 1) // 2
    slope, first, second = _slope(counts), _slope(counts[:half]), _slope(counts[-half:])
    scale = max(median, 1)

    def sign(value: float, span: int, share: float) -> int:
        if abs(value * (span - 1)) < share * scale:
            return 0
        return 1 if value > 0 else -1

    signs = {
        sign(slope, len(counts), TREND_MIN_CHANGE),
        sign(first, half, TREND_HALF_CHANGE),
        sign(second, half, TREND_HALF_CHANGE),
    }
    word: Literal["growing", "shrinking", "steady"] = "steady"
    if signs == {1}:
        word = "growing"
    elif signs == {-1}:
        word = "shrinking"
    return Trend(
        word=word,
        per_day=median,
        days=days,
        counts=counts,
        slope=round(slope, 1),
        first_half_slope=round(first, 1),
        second_half_slope=round(second, 1),
    )


def trend_phrase(trend: Trend, unit: str = "a day") -> str:
    """The trend in words, with the numbers the test used."""
    n = len(trend.counts)
    days = f"{n} full day{'s' if n != 1 else ''}"
    if trend.word == "too few days":
        if not n:
            return "no full day since it started, too soon to call a trend"
        return f"about {trend.per_day} {unit} over {days}, too few to call a trend"
    if trend.word == "steady":
        return f"steady at about {trend.per_day} {unit} ({days})"
    step = abs(trend.slope or 0.0)
    return f"{trend.word} by about {step:g} {unit} each day ({days}; median {trend.per_day})"


def _window_times(
    clock: datetime, since: datetime | str | None, until: datetime | str | None
) -> tuple[datetime, datetime]:
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
    return start, end


async def _run_all(
    backend: HogQLBackend, queries: dict[str, str]
) -> tuple[dict[str, HogQLResponse], dict[str, EscalationError]]:
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
    return answers, failures


async def impact_summary(
    backend: HogQLBackend,
    signature: str,
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    now: datetime | None = None,
    cross_customer: bool = True,
) -> ImpactSummary:
    """Quantify a signature over a window.

    One round of parallel HogQL queries (totals, organizations, per day, versions,
    environments), then — in a cross-customer project, once the first matching event is
    known — the share of the affected organizations' sessions since then, with the
    window before it as the baseline.

    Args:
        backend: Where to query (PostHog or an embedded world).
        signature: A HogQL boolean expression over ``events``.
        since: Window start (datetime, ISO text or relative like ``-7d``); default
            ``until - 14 days``.
        until: Window end (exclusive); default ``now``.
        now: The clock for relative times; default the backend's clock, else wall time.
        cross_customer: True when ``$group_0`` is the customer's organization (a
            cross-customer project or an embedded world); False for a customer's own
            project, where organizations are not counted.

    Raises:
        QueryError: The signature is not a valid HogQL condition, or the main query failed.
        InputError: The window is empty or a time is unreadable.
    """
    validate_expression(signature)
    clock = now or getattr(backend, "now", None) or datetime.now(UTC)
    start, end = _window_times(clock, since, until)
    queries = impact_queries(signature, start, end, cross_customer=cross_customer)
    answers, failures = await _run_all(backend, queries)
    if "totals" in failures:
        raise failures["totals"]
    summary = ImpactSummary(
        signature=signature,
        since=start,
        until=end,
        backend=backend.description,
        cross_customer=cross_customer,
    )
    builders: dict[str, Callable[[ImpactSummary, HogQLResponse, str], None]] = {
        "totals": _totals,
        "top_orgs": _top_orgs,
        "events_per_day": _per_day,
        "versions": _versions,
        "environments": _environments,
    }
    for name, build in builders.items():
        if name in answers:
            build(summary, answers[name], queries[name])
        elif name in failures:
            summary.errors.append(f"{name}: {failures[name].one_line()}")
    if cross_customer and summary.first_seen is not None:
        split = impact_queries(signature, start, end, summary.first_seen)["org_sessions"]
        answers, failures = await _run_all(backend, {"org_sessions": split})
        if "org_sessions" in answers:
            _org_sessions(summary, answers["org_sessions"], split)
        else:
            summary.errors.append(f"org_sessions: {failures['org_sessions'].one_line()}")
    return summary


async def customer_impact(
    backend: HogQLBackend,
    signature: str,
    *,
    since: datetime,
    until: datetime,
    org_key: str | None = None,
) -> CustomerImpact:
    """The reporting customer's own figures for a signature.

    First when its problem started (its first matching event in the window), then its
    sessions since then against the window before it (the baseline), its affected
    persons and events.

    Args:
        backend: The customer's own project, or a cross-customer project.
        signature: A HogQL boolean expression over ``events``.
        since: Window start.
        until: Window end (exclusive).
        org_key: The customer's organization (``$group_0``) in a cross-customer
            project; None for the customer's own project.

    Raises:
        QueryError: The signature is not a valid HogQL condition, or a query failed.
    """
    validate_expression(signature)
    found = customer_queries(signature, since, until, org_key=org_key)
    first = await backend.query(found["first_seen"])
    row = first.rows()[0] if first.results else {}
    started = _time(row.get("first_seen")) if _num(row.get("events")) else None
    result = CustomerImpact(backend=backend.description, org_key=org_key, since=since, until=until)
    if started is None:
        result.hogql = found["first_seen"]
        result.columns, result.rows = list(first.columns), [list(r) for r in first.results]
        return result
    hogql = customer_queries(signature, since, until, started, org_key=org_key)["shares"]
    answer = await backend.query(hogql)
    shares = answer.rows()[0] if answer.results else {}
    hit, total = int(_num(shares.get("affected_sessions"))), int(_num(shares.get("sessions")))
    before = int(_num(shares.get("baseline_affected_sessions")))
    before_total = int(_num(shares.get("baseline_sessions")))
    result.started_at = started
    result.affected_events = int(_num(shares.get("events")))
    result.affected_persons = int(_num(shares.get("persons")))
    result.affected_sessions, result.sessions = hit, total
    result.share = round(hit / total, 4) if total else None
    result.baseline_affected_sessions, result.baseline_sessions = before, before_total
    result.baseline_share = round(before / before_total, 4) if before_total else None
    result.hogql = found["first_seen"] + ";\n\n" + hogql
    result.columns = list(first.columns) + list(answer.columns)
    result.rows = [list(first.results[0]) + list(answer.results[0])] if answer.results else []
    return result


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
    names = ["affected_events", "affected_persons", "affected_orgs", "affected_sessions"]
    if not summary.cross_customer:
        names.remove("affected_orgs")
    for name in names:
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
    counts = {d.day: d.events for d in summary.events_per_day}
    summary.trend = daily_trend(counts, summary.first_seen, summary.until)
    summary.growing = summary.trend is not None and summary.trend.word == "growing"
    _figure(
        summary,
        "events_per_day",
        {d.day.isoformat(): d.events for d in summary.events_per_day},
        hogql,
        response,
    )
    _figure(summary, "growing", summary.growing, hogql, response)
    trend = summary.trend.model_dump(mode="json") if summary.trend else None
    _figure(summary, "trend", trend, hogql, response)


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
    affected = total = affected_before = total_before = 0
    for row in response.rows():
        hit, sessions = int(_num(row.get("affected_sessions"))), int(_num(row.get("sessions")))
        hit_before = int(_num(row.get("baseline_affected_sessions")))
        before = int(_num(row.get("baseline_sessions")))
        key = str(row.get("org"))
        summary.org_sessions.append(
            OrgSessionShare(
                key=key,
                name=names.get(key),
                affected_sessions=hit,
                sessions=sessions,
                share=round(hit / sessions, 4) if sessions else 0.0,
                baseline_affected_sessions=hit_before,
                baseline_sessions=before,
                baseline_share=round(hit_before / before, 4) if before else None,
            )
        )
        affected, total = affected + hit, total + sessions
        affected_before, total_before = affected_before + hit_before, total_before + before
    summary.session_share = round(affected / total, 4) if total else None
    summary.baseline_session_share = (
        round(affected_before / total_before, 4) if total_before else None
    )
    _figure(
        summary, "org_sessions", [o.model_dump() for o in summary.org_sessions], hogql, response
    )
    _figure(summary, "session_share", summary.session_share, hogql, response)
