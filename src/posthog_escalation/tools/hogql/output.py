"""Bounded query output: the row, cell and byte caps a printed or returned answer keeps to.

The caps are those of the MCP server's ``hogql_query`` tool (1,000 rows, 1,000 characters
per cell), plus a limit on the whole output, so that no query — ``SELECT * FROM events
LIMIT 10000000`` included — can make the CLI print without end. Formatting is linear in
the number of cells.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len

from ...tables import CUT
from .models import HogQLResponse

MAX_ROWS = 1000
"""Rows an answer keeps (the MCP tool's cap)."""
MAX_CELL_CHARS = 1000
"""Characters a cell keeps; longer text and JSON are cut (the MCP tool's cap)."""
MAX_OUTPUT_BYTES = 1_000_000
"""Bytes of cell text an answer keeps in all; rows after the one that crosses it are cut."""
TEXT_CELL = 80
"""Characters a cell shows in a text table."""


@dataclass(frozen=True)
class BoundedAnswer:
    """A response cut to the caps, and what was cut.

    Attributes:
        response: The response with at most the capped rows and cells.
        rows_cut: Rows left out (known ones; ``response.hasMore`` says whether more exist).
        cells_cut: Cells whose text was shortened.
        notes: One line per cap that applied, saying what to do instead.
    """

    response: HogQLResponse
    rows_cut: int = 0
    cells_cut: int = 0
    notes: list[str] = field(default_factory=list)


def bound_cell(value: Any, max_chars: int = MAX_CELL_CHARS) -> tuple[Any, bool]:
    """A cell within ``max_chars`` (long text, and JSON containers, become cut text)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) <= max_chars:
            return value, False
    else:
        return value, False
    if len(text) <= max_chars:
        return value, False
    return text[: max_chars - len(CUT)] + CUT, True


def bound_answer(
    response: HogQLResponse,
    *,
    max_rows: int = MAX_ROWS,
    max_cell: int = MAX_CELL_CHARS,
    max_bytes: int = MAX_OUTPUT_BYTES,
) -> BoundedAnswer:
    """Cut ``response`` to ``max_rows`` rows, ``max_cell`` characters per cell and
    ``max_bytes`` bytes of cell text in all."""
    rows: list[list[Any]] = []
    cells_cut = size = 0
    notes: list[str] = []
    for row in response.results:
        if len(rows) >= max_rows:
            notes.append(f"cut to {max_rows:,} rows: aggregate, or page with LIMIT/OFFSET")
            break
        kept = []
        for value in row:
            value, was_cut = bound_cell(value, max_cell)
            cells_cut += was_cut
            size += len(value.encode()) if isinstance(value, str) else len(str(value))
            kept.append(value)
        rows.append(kept)
        if size > max_bytes and len(rows) < len(response.results):
            notes.append(
                f"cut at {len(rows):,} rows: the output reached {max_bytes:,} bytes; "
                "select fewer columns or aggregate"
            )
            break
    if cells_cut:
        notes.append(f"{cells_cut:,} cell(s) longer than {max_cell:,} characters were cut")
    rows_cut = len(response.results) - len(rows)
    cut = response.model_copy(update={"results": rows, "hasMore": response.hasMore or rows_cut > 0})
    return BoundedAnswer(response=cut, rows_cut=rows_cut, cells_cut=cells_cut, notes=notes)


def _text(value: Any, max_chars: int) -> str:
    if value is None:
        text = "null"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= max_chars else text[: max_chars - len(CUT)] + CUT


def text_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, max_cell: int = TEXT_CELL
) -> str:
    """An aligned plain-text table (header, rule, rows), in time linear in its cells."""
    header = [_text(name, max_cell) for name in columns]
    body = [[_text(value, max_cell) for value in row] for row in rows]
    widths = [cell_len(name) for name in header]
    for row in body:
        for i, text in enumerate(row[: len(widths)]):
            width = cell_len(text)
            if width > widths[i]:
                widths[i] = width

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            text + " " * (widths[i] - cell_len(text)) for i, text in enumerate(cells)
        ).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in body)
    return "\n".join(out)
