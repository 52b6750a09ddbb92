"""Compact pipe-separated tables for evidence rows and tool results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

CUT = "…[cut]"


def cell(value: Any, max_chars: int = 80) -> str:
    """One value as short text: JSON for containers, ISO for times, cut when long."""
    if value is None:
        text = "null"
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= max_chars else text[: max_chars - len(CUT)] + CUT


def pipe_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    max_rows: int = 20,
    max_cell: int = 80,
) -> str:
    """``columns`` and ``rows`` as ``a | b`` lines; says how many rows were left out."""
    lines = [" | ".join(columns)]
    lines += [" | ".join(cell(v, max_cell) for v in row) for row in rows[:max_rows]]
    if len(rows) > max_rows:
        lines.append(f"… {len(rows) - max_rows} more row(s)")
    return "\n".join(lines)
