"""HogQL -> ClickHouse SQL for the embedded engine, with sqlglot's ClickHouse dialect.

What is translated (following PostHog's printer):

- ``properties.$x``, ``properties.a.b``, ``events.properties.$x``, ``e.properties.$x`` and
  ``person.properties.x`` read JSON text; a missing key or JSON null is NULL; hot event
  properties read their materialized ``mat_`` column instead.
- Comparisons involving a property are null-safe: ``=``/``LIKE``/``<`` with a NULL side
  are false, ``!=`` is true, as PostHog prints them with ``ifNull``.
- HogQL's renamed functions (``toFloat``, ``toInt``, ``toDate``, ``toDateTime``, ``now``,
  ``today``, ``yesterday``) map to what PostHog maps them to; ``now()`` is the world's
  clock when the backend has one.
- Tables are ``events``, ``persons``, ``groups``, ``sessions`` and
  ``system.ingestion_warnings``, qualified with the world's database, wherever a table can
  stand (``FROM``, ``JOIN``, subqueries, CTEs, the name after ``IN``); anything else is an
  unknown table. Only one SELECT (or UNION/CTE of SELECTs) is accepted; table functions,
  ``SETTINGS``, ``FORMAT`` and placeholders are refused, and only the functions of
  :mod:`.functions` may be called (checked on the query and on the SQL sent).
- Brackets nest at most :data:`MAX_DEPTH` deep; anything nested too deeply to parse is
  one clear error.
- A query without LIMIT returns 100 rows, never more than 50,000; one extra row is
  fetched to know whether there are more (``hasMore``).
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from ...errors import QueryError
from .functions import called_functions, is_allowed, suggestion
from .schema import (
    HOGQL_TABLES,
    JSON_COLUMNS,
    MATERIALIZED_PROPERTIES,
    PROPERTY_TYPE,
    materialized_column,
)

logging.getLogger("sqlglot").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 50_000
MAX_DEPTH = 100
"""Brackets may nest this deep; deeper queries are refused before parsing."""
DIALECT = "clickhouse"
_DIALECT = Dialect.get_or_raise(DIALECT)
_TABLES_HINT = "tables: events, persons, groups, sessions, system.ingestion_warnings"
_TOO_DEEP_HINT = "flatten the expression: fewer nested brackets, NOTs or CASEs"

_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Set,
    exp.Use,
    exp.Describe,
    exp.Kill,
    exp.Placeholder,
    exp.Parameter,
    exp.Values,
    exp.Pragma,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)

_LEXEME = re.compile(
    r"""(?P<quoted>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`\\]|\\.|``)*`)"""
    r"|(?P<comment>--[^\n]*|/\*.*?\*/)"
    r"|(?P<dollar>\$[A-Za-z0-9_$]*)"
    r"|(?P<brace>[{}])"
    r"|(?P<open>['\"`]|/\*)",
    re.DOTALL,
)
"""What the ``$``-quoting pass looks at: quoted text and comments (kept), ``$`` names,
placeholders, and quotes or comments that never close."""


@dataclass(frozen=True)
class Translation:
    """A translated query and the paging that applies to it.

    Attributes:
        hogql: The query as given.
        clickhouse: The ClickHouse SQL to run (fetches ``limit + 1`` rows).
        columns: Display names by position, or None to use ClickHouse's names.
        limit: How many rows the caller gets at most.
        offset: How many rows were skipped.
    """

    hogql: str
    clickhouse: str
    columns: tuple[str, ...] | None
    limit: int
    offset: int


def _error(message: str, hint: str = "fix the query and retry") -> QueryError:
    return QueryError(message, hint)


def quote_dollar_identifiers(hogql: str) -> str:
    """Wrap ``$name`` identifiers in backticks so sqlglot accepts them.

    Strings, quoted identifiers and comments are left alone.

    Raises:
        QueryError: The text has a ``{placeholder}`` or an unterminated quote or comment.
    """
    out: list[str] = []
    last = 0
    for match in _LEXEME.finditer(hogql):
        kind = match.lastgroup
        if kind in ("quoted", "comment"):
            continue
        start = match.start()
        out.append(hogql[last:start])
        if kind == "dollar":
            out.append(f"`{match.group()}`")
        elif kind == "brace":
            raise _error(
                f"Placeholders are not supported (found '{match.group()}' at position {start})",
                "write the value into the query",
            )
        elif match.group() == "/*":
            raise _error(f"Unterminated comment starting at position {start}", "close the comment")
        else:
            what = "string" if match.group() == "'" else "quoted identifier"
            raise _error(f"Unterminated {what} starting at position {start}", "close the quote")
        last = match.end()
    out.append(hogql[last:])
    return "".join(out)


def parse_hogql(hogql: str) -> exp.Expression:
    """Parse one HogQL SELECT (or UNION/CTE of SELECTs) and check what it may contain.

    Raises:
        QueryError: Syntax errors, several statements, or anything but a read.
    """
    return _parse(hogql)[0]


def _tokens(text: str) -> list[Token]:
    """Tokenize ``$``-quoted HogQL and check its calls and nesting before any parsing.

    Raises:
        QueryError: A call to a function HogQL does not allow, or brackets nested deeper
            than :data:`MAX_DEPTH`.
    """
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError as exc:
        raise _error(f"Syntax error: {_first_line(exc)}") from None
    depth = deepest = 0
    for token in tokens:
        kind = token.token_type
        if kind in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif kind in _CLOSING:
            depth -= 1
    if deepest > MAX_DEPTH:
        raise _error(
            f"The query nests brackets {deepest} deep; HogQL allows at most {MAX_DEPTH}",
            _TOO_DEEP_HINT,
        )
    check_calls(tokens)
    return tokens


_OPENING = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET})
_CLOSING = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET})


def check_calls(tokens: list[Token], *, emitted: bool = False) -> None:
    """Refuse any call to a function outside the allow-list (see :mod:`.functions`).

    Raises:
        QueryError: Naming the first such function.
    """
    for call in called_functions(tokens):
        if call.as_table:
            raise _error(
                f"Table functions are not allowed: {call.name}()",
                "query events, persons, groups, sessions or system.ingestion_warnings",
            )
        if not is_allowed(call.name, emitted=emitted):
            near = suggestion(call.name)
            hint = (
                f"did you mean {near}()?"
                if near
                else (
                    "HogQL allows aggregates and functions over values (dates, strings, JSON, "
                    "arrays, maths); server and host functions are not available"
                )
            )
            raise _error(f"Function '{call.name}' is not allowed in HogQL", hint)


def _parse(hogql: str) -> tuple[exp.Expression, _Nodes]:
    if not hogql.strip():
        raise _error("Empty query", "write a SELECT")
    text = quote_dollar_identifiers(hogql)
    tokens = _tokens(text)
    try:
        statements = [s for s in _DIALECT.parser().parse(tokens, text) if s is not None]
    except (ParseError, TokenError) as exc:
        raise _error(f"Syntax error: {_first_line(exc)}") from None
    except RecursionError:
        raise _error("The query is nested too deeply to parse", _TOO_DEEP_HINT) from None
    if len(statements) != 1:
        raise _error(
            f"Only one statement is allowed, got {len(statements)}",
            "send one SELECT per query",
        )
    tree = statements[0]
    while isinstance(tree, exp.Subquery) and isinstance(tree.this, exp.Query):
        tree = tree.this
    if not isinstance(tree, exp.Select | exp.SetOperation):
        kind = tree.key.upper() if not isinstance(tree, exp.Command) else str(tree.this).upper()
        raise _error(
            f"Only SELECT queries are allowed, got {kind}",
            "HogQL is read-only: write a SELECT",
        )
    return tree, _check(tree)


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n")[0].replace("\x1b[4m", "").replace("\x1b[0m", "").split())


@dataclass
class _Nodes:
    """Nodes of a checked tree that translation rewrites, collected in one walk."""

    tables: list[exp.Table] = field(default_factory=list)
    ctes: list[exp.CTE] = field(default_factory=list)
    subqueries: list[exp.Subquery] = field(default_factory=list)
    paths: list[exp.Expression] = field(default_factory=list)
    functions: list[exp.Expression] = field(default_factory=list)
    comparisons: list[exp.Expression] = field(default_factory=list)
    memberships: list[exp.In] = field(default_factory=list)


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.In)


def _check(tree: exp.Expression) -> _Nodes:
    nodes = _Nodes()
    for node in tree.walk():
        if isinstance(node, exp.Column | exp.Dot):
            parent = node.parent
            if not (isinstance(parent, exp.Dot) and parent.this is node):
                nodes.paths.append(node)
            continue
        if isinstance(node, _COMPARISONS):
            nodes.comparisons.append(node)
            if isinstance(node, exp.In):
                nodes.memberships.append(node)
        elif isinstance(node, exp.Table):
            nodes.tables.append(node)
        elif isinstance(node, exp.CTE):
            nodes.ctes.append(node)
        elif isinstance(node, exp.Subquery):
            nodes.subqueries.append(node)
        if isinstance(node, exp.Anonymous | exp.CurrentTimestamp | exp.CurrentDate):
            nodes.functions.append(node)
        if isinstance(node, _FORBIDDEN_NODES):
            raise _error(
                f"{node.key.upper()} is not allowed in HogQL",
                "HogQL is read-only: write a SELECT",
            )
        if isinstance(node, exp.Select):
            if node.args.get("settings"):
                raise _error("SETTINGS is not allowed in HogQL", "remove the SETTINGS clause")
            if node.args.get("format"):
                raise _error("FORMAT is not allowed in HogQL", "remove the FORMAT clause")
        if isinstance(node, exp.From | exp.Join):
            source = node.this
            if isinstance(source, exp.Table) and not isinstance(source.this, exp.Identifier):
                raise _error(
                    f"Table functions are not allowed: {source.this.sql(DIALECT)[:60]}",
                    "query events, persons, groups, sessions or system.ingestion_warnings",
                )
            is_array_join = isinstance(node, exp.Join) and "ARRAY" in (node.kind or "").upper()
            if not isinstance(source, exp.Table | exp.Subquery) and not is_array_join:
                raise _error(
                    f"Unsupported FROM source: {source.sql(DIALECT)[:60]}",
                    "select from a table or a subquery",
                )
    return nodes


def has_limit(hogql: str) -> bool:
    """Whether the query's outermost SELECT has its own LIMIT."""
    tree = parse_hogql(hogql)
    return bool(tree.args.get("limit"))


