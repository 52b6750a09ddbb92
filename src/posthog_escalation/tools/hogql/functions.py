"""The functions HogQL may call: an allow-list, and a scanner that finds every call in SQL.

The list follows what PostHog exposes in HogQL (its function mapping: arithmetic, arrays,
comparisons, conversions, dates, strings, search and replace, conditionals, maths,
rounding, maps, splitting, bits, URLs, JSON, nulls, tuples, window functions and the
aggregates), restricted to what ClickHouse itself provides. Anything else is refused by
name, so functions that read the host or the server (``hostName()``, ``user()``,
``currentDatabase()``, ``getServerSetting()``, ``queryID()``, dictionaries, table
functions, ...) never run, whatever they are called.

:func:`called_functions` reads calls from the token stream rather than the syntax tree, so
it sees a call however the parser classifies it; the translator runs it over the query as
written (to name what the user wrote) and over the ClickHouse SQL it sends (to catch
anything the SQL generator introduced).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlglot.tokens import Token, TokenType


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ARITHMETIC = _names(
    "plus minus multiply divide intDiv intDivOrZero modulo moduloOrZero positiveModulo "
    "negate abs gcd lcm max2 min2 multiplyDecimal divideDecimal"
)
_ARRAYS = _names(
    "empty notEmpty length reverse array range arrayConcat arrayElement has hasAll hasAny "
    "hasSubstr indexOf arrayCount countEqual arrayEnumerate arrayEnumerateUniq "
    "arrayEnumerateDense arrayPopBack arrayPopFront arrayPushBack arrayPushFront arrayResize "
    "arraySlice arraySort arrayReverseSort arrayUniq arrayJoin arrayDifference arrayDistinct "
    "arrayIntersect arrayReverse arrayFilter arrayFlatten arrayCompact arrayZip arrayAUC "
    "arrayMap arrayFill arraySplit arrayReverseFill arrayReverseSplit arrayExists arrayAll "
    "arrayFirst arrayLast arrayFirstIndex arrayLastIndex arrayMin arrayMax arraySum arrayAvg "
    "arrayCumSum arrayCumSumNonNegative arrayProduct arrayStringConcat"
)
_COMPARISON_AND_LOGIC = _names(
    "equals notEquals less greater lessOrEquals greaterOrEquals and or xor not"
)
_CONVERSIONS = _names(
    "toInt toFloat toDecimal toDate toDateTime toUUID toString toJSONString parseDateTime "
    "parseDateTimeBestEffort toBool toInt8 toInt16 toInt32 toInt64 toUInt8 toUInt16 toUInt32 "
    "toUInt64 toFloat32 toFloat64 toInt64OrNull toFloat64OrNull toDateOrNull toDateTime64 "
    "toTypeName cast accurateCastOrNull parseDateTime64BestEffortOrNull "
    "parseDateTimeBestEffortOrNull reinterpretAsString"
)
_DATES = _names(
    "toTimeZone timeZoneOf timeZoneOffset toYear toQuarter toMonth toDayOfYear toDayOfMonth "
    "toDayOfWeek toHour toMinute toSecond toUnixTimestamp toUnixTimestamp64Milli "
    "toStartOfYear toStartOfISOYear toStartOfQuarter toStartOfMonth toLastDayOfMonth toMonday "
    "toStartOfWeek toStartOfDay toLastDayOfWeek toStartOfHour toStartOfMinute "
    "toStartOfSecond toStartOfFiveMinutes toStartOfTenMinutes toStartOfFifteenMinutes "
    "toStartOfInterval toTime toISOYear toISOWeek toWeek toYearWeek age dateDiff date_diff "
    "dateTrunc date_trunc dateAdd dateSub timeStampAdd timeStampSub now today yesterday "
    "timeSlot toYYYYMM toYYYYMMDD toYYYYMMDDhhmmss addYears addMonths addWeeks addDays "
    "addHours addMinutes addSeconds addQuarters subtractYears subtractMonths subtractWeeks "
    "subtractDays subtractHours subtractMinutes subtractSeconds subtractQuarters timeSlots "
    "formatDateTime dateName monthName fromUnixTimestamp toIntervalSecond toIntervalMinute "
    "toIntervalHour toIntervalDay toIntervalWeek toIntervalMonth toIntervalQuarter "
    "toIntervalYear extract"
)
_STRINGS = _names(
    "lengthUTF8 leftPad rightPad lpad rpad leftPadUTF8 rightPadUTF8 lower upper lowerUTF8 "
    "upperUTF8 isValidUTF8 toValidUTF8 repeat format reverseUTF8 concat substring substr "
    "substringUTF8 left right appendTrailingCharIfAbsent base58Encode base58Decode "
    "base64Encode base64Decode tryBase64Decode endsWith startsWith trim trimBoth trimLeft "
    "trimRight encodeXMLComponent decodeXMLComponent extractTextFromHTML ascii "
    "concatWithSeparator position positionCaseInsensitive positionUTF8 "
    "positionCaseInsensitiveUTF8 multiSearchAllPositions multiSearchFirstPosition "
    "multiSearchFirstIndex multiSearchAny match multiMatchAny multiMatchAnyIndex "
    "multiMatchAllIndices extractAll extractAllGroupsHorizontal extractAllGroupsVertical like "
    "ilike notLike notILike ngramDistance ngramSearch countSubstrings "
    "countSubstringsCaseInsensitive countMatches regexpExtract replace replaceAll replaceOne "
    "replaceRegexpAll replaceRegexpOne regexpQuoteMeta translate translateUTF8 splitByChar "
    "splitByString splitByRegexp splitByWhitespace splitByNonAlpha alphaTokens "
    "extractAllGroups ngrams tokens"
)
_CONDITIONALS_AND_MATHS = _names(
    "if multiIf e pi exp log ln exp2 log2 exp10 log10 sqrt cbrt erf erfc lgamma tgamma sin "
    "cos tan asin acos atan pow power intExp2 intExp10 cosh acosh sinh asinh atanh atan2 "
    "hypot log1p sign degrees radians factorial width_bucket floor ceil ceiling trunc round "
    "roundBankers roundToExp2 roundDuration roundAge roundDown"
)
_MAPS_BITS_URLS = _names(
    "map mapFromArrays mapAdd mapSubtract mapPopulateSeries mapContains mapKeys mapValues "
    "mapContainsKeyLike mapExtractKeyLike mapApply mapFilter mapUpdate bitAnd bitOr bitXor "
    "bitNot bitShiftLeft bitShiftRight bitRotateLeft bitRotateRight bitSlice bitTest "
    "bitTestAll bitTestAny bitCount bitHammingDistance protocol domain domainWithoutWWW "
    "topLevelDomain firstSignificantSubdomain cutToFirstSignificantSubdomain "
    "cutToFirstSignificantSubdomainWithWWW port path pathFull queryString fragment "
    "queryStringAndFragment extractURLParameter extractURLParameters extractURLParameterNames "
    "URLHierarchy URLPathHierarchy encodeURLComponent decodeURLComponent "
    "encodeURLFormComponent decodeURLFormComponent netloc cutWWW cutQueryString cutFragment "
    "cutQueryStringAndFragment cutURLParameter"
)
_JSON_NULLS_TUPLES = _names(
    "isValidJSON JSONHas JSONLength JSONArrayLength JSONType JSONExtractUInt JSONExtractInt "
    "JSONExtractFloat JSONExtractBool JSONExtractString JSONExtractKey JSONExtractKeys "
    "JSONExtractRaw JSONExtractArrayRaw JSONExtractKeysAndValuesRaw JSONExtract "
    "JSONExtractKeysAndValues isNull isNotNull coalesce ifNull nullIf assumeNotNull toNullable "
    "tuple tupleElement untuple tupleHammingDistance tupleToNameValuePairs tuplePlus "
    "tupleMinus tupleMultiply tupleDivide tupleNegate tupleMultiplyByNumber "
    "tupleDivideByNumber dotProduct"
)
_OTHER = _names(
    "isFinite isInfinite ifNotFinite isNaN bar transform formatReadableDecimalSize "
    "formatReadableSize formatReadableQuantity formatReadableTimeDelta least greatest "
    "tumble hop tumbleStart tumbleEnd hopStart hopEnd L1Norm L2Norm LinfNorm LpNorm "
    "L1Distance L2Distance LinfDistance LpDistance cosineDistance cityHash64 sipHash64 "
    "xxHash64 murmurHash3_64 MD5 SHA256 hex unhex generateUUIDv4"
)
_WINDOW = _names(
    "rank dense_rank row_number first_value last_value nth_value lagInFrame leadInFrame "
    "percent_rank"
)
_AGGREGATES = _names(
    "count min max sum avg any stddevPop stddevSamp varPop varSamp covarPop covarSamp corr "
    "anyHeavy anyLast argMin argMax avgWeighted topK topKWeighted groupArray groupUniqArray "
    "groupArrayInsertAt groupArrayMovingAvg groupArrayMovingSum groupArraySample "
    "groupBitAnd groupBitOr groupBitXor sumWithOverflow deltaSum deltaSumTimestamp sumMap "
    "minMap maxMap skewSamp skewPop kurtSamp kurtPop uniq uniqExact uniqHLL12 uniqTheta "
    "uniqCombined uniqCombined64 median medianExact medianExactLow medianExactHigh "
    "medianExactWeighted medianTiming medianTDigest quantile quantiles quantileExact "
    "quantileTiming quantileTDigest quantilesExact quantilesTiming quantilesTDigest "
    "simpleLinearRegression contingency cramersV cramersVBiasCorrected theilsU "
    "maxIntersections maxIntersectionsPosition countDistinct windowFunnel retention "
    "sequenceMatch sequenceCount"
)
_AGGREGATE_SUFFIXES = ("If", "Array", "OrNull", "OrDefault", "Distinct")
"""Combinators that may follow an allowed aggregate (``countIf``, ``uniqExactIf``, ...)."""

TYPE_NAMES = _names(
    "Nullable LowCardinality Array Tuple Map Nested DateTime DateTime64 Date Date32 Decimal "
    "Decimal32 Decimal64 Decimal128 Decimal256 FixedString Enum Enum8 Enum16 Variant"
)
"""Type constructors, which appear with parentheses in casts (``CAST(x AS Nullable(String))``)."""

EMITTED = _names(
    "now64 toDateTime64 accurateCastOrNull parseDateTime64BestEffortOrNull toDateOrNull minus "
    "nullIf ifNull JSONExtract date_add date_sub timestamp_add "
    "timestamp_sub ltrim rtrim"
)
"""Functions the translator writes into the ClickHouse SQL itself, including the names its
SQL generator gives some calls (``dateAdd(...)`` is written ``DATE_ADD(...)``)."""

AGGREGATES = frozenset(name.lower() for name in _AGGREGATES)
_CALLABLE = (
    _ARITHMETIC,
    _ARRAYS,
    _CONVERSIONS,
    _DATES,
    _STRINGS,
    _CONDITIONALS_AND_MATHS,
    _MAPS_BITS_URLS,
    _JSON_NULLS_TUPLES,
    _OTHER,
    _WINDOW,
    _AGGREGATES,
)
"""The groups of named functions (operators and type names are allowed but not listed)."""

ALLOWED: frozenset[str] = frozenset(
    name.lower() for group in (*_CALLABLE, _COMPARISON_AND_LOGIC, TYPE_NAMES) for name in group
)
"""Every function name a HogQL query may call, lower-cased (ClickHouse names are matched
without regard to case)."""

_DISPLAY = {name.lower(): name for group in _CALLABLE for name in group}

_STRUCTURAL = frozenset(
    {
        TokenType.IN,
        TokenType.NOT,
        TokenType.AND,
        TokenType.OR,
        TokenType.EXISTS,
        TokenType.ALIAS,
        TokenType.FROM,
        TokenType.JOIN,
        TokenType.USING,
        TokenType.OVER,
        TokenType.WITH,
        TokenType.SELECT,
        TokenType.WHERE,
        TokenType.PREWHERE,
        TokenType.HAVING,
        TokenType.ON,
        TokenType.GROUP_BY,
        TokenType.ORDER_BY,
        TokenType.PARTITION_BY,
        TokenType.THEN,
        TokenType.WHEN,
        TokenType.ELSE,
        TokenType.CASE,
        TokenType.VALUES,
        TokenType.LIKE,
        TokenType.ILIKE,
        TokenType.IS,
        TokenType.BETWEEN,
        TokenType.DISTINCT,
        TokenType.ALL,
        TokenType.ANY,
        TokenType.SOME,
        TokenType.UNION,
        TokenType.EXCEPT,
        TokenType.INTERSECT,
        TokenType.LIMIT,
        TokenType.OFFSET,
        TokenType.FILTER,
        TokenType.ROWS,
        TokenType.RANGE,
        TokenType.INTERVAL,
        TokenType.GLOBAL,
        TokenType.ARRAY,
        TokenType.WINDOW,
        TokenType.QUALIFY,
    }
)
"""Keywords that may precede a parenthesis without being a call (``IN (``, ``OVER (``)."""

_TABLE_POSITIONS = frozenset({TokenType.FROM, TokenType.JOIN})

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Call:
    """One function call found in SQL: the name as written, where it starts, and whether it
    stands where a table would (after ``FROM`` or ``JOIN``)."""

    name: str
    position: int
    as_table: bool = False


def called_functions(tokens: Iterable[Token]) -> Iterator[Call]:
    """Every ``name(`` in a token stream, keywords such as ``IN (`` and ``OVER (`` aside.

    Quoted names count too (```user`()``): ClickHouse calls them all the same.
    """
    before: Token | None = None
    previous: Token | None = None
    for token in tokens:
        if (
            token.token_type == TokenType.L_PAREN
            and previous is not None
            and previous.token_type not in _STRUCTURAL
            and previous.token_type not in (TokenType.STRING, TokenType.NUMBER)
            and (previous.token_type == TokenType.IDENTIFIER or _WORD.fullmatch(previous.text))
        ):
            as_table = before is not None and before.token_type in _TABLE_POSITIONS
            yield Call(previous.text, previous.start, as_table)
        before, previous = previous, token


def is_allowed(name: str, *, emitted: bool = False) -> bool:
    """Whether a HogQL query may call ``name`` (``emitted``: also the translator's own)."""
    lowered = name.lower()
    if lowered in ALLOWED or (emitted and lowered in _EMITTED_LOWER):
        return True
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES_LOWER:
            if lowered.endswith(suffix) and len(lowered) > len(suffix):
                lowered = lowered[: -len(suffix)]
                stripped = True
                if lowered in AGGREGATES:
                    return True
    return False


_SUFFIXES_LOWER = tuple(s.lower() for s in _AGGREGATE_SUFFIXES)
_EMITTED_LOWER = frozenset(name.lower() for name in EMITTED)


def allowed_functions() -> list[str]:
    """Every allowed function (aggregates, window and value functions), as ClickHouse
    spells them, sorted; the ``If``/``Array``/``OrNull``/``OrDefault``/``Distinct``
    combinators of the aggregates are allowed too."""
    return sorted(_DISPLAY.values(), key=str.lower)


def suggestion(name: str) -> str | None:
    """The allowed function whose name is closest to ``name`` (for typos), if any."""
    near = difflib.get_close_matches(name.lower(), list(_DISPLAY), n=1, cutoff=0.8)
    return _DISPLAY[near[0]] if near else None
