"""Bounded query output: row, cell and byte caps, and the plain-text table."""

from __future__ import annotations

from posthog_escalation.tables import CUT
from posthog_escalation.tools.hogql import HogQLResponse
from posthog_escalation.tools.hogql.output import bound_answer, bound_cell, text_table


def response(rows: list[list], columns: list[str] | None = None, more: bool = False):
    return HogQLResponse(
        results=rows, columns=columns or [f"c{i}" for i in range(len(rows[0]))], hasMore=more
    )


def test_rows_beyond_the_cap_are_cut_and_reported() -> None:
    answer = bound_answer(response([[i] for i in range(30)]), max_rows=10)
    assert answer.response.results == [[i] for i in range(10)]
    assert answer.rows_cut == 20
    assert answer.response.hasMore
    assert answer.notes == ["cut to 10 rows: aggregate, or page with LIMIT/OFFSET"]


def test_long_text_and_json_cells_are_cut_and_counted() -> None:
    answer = bound_answer(response([["x" * 50, {"k": "y" * 50}, 7]]), max_cell=20)
    text, container, number = answer.response.results[0]
    assert text == "x" * (20 - len(CUT)) + CUT
    assert container.startswith('{"k": "yyy') and container.endswith(CUT) and len(container) == 20
    assert number == 7
    assert answer.cells_cut == 2


def test_the_whole_output_is_capped_in_bytes() -> None:
    rows = [["z" * 100] for _ in range(100)]
    answer = bound_answer(response(rows), max_bytes=1_000)
    assert len(answer.response.results) == 11
    assert answer.response.hasMore
    assert "the output reached 1,000 bytes" in answer.notes[0]


def test_an_answer_within_the_caps_is_unchanged() -> None:
    original = response([[1, "a"], [2, None]], more=False)
    answer = bound_answer(original)
    assert answer.response.results == original.results
    assert not answer.response.hasMore
    assert answer.notes == [] and answer.rows_cut == 0


def test_bound_cell_keeps_short_values_as_they_are() -> None:
    assert bound_cell([1, 2]) == ([1, 2], False)
    assert bound_cell("short") == ("short", False)


def test_text_table_aligns_columns_and_shows_nulls_and_json() -> None:
    out = text_table(["name", "n"], [["alpha", 1], [None, {"a": [1]}]])
    assert out.splitlines() == [
        "name   n",
        "-----  ----------",
        "alpha  1",
        'null   {"a": [1]}',
    ]


def test_text_table_cuts_wide_cells_and_keeps_one_line_per_row() -> None:
    out = text_table(["t"], [["a\nb" + "c" * 200]], max_cell=20)
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[2] == "a b" + "c" * (20 - 3 - len(CUT)) + CUT