def validate_expression(expression: str) -> None:
    """Check that ``expression`` is one boolean HogQL expression (e.g. a signature).

    Raises:
        QueryError: It does not parse as a single expression or contains anything forbidden.
    """
    if not expression.strip():
        raise _error("Empty expression", "write a HogQL condition such as event = '$exception'")
    text = quote_dollar_identifiers(expression)
    tokens = _tokens(text)
    try:
        node = _DIALECT.parser().parse_into(exp.Condition, tokens, text)[0]
    except (ParseError, TokenError) as exc:
        raise _error(f"Invalid expression: {_first_line(exc)}") from None
    except RecursionError:
        raise _error("The expression is nested too deeply to parse", _TOO_DEEP_HINT) from None
    if node is None:
        raise _error("Empty expression", "write a HogQL condition such as event = '$exception'")
    if isinstance(node, exp.Query):
        raise _error("Expected a condition, got a query", "write only the WHERE condition")
    nodes = _check(node)
    for membership in nodes.memberships:
        _check_membership(membership, {cte.alias_or_name for cte in nodes.ctes}, None)


# -- resolution --------------------------------------------------------------------------


def _path(node: exp.Expression) -> list[str | int] | None:
    """The identifier chain of a column or dotted access (None if not a plain chain)."""
    if isinstance(node, exp.Column):
        parts: list[str | int] = []
        for part in node.parts:
            if isinstance(part, exp.Star):
                return None
            if isinstance(part, exp.Literal) and not part.is_string:
                parts.append(int(part.this))
            elif isinstance(part, exp.Identifier) and not part.quoted and "." in part.name:
                parts.extend(int(p) if p.isdigit() else p for p in part.name.split("."))
            else:
                parts.append(part.name)
        return parts
    if isinstance(node, exp.Dot):
        left = _path(node.this)
        right = node.expression
        if left is None or not isinstance(right, exp.Identifier | exp.Literal):
            return None
        if isinstance(right, exp.Literal) and not right.is_string:
            return [*left, int(right.this)]
        return [*left, right.name]
    return None


