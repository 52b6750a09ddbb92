"""The SQL that generates a world inside ClickHouse, from a spec and its seed.

Nothing is generated row by row in Python: every random choice is a seeded hash
(``cityHash64(seed, tag, ids...)``) evaluated by ClickHouse over ``numbers()``, so the
same spec gives the same rows on any machine. The pipeline:

1. ``_stg_events``: structured base traffic. Persons are ``numbers(P)``; each person's
   organization, SDK, environment and version adoption times are pure functions of its
   index, so they are recomputed where needed instead of joined.
2. Incidents that add rows (``exception``, ``duplicate_events``) insert into
   ``_stg_events``; ``ingestion_warning`` writes ``ingestion_warnings``.
3. ``events``: the staging rows with PostHog-shaped JSON properties, minus dropped rows,
   with ``property_change``/``flag_response`` applied as the properties are written.
4. ``persons``, ``groups`` and ``sessions`` follow from the same functions.

An incident's rows are defined by one predicate (:meth:`WorldSql.incident_rows`), used
both to apply it and to count it for the ground truth.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .schema import quote_identifier, sql_string
from .spec import (
    DropEventsIncident,
    DuplicateEventsIncident,
    ExceptionIncident,
    FlagResponseIncident,
    Incident,
    IngestionWarningIncident,
    OrgSpec,
    PropertyChangeIncident,
    Where,
    WorldSpec,
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NEVER = 4_102_444_800  # 2100-01-01: an adoption time that never comes
_UNIT = 1_000_000

# Equal lengths keep (first, last) unique for the first len² persons of an org.
FIRST_NAMES = _words(
    "Dana Alex Priya Marcus Lena Tomas Aisha Kenji Sofia Mateo Hannah Omar Chloe Ravi Elena "
    "Jonas Maya Diego Ingrid Samuel Nora Felix Amara Lucas Yara Henrik Zoe Malik Clara Ivan "
    "Leila Oscar Freya Arjun Paula Emil Sana Victor Alice Kofi"
)
LAST_NAMES = _words(
    "Whitfield Novak Shah Bennett Okafor Lindqvist Moreau Tanaka Rossi Alvarez Schmidt "
    "Haddad Dubois Iyer Petrova Berg Costa Nakamura Larsen Mensah Fischer Quinn Romero "
    "Kowalski Singh Andersen Barros Hughes Keller Mbeki Olsen Park Reyes Sato Varga Walsh "
    "Young Ziegler Adams Cole"
)
WEB_PATHS = (
    "/",
    "/dashboard",
    "/reports",
    "/settings",
    "/projects",
    "/billing",
    "/search",
    "/inbox",
    "/patients",
    "/orders",
    "/analytics",
    "/team",
)
SCREENS = ("Home", "Search", "Profile", "Settings", "Checkout", "Details", "Notifications")
ELEMENTS = (
    'button.btn.btn-primary:text="Save"nth-child="1"nth-of-type="1"',
    'a.nav-link:href="/dashboard"text="Dashboard"nth-child="2"nth-of-type="1"',
    'button:text="Export"nth-child="3"nth-of-type="2"',
    'input.search:nth-child="1"nth-of-type="1"',
    'div.card:nth-child="4"nth-of-type="4"',
)

STG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ev_key", "UInt64"),
    ("uuid", "UUID"),
    ("event", "LowCardinality(String)"),
    ("ts", "DateTime64(6, 'UTC')"),
    ("person_idx", "UInt32"),
    ("org_idx", "UInt32"),
    ("sdk_idx", "UInt32"),
    ("kind", "LowCardinality(String)"),
    ("lib", "LowCardinality(String)"),
    ("lib_version", "LowCardinality(String)"),
    ("browser", "LowCardinality(String)"),
    ("browser_version", "LowCardinality(String)"),
    ("os", "LowCardinality(String)"),
    ("os_version", "LowCardinality(String)"),
    ("device_type", "LowCardinality(String)"),
    ("session_id", "String"),
    ("window_id", "String"),
    ("place", "LowCardinality(String)"),
    ("flag", "LowCardinality(String)"),
    ("flag_response", "UInt8"),
    ("elements_chain", "String"),
    ("extra", "String"),
    ("incident", "LowCardinality(String)"),
)


def _lit(value: Any) -> str:
    """A ClickHouse literal for a Python value (lists become arrays)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return sql_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    raise TypeError(f"no literal for {value!r}")


