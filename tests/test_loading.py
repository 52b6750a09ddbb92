"""Reading user files gives one-line errors naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from posthog_escalation import loading
from posthog_escalation.errors import InputError
from posthog_escalation.loading import load_model, read_document
from posthog_escalation.models import EscalationRequest

DEMO = Path(loading.__file__).parent / "examples" / "demo_request.yaml"


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with PyYAML's C loader and with its pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(yaml, "__with_libyaml__", False)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml here")
    return str(request.param)


def test_the_c_loader_is_used_when_libyaml_is_built_in(yaml_parser: str) -> None:
    expected = yaml.CSafeLoader if yaml_parser == "libyaml" else yaml.SafeLoader
    loader = loading.yaml_loader("a: 1\n")
    try:
        assert type(loader) is expected
    finally:
        loader.dispose()


def test_both_loaders_read_the_demo_request_the_same(yaml_parser: str) -> None:
    expected = yaml.load(DEMO.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    assert read_document(DEMO) == expected


def test_load_model_takes_a_path_given_as_text() -> None:
    request = load_model(str(DEMO), EscalationRequest)
    assert request.ticket.id == "ZD-48213"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    ["a: &x [*x]\n", "a: &x {self: *x}\n", "a: &x [1, [2, *x]]\n"],
)
def test_a_document_that_refers_to_itself_is_refused_in_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        read_document(path)
    line = raised.value.one_line()
    assert "loop.yaml" in line and "refers to itself" in line and "\n" not in line


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


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"ticket: {{id: T1, subject: s, tags: *a{levels}}}")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_in_one_line_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb())
    with pytest.raises(InputError) as raised:
        read_document(path)
    line = raised.value.one_line()
    assert "bomb.yaml" in line and "expand" in line and "\n" not in line


def test_a_few_aliases_that_expand_modestly_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("base: &b {sdk: posthog-js}\nfirst: *b\nsecond: {<<: *b, version: '1.2'}\n")
    data = read_document(path)
    assert data["first"] == {"sdk": "posthog-js"}
    assert data["second"] == {"sdk": "posthog-js", "version": "1.2"}


def test_too_many_aliases_are_refused_even_when_each_is_small(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("a: &a x\nlist:\n" + "".join("  - *a\n" for _ in range(5000)))
    with pytest.raises(InputError, match="many.yaml: .*aliases"):
        read_document(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 5000 + "]" * 5000),
        ("deep.yaml", "[" * 5000 + "]" * 5000),
        ("deep_map.json", '{"a":' * 3000 + "1" + "}" * 3000),
        ("deep_block.yaml", "".join(" " * i + "- \n" for i in range(0, 2000, 1)) + "x\n"),
    ],
)
def test_deeply_nested_documents_give_one_line_not_a_recursion_error(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        read_document(path)
    assert name in raised.value.one_line()
    assert "nested deeper than" in raised.value.one_line()


def test_a_bracket_inside_a_json_string_does_not_count_as_nesting(tmp_path: Path) -> None:
    path = tmp_path / "strings.json"
    path.write_text('{"ticket": {"id": "T1", "subject": "' + "[" * 500 + '"}}')
    assert read_document(path)["ticket"]["subject"] == "[" * 500


def test_a_document_larger_than_the_cap_is_refused(tmp_path: Path) -> None:
    from posthog_escalation.loading import MAX_DOCUMENT_BYTES

    path = tmp_path / "huge.yaml"
    path.write_text("subject: " + "x" * (MAX_DOCUMENT_BYTES + 1) + "\n")
    with pytest.raises(InputError, match="huge.yaml: .*larger than"):
        read_document(path)