def _sources(select: exp.Select) -> dict[str, str | None]:
    """Alias (or name) -> real world table for each FROM/JOIN source of a SELECT."""
    out: dict[str, str | None] = {}
    sources: list[exp.Expression] = []
    if select.args.get("from_"):
        sources.append(select.args["from_"].this)
    sources.extend(j.this for j in select.args.get("joins") or [])
    for source in sources:
        alias = source.alias_or_name
        real = source.meta.get("hogql_table") if isinstance(source, exp.Table) else None
        out[alias] = real
    return out


def _property(column: exp.Expression, path: list[str | int]) -> exp.Expression:
    keys: list[exp.Expression] = [
        exp.Literal.number(k) if isinstance(k, int) else exp.Literal.string(k) for k in path
    ]
    return exp.Anonymous(
        this="JSONExtract", expressions=[column, *keys, exp.Literal.string(PROPERTY_TYPE)]
    )


def _column(name: str, qualifier: str | None) -> exp.Column:
    return exp.Column(
        this=exp.to_identifier(name, quoted=not name.isidentifier()),
        table=exp.to_identifier(qualifier) if qualifier else None,
    )


def _resolve(
    node: exp.Expression, qualifiers: set[str], scopes: dict[int, dict[str, str | None]]
) -> exp.Expression | None:
    """The ClickHouse replacement for a property/person path, or None to keep it."""
    path = _path(node)
    if path is None:
        return None
    qualifier: str | None = None
    rest = path
    if len(path) > 1 and isinstance(path[0], str) and path[0] in qualifiers:
        qualifier, rest = path[0], path[1:]
    head = rest[0]
    if head in JSON_COLUMNS and len(rest) > 1:
        keys = rest[1:]
        if head == "properties" and len(keys) == 1 and keys[0] in MATERIALIZED_PROPERTIES:
            select = node.find_ancestor(exp.Select)
            if select is None:
                sources: dict[str, str | None] = {}
            else:
                sources = scopes.get(id(select)) or scopes.setdefault(id(select), _sources(select))
            table = (
                sources.get(qualifier)
                if qualifier
                else (next(iter(sources.values())) if len(sources) == 1 else None)
            )
            if table == "events":
                return _column(materialized_column(str(keys[0])), qualifier)
        return _property(_column(str(head), qualifier), keys)
    if head == "person" and len(rest) > 2 and rest[1] == "properties":
        return _property(_column("person_properties", qualifier), rest[2:])
    return None


