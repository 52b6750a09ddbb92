"""Understanding a ticket: what it says (SDK, versions, errors, platform, consequences),
read the way real reports are written, and the one decision both drafters use (route,
repository, severity cues, escalate or resolve in support), each with its reasons."""

from .catalogue import (
    Catalogue,
    Component,
    SdkEntry,
    default_catalogue,
    exact_version,
    sdk_mentions,
)
from .consequences import SYMPTOMS
from .context import KNOWN_OPTIONS
from .extraction import MAX_TEXT, extract_signals, sentence_with
from .model import (
    MISSING_FACT_QUESTIONS,
    ConfigOption,
    DataRiskSignal,
    DateSignal,
    DepthSignal,
    ErrorSignal,
    LinkSignal,
    RevenueSignal,
    ScopeSignal,
    SdkMention,
    Signals,
    VersionChange,
)

__all__ = [
    "KNOWN_OPTIONS",
    "MAX_TEXT",
    "MISSING_FACT_QUESTIONS",
    "SYMPTOMS",
    "Catalogue",
    "Component",
    "ConfigOption",
    "DataRiskSignal",
    "DateSignal",
    "DepthSignal",
    "ErrorSignal",
    "LinkSignal",
    "RevenueSignal",
    "ScopeSignal",
    "SdkEntry",
    "SdkMention",
    "Signals",
    "VersionChange",
    "default_catalogue",
    "exact_version",
    "extract_signals",
    "sdk_mentions",
    "sentence_with",
]