def _cumulative(weights: Sequence[float]) -> list[float]:
    """Cumulative shares ending in 2.0, so a uniform draw in [0, 1) always lands."""
    total = sum(weights)
    out, running = [], 0.0
    for w in weights:
        running += w / total if total else 0.0
        out.append(running)
    for i in range(len(out) - 1, -1, -1):
        if weights[i] > 0:
            out[i] = 2.0
            break
    return out


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * _UNIT + moment.microsecond


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


def _json_fragment(values: dict[str, Any]) -> str:
    """``,"k":v,...`` for appending to a JSON object (empty for no values)."""
    return "".join(
        f",{json.dumps(k)}:{json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
        for k, v in values.items()
    )


class WorldSql:
    """Builds the generator's SQL statements for one spec in one database."""

    def __init__(self, spec: WorldSpec, database: str) -> None:
        self.spec = spec
        self.db = quote_identifier(database)
        self.seed = spec.seed
        counts = [max(1, round(o.persons * spec.scale)) for o in spec.organizations]
        self.person_counts = counts
        self.person_starts = [sum(counts[:i]) for i in range(len(counts))]
        self.persons = sum(counts)
        self.start_day = spec.start.date()
        self.calendar_days = (spec.now.date() - self.start_day).days + 1
        self.org_index = {}
        for i, org in enumerate(spec.organizations):
            self.org_index[org.key] = i
            self.org_index[org.name] = i
        self.constants = self._constants()

    # -- constants shared by every statement -------------------------------------------

    def _org_sdk_weights(self, org: OrgSpec) -> list[float]:
        if org.sdks:
            return [org.sdks.get(s.lib, 0.0) for s in self.spec.sdks]
        return [s.weight for s in self.spec.sdks]

    def _adoption(self) -> tuple[list[list[list[int]]], list[list[list[int]]]]:
        """Per org, per SDK, per version: adoption base time (epoch s) and person spread (s)."""
        bases, spreads = [], []
        for org in self.spec.organizations:
            org_bases, org_spreads = [], []
            for sdk in self.spec.sdks:
                override = org.adopt.get(sdk.lib, {})
                b, s = [], []
                for i, v in enumerate(sdk.versions):
                    if v.version in override:
                        when = override[v.version]
                        b.append(_epoch(when) if when is not None else NEVER)
                        s.append(0)
                    elif v.from_ is None or i == 0:
                        b.append(0)
                        s.append(0)
                    elif v.rollout_by == "org":
                        frac = _fraction(self.seed, org.key, sdk.lib, v.version)
                        b.append(_epoch(v.from_) + int(frac * v.rollout_days * 86400))
                        s.append(0)
                    else:
                        b.append(_epoch(v.from_))
                        s.append(int(v.rollout_days * 86400))
                org_bases.append(b)
                org_spreads.append(s)
            bases.append(org_bases)
            spreads.append(org_spreads)
        return bases, spreads

    def _constants(self) -> str:
        spec = self.spec
        sdks = spec.sdks
        ends = [s + c for s, c in zip(self.person_starts, self.person_counts, strict=True)]
        bases, spreads = self._adoption()
        flags = spec.feature_flags or []
        values: dict[str, Any] = {
            "org_end": ends,
            "org_keys": [o.key for o in spec.organizations],
            "org_names": [o.name for o in spec.organizations],
            "org_domains": [o.domain for o in spec.organizations],
            "org_activity": [float(o.activity) for o in spec.organizations],
            "org_sdk_cum": [_cumulative(self._org_sdk_weights(o)) for o in spec.organizations],
            "sdk_libs": [s.lib for s in sdks],
            "sdk_kind": [s.kind for s in sdks],
            "sdk_versions": [[v.version for v in s.versions] for s in sdks],
            "adopt_base": bases,
            "adopt_spread": spreads,
            "env_cum": [_cumulative([e.weight for e in s.environments]) for s in sdks],
            "env_browser": [[e.browser or "" for e in s.environments] for s in sdks],
            "env_browser_version": [
                [e.browser_version or "" for e in s.environments] for s in sdks
            ],
            "env_os": [[e.os or "" for e in s.environments] for s in sdks],
            "env_os_version": [[e.os_version or "" for e in s.environments] for s in sdks],
            "env_device": [[e.device_type or "" for e in s.environments] for s in sdks],
            "ev_names": [list(s.events) for s in sdks],
            "ev_cum": [_cumulative(list(s.events.values())) for s in sdks],
            "flag_keys": [f.key for f in flags] or [""],
            "flag_cum": _cumulative([f.weight for f in flags]) if flags else [2.0],
            "flag_rollout": [float(f.rollout) for f in flags] or [0.0],
            "first_names": list(FIRST_NAMES),
            "last_names": list(LAST_NAMES),
            "web_paths": list(WEB_PATHS),
            "screens": list(SCREENS),
            "elements": list(ELEMENTS),
        }
        parts = [f"{_lit(v)} AS {k}" for k, v in values.items()]
        return "WITH " + ",\n  ".join(parts)

    # -- seeded draws ------------------------------------------------------------------

    def _u(self, tag: str, *args: str) -> str:
        """A uniform draw in [0, 1) from the seed, a tag and SQL arguments."""
        inner = ", ".join((str(self.seed), sql_string(tag), *args))
        return f"((cityHash64({inner}) % {_UNIT}) / {_UNIT}.)"

    def _uuid(self, tag: str, *args: str) -> str:
        inner = ", ".join((str(self.seed), sql_string(tag), *args))
        return f"reinterpretAsUUID(sipHash128({inner}))"

    # -- person-level functions (pure functions of the person index) -------------------

    def org_of(self, p: str) -> str:
        return f"toUInt32(arrayFirstIndex(x -> {p} < x, org_end) - 1)"

    def sdk_of(self, p: str, o: str) -> str:
        return f"toUInt32(arrayFirstIndex(c -> {self._u('sdk', p)} < c, org_sdk_cum[{o} + 1]) - 1)"

    def env_of(self, p: str, s: str) -> str:
        return f"toUInt32(arrayFirstIndex(c -> {self._u('env', p)} < c, env_cum[{s} + 1]) - 1)"

    def person_uuid(self, p: str) -> str:
        return self._uuid("person", p)

    def distinct_id(self, p: str) -> str:
        return f"concat('user_', lower(hex(cityHash64({self.seed}, 'did', {p}))))"

    def _local(self, p: str, o: str) -> str:
        return f"({p} - if({o} = 0, 0, org_end[{o}]))"

    def person_name(self, p: str, o: str) -> str:
        local = self._local(p, o)
        n = len(FIRST_NAMES)
        return (
            f"concat(first_names[{local} % {n} + 1], ' ', "
            f"last_names[(intDiv({local}, {n}) + {local} * 7) % {n} + 1])"
        )

    def person_email(self, p: str, o: str) -> str:
        local = self._local(p, o)
        n = len(FIRST_NAMES)
        return (
            f"concat(lower(first_names[{local} % {n} + 1]), '.', "
            f"lower(last_names[(intDiv({local}, {n}) + {local} * 7) % {n} + 1]), "
            f"if({local} >= {n * n}, toString(intDiv({local}, {n * n})), ''), '@', "
            f"org_domains[{o} + 1])"
        )

    def person_properties(self, p: str, o: str) -> str:
        return (
            f"concat('{{\"email\":', toJSONString({self.person_email(p, o)}), "
            f"',\"name\":', toJSONString({self.person_name(p, o)}), "
            f"',\"organization\":', toJSONString(org_names[{o} + 1]), '}}')"
        )

    # -- staging ----------------------------------------------------------------------

    def create_staging(self) -> str:
        cols = ",\n  ".join(f"{name} {kind}" for name, kind in STG_COLUMNS)
        return (
            f"CREATE TABLE {self.db}._stg_events (\n  {cols}\n) ENGINE = MergeTree "
            "ORDER BY (org_idx, person_idx, ts)"
        )

    def drop_staging(self) -> str:
        return f"DROP TABLE IF EXISTS {self.db}._stg_events"

    def base_events(self) -> str:
        """Sessions per person-day, events per session, everything from seeded hashes."""
        spec, traffic = self.spec, self.spec.traffic
        h0, h1 = traffic.active_hours
        span = (h1 - h0) * 3600
        days = self.calendar_days
        mean = traffic.events_per_session
        first_us, last_us = _micros(spec.start), _micros(spec.now)
        day0 = sql_string(self.start_day.isoformat())
        u = self._u
        return f"""INSERT INTO {self.db}._stg_events ({", ".join(n for n, _ in STG_COLUMNS)})
{self.constants}
SELECT
  cityHash64({self.seed}, 'ev', p, day, sess, seq) AS ev_key,
  {self._uuid("ev", "p", "day", "sess", "seq")} AS uuid,
  multiIf(seq = 0 AND kind = 'web', '$pageview',
          seq = 0 AND kind = 'mobile', '$screen',
          ev_names[sdk + 1][arrayFirstIndex(c -> {u("evn", "ev_key")} < c,
                                            ev_cum[sdk + 1])]) AS event,
  fromUnixTimestamp64Micro(toInt64(start_us + seq * 30000000
      + toInt64({u("gap", "p", "day", "sess", "seq")} * 25000000)), 'UTC') AS ts,
  toUInt32(p) AS person_idx,
  org AS org_idx,
  sdk AS sdk_idx,
  kind,
  sdk_libs[sdk + 1] AS lib,
  sdk_versions[sdk + 1][greatest(1, arrayLastIndex(t -> t <= intDiv(start_us, {_UNIT}), adopt))]
      AS lib_version,
  env_browser[sdk + 1][env + 1] AS browser,
  env_browser_version[sdk + 1][env + 1] AS browser_version,
  env_os[sdk + 1][env + 1] AS os,
  env_os_version[sdk + 1][env + 1] AS os_version,
  env_device[sdk + 1][env + 1] AS device_type,
  if(kind = 'server', '', toString({self._uuid("sess", "p", "day", "sess")})) AS session_id,
  if(kind = 'server', '', toString({self._uuid("win", "p", "day", "sess")})) AS window_id,
  multiIf(kind = 'web', web_paths[cityHash64({self.seed}, 'path', ev_key) % length(web_paths) + 1],
          kind = 'mobile', screens[cityHash64({self.seed}, 'screen', ev_key) % length(screens) + 1],
          '') AS place,
  if(event = '$feature_flag_called',
     flag_keys[arrayFirstIndex(c -> {u("flag", "ev_key")} < c, flag_cum)], '') AS flag,
  toUInt8(flag != '' AND {u("flagon", "p", "indexOf(flag_keys, flag)")}
          < flag_rollout[indexOf(flag_keys, flag)]) AS flag_response,
  if(event = '$autocapture',
     elements[cityHash64({self.seed}, 'el', ev_key) % length(elements) + 1], '') AS elements_chain,
  '' AS extra,
  '' AS incident
FROM (
  SELECT p, day, sess, org, sdk, env, kind, adopt, n_events,
    toInt64(toUInt32(toDateTime(toDate({day0}) + day)) + {h0 * 3600}
      + toUInt32({u("st", "p", "day", "sess")} * {span})) * {_UNIT} AS start_us,
    arrayJoin(range(n_events)) AS seq
  FROM (
    SELECT p, day, org, sdk, env, kind, adopt,
      arrayJoin(range(n_sessions)) AS sess,
      toUInt32(1 + floor({u("ne", "p", "day", "sess")} * {2 * mean - 1:g})) AS n_events
    FROM (
      SELECT
        intDiv(number, {days}) AS p,
        number % {days} AS day,
        {self.org_of("p")} AS org,
        {self.sdk_of("p", "org")} AS sdk,
        {self.env_of("p", "sdk")} AS env,
        sdk_kind[sdk + 1] AS kind,
        arrayMap((b, s, i) -> b + cityHash64({self.seed}, 'adopt', p, i) % (s + 1),
                 adopt_base[org + 1][sdk + 1], adopt_spread[org + 1][sdk + 1],
                 arrayEnumerate(adopt_base[org + 1][sdk + 1])) AS adopt,
        {traffic.sessions_per_day:g} * org_activity[org + 1] * (0.3 + 1.4 * {u("act", "p")})
          * if(toDayOfWeek(toDate({day0}) + day) >= 6, {traffic.weekend_factor:g}, 1.0)
          * (0.5 + {u("dayvar", "p", "day")}) AS lambda,
        toUInt32(floor(lambda) + ({u("ns", "p", "day")} < lambda - floor(lambda))) AS n_sessions
      FROM numbers({self.persons * days})
    )
  )
)
WHERE ts >= fromUnixTimestamp64Micro(toInt64({first_us}), 'UTC')
  AND ts < fromUnixTimestamp64Micro(toInt64({last_us}), 'UTC')"""

    # -- incidents ----------------------------------------------------------------------

    def where_sql(self, where: Where) -> str:
        """The incident filter over staging columns (``1`` when it filters nothing)."""
        parts: list[str] = []
        for column in ("lib", "lib_version", "browser", "os", "device_type", "event"):
            values = getattr(where, column)
            if values:
                parts.append(f"{column} IN ({', '.join(sql_string(v) for v in values)})")
        if where.org:
            indexes = sorted({self.org_index[o] for o in where.org})
            parts.append(f"org_idx IN ({', '.join(map(str, indexes))})")
        if where.min_version:
            wanted = [
                int(x) if x.isdigit() else 0 for x in where.min_version.split("-")[0].split(".")
            ]
            parts.append(
                "arrayMap(x -> toUInt32OrZero(x), splitByChar('.', splitByChar('-', "
                f"toString(lib_version))[1])) >= {_lit(wanted)}"
            )
        return " AND ".join(parts) or "1"

    def hit(self, incident: Incident) -> str:
        """Rows an incident touches: its filter, its window and its seeded rate."""
        since, until = _micros(incident.since), _micros(incident.until)
        window = (
            f"ts >= fromUnixTimestamp64Micro(toInt64({since}), 'UTC') "
            f"AND ts < fromUnixTimestamp64Micro(toInt64({until}), 'UTC')"
        )
        extra = ""
        if isinstance(incident, FlagResponseIncident):
            extra = (
                f" AND event = '$feature_flag_called' AND flag = {sql_string(incident.change.flag)}"
            )
        rate = (
            ""
            if incident.rate >= 1
            else f" AND cityHash64({self.seed}, 'hit', {sql_string(incident.id)}, ev_key) "
            f"% {_UNIT} < {int(incident.rate * _UNIT)}"
        )
        return f"({self.where_sql(incident.where)}) AND {window}{extra}{rate}"

    def incident_rows(self, incident: Incident) -> str:
        """The staging rows that make up an incident (for the ground truth)."""
        if isinstance(incident, ExceptionIncident | DuplicateEventsIncident):
            return f"incident = {sql_string(incident.id)}"
        if isinstance(incident, IngestionWarningIncident):
            return f"incident = '' AND {self.hit(incident)}"
        if isinstance(incident, PropertyChangeIncident):
            present = dict((k, c) for k, _, c in self._base_fields()).get(incident.change.property)
            if present is not None and incident.change.mode != "value":
                return f"({self.hit(incident)}) AND ({present})"
        return self.hit(incident)

    def _insert_derived(self, incident: Incident, overrides: dict[str, str], tail: str = "") -> str:
        names = [n for n, _ in STG_COLUMNS]
        select = ",\n  ".join(f"{overrides.get(n, n)} AS {n}" for n in names)
        return (
            f"INSERT INTO {self.db}._stg_events ({', '.join(names)})\n"
            f"SELECT\n  {select}\nFROM (SELECT * FROM {self.db}._stg_events\n"
            f"WHERE incident = '' AND {self.hit(incident)}){tail}"
        )

    def exception_rows(self, incident: ExceptionIncident) -> str:
        exc = incident.exception
        frames = [f.model_dump() for f in exc.frames]
        fingerprint = hashlib.sha256(f"{exc.type}:{exc.message}".encode()).hexdigest()[:32]
        exception_list = [
            {
                "type": exc.type,
                "value": exc.message,
                "mechanism": {"handled": exc.handled, "synthetic": False, "type": exc.mechanism},
                "stacktrace": {"type": "raw", "frames": frames},
            }
        ]
        fragment = _json_fragment(
            {
                "$exception_type": exc.type,
                "$exception_message": exc.message,
                "$exception_level": exc.level,
                "$exception_list": exception_list,
                "$exception_fingerprint": fingerprint,
            }
        )
        iid = sql_string(incident.id)
        delay = f"cityHash64({self.seed}, 'excms', ev_key)"
        return self._insert_derived(
            incident,
            {
                "ev_key": f"cityHash64(ev_key, {iid})",
                "uuid": self._uuid("exc", iid, "ev_key"),
                "event": "'$exception'",
                "ts": f"ts + toIntervalMillisecond(1 + {delay} % 900)",
                "flag": "''",
                "flag_response": "0",
                "elements_chain": "''",
                "extra": sql_string(fragment),
                "incident": iid,
            },
        )

    def duplicate_rows(self, incident: DuplicateEventsIncident) -> str:
        iid = sql_string(incident.id)
        uuid = "uuid" if incident.same_uuid else self._uuid("dup", iid, "ev_key", "copy_no")
        return self._insert_derived(
            incident,
            {"ev_key": f"cityHash64(ev_key, {iid}, copy_no)", "uuid": uuid, "incident": iid},
            tail=f" ARRAY JOIN range({incident.copies}) AS copy_no",
        )

    def warning_rows(self, incident: IngestionWarningIncident) -> str:
        w = incident.warning
        details = _json_fragment(w.details)
        return f"""INSERT INTO {self.db}.ingestion_warnings (source, type, details, timestamp)
{self.constants}
SELECT {sql_string(w.source)}, {sql_string(w.type)},
  concat('{{"eventUuid":', toJSONString(toString(uuid)), ',"event":', toJSONString(toString(event)),
         ',"distinctId":', toJSONString({self.distinct_id("person_idx")}),
         {sql_string(details)}, '}}'),
  ts + toIntervalSecond(2)
FROM {self.db}._stg_events
WHERE {self.incident_rows(incident)}"""

    def incident_statements(self) -> list[tuple[str, str]]:
        """(label, SQL) for incidents that add rows, in spec order."""
        out = []
        for inc in self.spec.incidents:
            if isinstance(inc, ExceptionIncident):
                out.append((inc.id, self.exception_rows(inc)))
            elif isinstance(inc, DuplicateEventsIncident):
                out.append((inc.id, self.duplicate_rows(inc)))
            elif isinstance(inc, IngestionWarningIncident):
                out.append((inc.id, self.warning_rows(inc)))
        return out

    # -- final tables -------------------------------------------------------------------

    def _base_fields(self) -> list[tuple[str, str, str]]:
        """(property key, JSON value SQL, presence SQL) of every generated property."""
        web, mobile, has_session = "kind = 'web'", "kind = 'mobile'", "session_id != ''"
        url = "concat('https://app.', org_domains[org_idx + 1], place)"
        return [
            ("$lib", "toJSONString(toString(lib))", "1"),
            ("$lib_version", "toJSONString(toString(lib_version))", "1"),
            ("$browser", "toJSONString(toString(browser))", "browser != ''"),
            (
                "$browser_version",
                "toJSONString(toString(browser_version))",
                "browser_version != ''",
            ),
            ("$os", "toJSONString(toString(os))", "os != ''"),
            ("$os_version", "toJSONString(toString(os_version))", "os_version != ''"),
            ("$device_type", "toJSONString(toString(device_type))", "device_type != ''"),
            ("$current_url", f"toJSONString({url})", web),
            ("$host", "toJSONString(concat('app.', org_domains[org_idx + 1]))", web),
            ("$pathname", "toJSONString(toString(place))", web),
            ("$screen_name", "toJSONString(toString(place))", f"{mobile} AND event = '$screen'"),
            ("$session_id", "toJSONString(session_id)", has_session),
            ("$window_id", "toJSONString(window_id)", has_session),
            (
                "$groups",
                "concat('{\"organization\":', toJSONString(org_keys[org_idx + 1]), '}')",
                "1",
            ),
            ("$feature_flag", "toJSONString(toString(flag))", "flag != ''"),
            (
                "$feature_flag_response",
                "if(flag_response = 1, 'true', 'false')",
                "event = '$feature_flag_called'",
            ),
        ]

    def _properties(self) -> str:
        """The properties JSON of each event, with property/flag incidents applied."""
        fields = self._base_fields()
        for inc in self.spec.incidents:
            if isinstance(inc, PropertyChangeIncident):
                fields = _apply_change(
                    fields, inc.change.property, inc.change.mode, inc.change.value, self.hit(inc)
                )
            elif isinstance(inc, FlagResponseIncident):
                key = "$feature_flag_response"
                if inc.change.mode == "wrong":
                    fields = [
                        (k, f"if({self.hit(inc)}, if(flag_response = 1, 'false', 'true'), {v})", c)
                        if k == key
                        else (k, v, c)
                        for k, v, c in fields
                    ]
                else:
                    fields = _apply_change(
                        fields, key, inc.change.mode, inc.change.value, self.hit(inc)
                    )
        frags = ", ".join(
            f"if({cond}, concat({sql_string(json.dumps(key) + ':')}, {value}), '')"
            for key, value, cond in fields
        )
        kept = f"arrayStringConcat(arrayFilter(x -> x != '', [{frags}]), ',')"
        return f"concat('{{', {kept}, extra, '}}')"

    def final_events(self) -> str:
        drops = [
            f"({self.hit(inc)})"
            for inc in self.spec.incidents
            if isinstance(inc, DropEventsIncident)
        ]
        keep = f"NOT ({' OR '.join(drops)})" if drops else "1"
        return f"""INSERT INTO {self.db}.events (uuid, event, properties, timestamp, distinct_id,
  elements_chain, created_at, `$session_id`, `$window_id`, person_id, person_properties,
  `$group_0`, `$group_1`, `$group_2`, `$group_3`, `$group_4`)
{self.constants}
SELECT uuid, event, {self._properties()}, ts, {self.distinct_id("person_idx")},
  elements_chain, ts + toIntervalMillisecond(200 + cityHash64({self.seed}, 'lag', ev_key) % 3000),
  session_id, window_id, {self.person_uuid("person_idx")},
  {self.person_properties("person_idx", "org_idx")},
  org_keys[org_idx + 1], '', '', '', ''
FROM {self.db}._stg_events
WHERE {keep}"""

    def persons_rows(self) -> str:
        start_us = _micros(self.spec.start)
        return f"""INSERT INTO {self.db}.persons (id, created_at, properties, is_identified)
{self.constants}
SELECT {self.person_uuid("number")},
  fromUnixTimestamp64Micro(
    toInt64({start_us} - {self._u("created", "number")} * 180 * 86400 * {_UNIT}), 'UTC'),
  {self.person_properties("number", "org")}, true
FROM (SELECT number, {self.org_of("number")} AS org FROM numbers({self.persons}))"""

    def groups_rows(self) -> str:
        rows = []
        start = self.spec.start
        for org in self.spec.organizations:
            props: dict[str, Any] = {
                "name": org.name,
                "plan": org.plan,
                "seats": org.seats,
                "arr": org.arr,
                "region": org.region,
                "domain": org.domain,
            }
            if org.renewal_date:
                props["renewal_date"] = org.renewal_date.isoformat()
            props.update(org.properties)
            created = (
                _micros(start) - int(_fraction(self.seed, org.key, "created") * 400) * 86400 * _UNIT
            )
            rows.append(
                f"(0, {sql_string(org.key)}, fromUnixTimestamp64Micro(toInt64({created}), 'UTC'), "
                f"{sql_string(json.dumps(props, ensure_ascii=False, separators=(',', ':')))})"
            )
        return (
            f"INSERT INTO {self.db}.groups (`index`, `key`, created_at, properties) VALUES "
            + ", ".join(rows)
        )

    def sessions_rows(self) -> str:
        return f"""INSERT INTO {self.db}.sessions
SELECT `$session_id`, any(distinct_id), min(timestamp), max(timestamp),
  argMin(`mat_$current_url`, timestamp), argMax(`mat_$current_url`, timestamp),
  countIf(event = '$pageview'), countIf(event = '$autocapture'), countIf(event = '$screen'),
  dateDiff('second', min(timestamp), max(timestamp)),
  countIf(event IN ('$pageview', '$screen')) <= 1
    AND dateDiff('second', min(timestamp), max(timestamp)) < 10
FROM {self.db}.events WHERE `$session_id` != '' GROUP BY `$session_id`"""

    # -- ground truth -------------------------------------------------------------------

    def truth_summary(self, incident: Incident) -> str:
        return f"""SELECT arraySort(groupUniqArray(org_idx)), uniqExact(person_idx), count(),
  toString(min(ts)), toString(max(ts)), uniqExactIf(session_id, session_id != '')
FROM {self.db}._stg_events WHERE {self.incident_rows(incident)}"""

    def truth_by_day(self, incident: Incident) -> str:
        return f"""SELECT toString(toDate(ts)) AS d, count() FROM {self.db}._stg_events
WHERE {self.incident_rows(incident)} GROUP BY d ORDER BY d"""

    def truth_by_version(self, incident: Incident) -> str:
        return f"""SELECT toString(lib), toString(lib_version), count() AS n
FROM {self.db}._stg_events
WHERE {self.incident_rows(incident)} GROUP BY lib, lib_version ORDER BY n DESC, lib, lib_version"""


def _apply_change(
    fields: list[tuple[str, str, str]], key: str, mode: str, value: Any, hit: str
) -> list[tuple[str, str, str]]:
    """Rewrite one property's (key, JSON value SQL, presence SQL) for the rows in ``hit``."""
    if mode == "missing":
        replacement = None
    elif mode == "null":
        replacement = "'null'"
    elif mode in {"malformed", "wrong"} and value is None:
        replacement = sql_string(json.dumps("[object Object]"))
    else:
        replacement = sql_string(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    out, seen = [], False
    for k, v, cond in fields:
        if k != key:
            out.append((k, v, cond))
            continue
        seen = True
        if replacement is None:
            out.append((k, v, f"({cond}) AND NOT ({hit})"))
        else:
            out.append((k, f"if({hit}, {replacement}, {v})", f"({cond}) OR ({hit})"))
    if not seen and replacement is not None:
        out.append((key, replacement, hit))
    return out


def names_of(indexes: Iterable[int], spec: WorldSpec) -> tuple[list[str], list[str]]:
    """Organization keys and names for org indexes."""
    orgs = [spec.organizations[i] for i in indexes]
    return [o.key or "" for o in orgs], [o.name for o in orgs]
