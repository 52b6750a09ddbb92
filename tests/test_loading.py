"""Reading user files gives one-line errors naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.errors import InputError
from posthog_escalation.loading import load_model, read_document
from posthog_escalation.models import EscalationRequest


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.yaml: file not found"):
        read_document(tmp_path / "nope.yaml")


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("ticket:\n  id: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml: invalid YAML at line \d+, column \d+"):
        read_document(path)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"ticket": }')
    with pytest.raises(InputError, match="bad.json: invalid JSON at line 1, column 12"):
        read_document(path)


def test_non_utf8_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("subject: caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_document(path)


def test_wrong_type_names_the_nested_field_and_the_value(tmp_path: Path) -> None:
    path = tmp_path / "req.yaml"
    path.write_text("ticket:\n  id: T1\n  subject: s\n  customer:\n    seats: lots\n")
    with pytest.raises(InputError) as info:
        load_model(path, EscalationRequest)
    line = info.value.one_line()
    assert "req.yaml" in line
    assert "ticket.customer.seats" in line
    assert "'lots'" in line
    assert "schema request" in line
    assert "\n" not in line


def test_missing_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "req.json"
    path.write_text('{"ticket": {"id": "T1"}}')
    with pytest.raises(InputError, match="field 'ticket.subject' is required"):
        load_model(path, EscalationRequest)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(InputError, match="empty.yaml: is empty"):
        load_model(path, EscalationRequest)