def _resolve_person_id(node: exp.Expression, qualifiers: set[str]) -> exp.Expression | None:
    path = _path(node)
    if not path:
        return None
    rest = path[1:] if len(path) > 1 and path[0] in qualifiers else path
    if rest in (["person", "id"], ["pdi", "person_id"]):
        qualifier = str(path[0]) if rest is not path else None
        return _column("person_id", qualifier)
    return None


_NULLABLE = "hogql_nullable"


def _mark_nullable(node: exp.Expression) -> None:
    """Flag a property read and every ancestor, so comparisons above it know."""
    current: exp.Expression | None = node
    while current is not None and not current.meta.get(_NULLABLE):
        current.meta[_NULLABLE] = True
        current = current.parent


def _contains_nullable(node: exp.Expression) -> bool:
    return bool(node._meta and node._meta.get(_NULLABLE))


def _null_safe(comparisons: list[exp.Expression]) -> None:
    for node in comparisons:
        if isinstance(node, exp.EQ | exp.NEQ) and any(
            isinstance(side, exp.Null) for side in (node.left, node.right)
        ):
            value = node.right if isinstance(node.left, exp.Null) else node.left
            test = exp.Is(this=value.copy(), expression=exp.Null())
            node.replace(test if isinstance(node, exp.EQ) else exp.Not(this=test))
            continue
        if not _contains_nullable(node):
            continue
        default = exp.Literal.number(1 if isinstance(node, exp.NEQ) else 0)
        wrapper = exp.Anonymous(this="ifNull", expressions=[])
        node.replace(wrapper)
        wrapper.set("expressions", [node, default])


