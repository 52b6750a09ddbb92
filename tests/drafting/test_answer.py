"""The model's answer: its schema and how its text is read."""

from __future__ import annotations

import json

import pytest

from drafting.demo_answers import demo_answer
from posthog_escalation.drafting.answer import AnswerError, output_format, parse_answer
from posthog_escalation.evidence import EvidencePack


def _walk(schema: dict) -> list[dict]:
    found = [schema]
    for value in schema.values():
        if isinstance(value, dict):
            found += _walk(value)
        elif isinstance(value, list):
            found += [x for item in value if isinstance(item, dict) for x in _walk(item)]
    return found


def test_the_schema_has_no_optional_or_nullable_fields() -> None:
    schema = output_format()["schema"]
    objects = [s for s in _walk(schema) if s.get("type") == "object"]
    assert objects
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert set(obj.get("required", [])) == set(obj["properties"])
    assert not [s for s in _walk(schema) if "anyOf" in s]


def test_the_schema_leaves_policy_fields_to_code() -> None:
    props = output_format()["schema"]["properties"]
    for decided_by_code in ("assessment", "follow_up", "evidence", "affected_repo", "routing"):
        assert decided_by_code not in props


@pytest.fixture
def answer() -> dict:
    roles = {
        r: f"E{i}"
        for i, r in enumerate(
            [
                "impact",
                "trend",
                "versions",
                "environments",
                "org_sessions",
                "known_issues",
                "ticket",
            ],
            start=1,
        )
    }
    pack = EvidencePack(since="2026-11-06T12:00:00Z", until="2026-11-20T12:00:00Z", roles=roles)
    return demo_answer(pack)


def test_a_fenced_answer_with_prose_around_it_is_read(answer: dict) -> None:
    text = f"Here it is:\n```json\n{json.dumps(answer)}\n```\nDone."
    parsed = parse_answer(text)
    assert parsed.route == "session_replay"
    assert parsed.impact.evidence == ["E1", "E7"]


def test_text_without_json_says_so() -> None:
    with pytest.raises(AnswerError, match="no JSON object"):
        parse_answer("I think this is High severity.")


def test_broken_json_says_where() -> None:
    with pytest.raises(AnswerError, match="not valid JSON"):
        parse_answer('{"summary": "x",}')


def test_a_schema_mismatch_names_the_fields(answer: dict) -> None:
    del answer["asks"]
    answer["severity"] = "Urgent"
    with pytest.raises(AnswerError) as raised:
        parse_answer(json.dumps(answer))
    assert "asks" in str(raised.value)
    assert "severity" in str(raised.value)