def _rename_functions(functions: list[exp.Expression], now: datetime | None) -> None:
    if now is not None:
        clock = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        now_sql: exp.Expression = exp.Anonymous(
            this="toDateTime64",
            expressions=[
                exp.Literal.string(clock),
                exp.Literal.number(6),
                exp.Literal.string("UTC"),
            ],
        )
    else:
        now_sql = exp.Anonymous(
            this="now64", expressions=[exp.Literal.number(6), exp.Literal.string("UTC")]
        )
    for node in functions:
        name = (
            "now"
            if isinstance(node, exp.CurrentTimestamp)
            else "today"
            if isinstance(node, exp.CurrentDate)
            else node.name
        )
        args = (
            [a for a in node.expressions if a is not None]
            if isinstance(node, exp.Anonymous)
            else []
        )
        lowered = name.lower()
        textual = bool(args) and (
            (isinstance(args[0], exp.Literal) and args[0].is_string) or _contains_nullable(args[0])
        )
        replacement: exp.Expression | None = None
        if lowered == "now" and not args:
            replacement = now_sql.copy()
        elif lowered == "today" and not args:
            replacement = exp.Anonymous(this="toDate", expressions=[now_sql.copy()])
        elif lowered == "yesterday" and not args:
            replacement = exp.Anonymous(
                this="minus",
                expressions=[
                    exp.Anonymous(this="toDate", expressions=[now_sql.copy()]),
                    exp.Literal.number(1),
                ],
            )
        elif name == "toFloat" and len(args) == 1:
            replacement = exp.Anonymous(
                this="accurateCastOrNull", expressions=[args[0], exp.Literal.string("Float64")]
            )
        elif name == "toInt" and len(args) == 1:
            replacement = exp.Anonymous(
                this="accurateCastOrNull", expressions=[args[0], exp.Literal.string("Int64")]
            )
        elif name == "toDateTime" and args and textual:
            replacement = exp.Anonymous(
                this="parseDateTime64BestEffortOrNull",
                expressions=[
                    args[0],
                    exp.Literal.number(6),
                    args[1] if len(args) > 1 else exp.Literal.string("UTC"),
                ],
            )
        elif name == "toDate" and len(args) == 1 and textual:
            replacement = exp.Anonymous(this="toDateOrNull", expressions=[args[0]])
        if replacement is not None:
            node.replace(replacement)


def _qualify_tables(nodes: _Nodes, database: str) -> set[str]:
    """Point every table at the world's database; returns every usable qualifier."""
    ctes = {cte.alias_or_name for cte in nodes.ctes}
    qualifiers: set[str] = set(ctes)
    for table in nodes.tables:
        if not isinstance(table.this, exp.Identifier):
            continue
        name, db = table.name, table.db
        if table.args.get("catalog"):
            raise _unknown_table(f"{table.catalog}.{db}.{name}")
        if not db and name in ctes:
            qualifiers.add(table.alias_or_name)
            continue
        hogql_name = f"{db}.{name}" if db else name
        real = HOGQL_TABLES.get(hogql_name)
        if real is None:
            raise _unknown_table(hogql_name)
        alias = table.alias or (name if not db else real)
        table.set("this", exp.to_identifier(real))
        table.set("db", exp.to_identifier(database))
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        table.meta["hogql_table"] = real
        qualifiers.update({alias, hogql_name, name})
    for sub in nodes.subqueries:
        if sub.alias:
            qualifiers.add(sub.alias)
    return qualifiers


def _unknown_table(name: str) -> QueryError:
    near = difflib.get_close_matches(name, list(HOGQL_TABLES), n=1)
    suggestion = f' Did you mean "{near[0]}"?' if near else ""
    return _error(f'Unknown table "{name}".{suggestion}', _TABLES_HINT)


def _membership_target(node: exp.In) -> exp.Expression | None:
    """The bare name on the right of ``IN`` (``x IN db.t``, ``x IN (t)``), if there is one.

    ClickHouse reads such a name as a table, so it is checked like any table reference.
    """
    target = node.args.get("field")
    if target is None:
        items = node.expressions
        if len(items) != 1:
            return None
        target = items[0]
    while isinstance(target, exp.Paren):
        target = target.this
    return target if isinstance(target, exp.Column | exp.Dot) else None


def _check_membership(node: exp.In, ctes: set[str], database: str | None) -> None:
    """Refuse ``IN <name>`` unless the name is a HogQL table, a CTE or the query's own
    column; point HogQL tables at the world's database.

    The message is the same for every refused name, so it tells nothing about which
    databases or tables exist.
    """
    target = _membership_target(node)
    path = _path(target) if target is not None else None
    if target is None or not path or any(isinstance(p, int) for p in path):
        return
    names = [str(p) for p in path]
    if names[0] in JSON_COLUMNS or names[0] == "person":
        return
    name = ".".join(names)
    if len(names) == 1 and (name in ctes or (name not in HOGQL_TABLES and "." not in name)):
        return
    real = HOGQL_TABLES.get(name)
    if real is None:
        raise _unknown_table(name)
    if database is not None:
        target.replace(exp.Column(this=exp.to_identifier(real), table=exp.to_identifier(database)))


def _display_names(tree: exp.Expression) -> tuple[str, ...] | None:
    select = tree if isinstance(tree, exp.Select) else next(tree.find_all(exp.Select), None)
    if select is None:
        return None
    names: list[str] = []
    for item in select.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star):
            return None
        if isinstance(item, exp.Alias):
            names.append(item.alias)
            continue
        path = _path(item)
        if path:
            names.append(str(path[-1]))
            continue
        text = item.sql(DIALECT)
        names.append(re.sub(r'"(\$[A-Za-z0-9_$]*)"', r"\1", text))
    return tuple(names)


def _limit_value(node: exp.Expression | None, clause: str) -> int | None:
    if node is None:
        return None
    value = node.expression if isinstance(node, exp.Limit | exp.Offset) else node
    if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        return int(value.this)
    raise _error(f"{clause} must be a whole number", f"write {clause} 100")


@functools.lru_cache(maxsize=1024)
def translate(
    hogql: str,
    *,
    database: str,
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
    max_rows: int | None = None,
) -> Translation:
    """Translate HogQL for a world stored in ``database``.

    Args:
        hogql: The HogQL query.
        database: The world's ClickHouse database.
        limit: Rows wanted when the query has no LIMIT (default 100, at most 50,000).
        offset: Rows to skip when the query has no OFFSET.
        now: The world's clock, used for ``now()``/``today()``/``yesterday()``.
        max_rows: A cap on the rows returned, even when the query has its own LIMIT
            (the CLI's output cap); the cut shows as ``hasMore``.

    Raises:
        QueryError: The query is invalid, forbidden, or names an unknown table.
    """
    try:
        return _translate(hogql, database, limit, offset, now, max_rows)
    except RecursionError:
        raise _error("The query is nested too deeply to translate", _TOO_DEEP_HINT) from None
    except QueryError:
        raise
    except Exception as exc:  # sqlglot can fail in many ways on unusual input
        log.debug("translation failed", exc_info=True)
        raise _error(
            f"The query could not be translated ({exc.__class__.__name__})",
            "simplify the query; if it is valid HogQL, report it",
        ) from None


def _translate(
    hogql: str,
    database: str,
    limit: int | None,
    offset: int,
    now: datetime | None,
    max_rows: int | None,
) -> Translation:
    tree, nodes = _parse(hogql)
    names = _display_names(tree)
    if isinstance(tree, exp.Select):
        own_limit = _limit_value(tree.args.get("limit"), "LIMIT")
        own_offset = _limit_value(tree.args.get("offset"), "OFFSET")
    else:
        own_limit = own_offset = None
    wanted = own_limit if own_limit is not None else (limit if limit is not None else DEFAULT_LIMIT)
    effective = max(0, min(wanted, MAX_LIMIT, MAX_LIMIT if max_rows is None else max_rows))
    skip = own_offset if own_offset is not None else max(0, offset)

    qualifiers = _qualify_tables(nodes, database)
    scopes: dict[int, dict[str, str | None]] = {}
    for node in nodes.paths:
        replacement = _resolve(node, qualifiers, scopes)
        if replacement is not None:
            node.replace(replacement)
            _mark_nullable(replacement)
            continue
        person_id = _resolve_person_id(node, qualifiers)
        if person_id is not None:
            node.replace(person_id)
    ctes = {cte.alias_or_name for cte in nodes.ctes}
    for membership in nodes.memberships:
        _check_membership(membership, ctes, database)
    _rename_functions(nodes.functions, now)
    _null_safe(nodes.comparisons)

    if isinstance(tree, exp.Select):
        tree.set("limit", exp.Limit(expression=exp.Literal.number(effective + 1)))
        tree.set("offset", exp.Offset(expression=exp.Literal.number(skip)) if skip else None)
    else:
        wrapper = exp.select("*").from_(tree.subquery("_hogql_union"))
        wrapper = wrapper.limit(effective + 1)
        tree = wrapper.offset(skip) if skip else wrapper
    sql = tree.sql(dialect=DIALECT, copy=False)
    check_calls(_DIALECT.tokenize(sql), emitted=True)
    return Translation(hogql=hogql, clickhouse=sql, columns=names, limit=effective, offset=skip)
