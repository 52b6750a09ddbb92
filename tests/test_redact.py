"""Redaction: secrets and personal data never survive; what engineering needs does."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, unquote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posthog_escalation.models import Customer, Escalation, Message, Ticket
from posthog_escalation.redact import Redactor, redact_text, redactor_for
from posthog_escalation.render import render_markdown

POSTHOG_KEY = "phc_zX7v4mcFHg2CMJJNadoniCiY0HhnC9YSwL8cF1yjaOl"
PERSONAL_KEY = "phx_9kQw2LmN4pR6sT8vX0zB2dF4hJ6kL8nP0rT2vX4zB6dF8hJ"
GITHUB_TOKEN = "ghp_R8d2Kq9ZxV4mN7bT1cY6wP3sL5jH0fG2aE9u"
AWS_KEY = "AKIAQ3EGRM7TZK4XJ2WB"
ANTHROPIC_KEY = "sk-ant-api03-" + "Qm9vX2Rvb3JfYmVsbF9yaW5n_Z2l2ZV9tZV9hX2tleQ-" * 2
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTQyIiwib3JnIjoibm9ydGh3aW5kIn0."
    "Qm9vX3Rva2VuX3NpZ25hdHVyZV9mb3JfdGVzdHM9PQ7kP2x"
)


@pytest.fixture
def ticket() -> Ticket:
    return Ticket(
        id="ZD-48213",
        subject="Blank recordings in Safari",
        body="Hi, Dana Whitfield here from Northwind Health.",
        customer=Customer(
            org_name="Northwind Health",
            org_id="org_7f3k2p9q",
            contacts=["Dana Whitfield"],
            project_id="48213",
        ),
        messages=[
            Message(author_name="Priya Raman", text="Looping in our CTO."),
            Message(author_role="support", author_name="Sam Okafor", text="Looking now."),
        ],
    )


@pytest.fixture
def redactor(ticket: Ticket) -> Redactor:
    return Redactor.for_ticket(ticket)


def test_the_same_value_always_gets_the_same_placeholder_and_different_values_differ() -> None:
    redactor = Redactor()
    first = redactor("mail ada@example.com, then bob@example.com, then ADA@example.com")
    assert first == "mail [email-1], then [email-2], then [email-1]"
    assert redactor("ada@example.com again") == "[email-1] again"


def test_for_ticket_knows_contacts_message_authors_org_name_and_org_id(ticket: Ticket) -> None:
    redactor = Redactor.for_ticket(ticket)
    assert redactor.names == ["Dana Whitfield", "Priya Raman", "Sam Okafor"]
    assert redactor.orgs == ["Northwind Health"]
    assert redactor.org_ids == ["org_7f3k2p9q"]
    assert redactor.project_ids == ["48213"]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("posthog.init('" + POSTHOG_KEY + "')", POSTHOG_KEY),
        ("POSTHOG_PERSONAL_API_KEY=" + PERSONAL_KEY, PERSONAL_KEY),
        ("token " + GITHUB_TOKEN, GITHUB_TOKEN),
        ("aws_access_key_id = " + AWS_KEY, AWS_KEY),
        ("ANTHROPIC_API_KEY=" + ANTHROPIC_KEY, ANTHROPIC_KEY),
        ("Authorization: Bearer " + JWT, JWT),
        ("curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0'", "9f8e7d6c5b4a"),
        ("Authorization: Basic ZGFuYTpodW50ZXIyMDI0IQ==", "ZGFuYTpodW50ZXIyMDI0IQ=="),
        ("aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9ExAmPlE", "wJalrXUtnFEMI"),
        ('{"password": "correct horse battery staple"}', "correct horse"),
        ("client_secret='s3cr3t-v4lue-99'", "s3cr3t-v4lue-99"),
        ("postgres://analytics:Sup3rS3cret@db.internal:5432/app", "Sup3rS3cret"),
        ("https://example.com/callback?code=Zk29xQ&access_token=ya29.a0AfH6SM", "ya29.a0AfH6SM"),
        ("https://hooks.slack.com/services/T0001/B0002/XXXXyyyyZZZZ1234", "XXXXyyyyZZZZ1234"),
        ("stripe sk_live_51HxQ2kLmNoPqRsTuVwXyZ012345", "sk_live_51HxQ2k"),
        ("google AIzaSyD4-k9Qx2mN7bT1cY6wP3sL5jH0fG2aE9u", "AIzaSyD4-k9Qx2m"),
        ("slack xoxb-2048-4096-Zk29xQmN7bT1cY6wP3sL5jH0", "xoxb-2048"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
        ("write to dana@northwind-health.com", "dana@northwind-health.com"),
        ("call +44 20 7946 0958 today", "7946 0958"),
        ("or (415) 555-0142 after lunch", "555-0142"),
        ("phone: 0171 2345678", "2345678"),
        ("card 4242 4242 4242 4242 exp 12/29", "4242 4242"),
        ("from 203.0.113.42 only", "203.0.113.42"),
        ("and 2001:db8:85a3::8a2e:370:7334 too", "2001:db8:85a3::8a2e:370:7334"),
    ],
)
def test_each_kind_of_secret_and_personal_datum_is_replaced(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert re.search(r"\[[a-z\-]+-1\]", redacted)


@pytest.mark.parametrize(
    "text",
    [
        "key = 'phc_zX7v4mcFHg2CMJJNadoniCiY0H\n    hnC9YSwL8cF1yjaOl'",
        "key = phc_zX7v4mcFHg2CMJJNadon\\\niCiY0HhnC9YSwL8cF1yjaOl",
        'key = "phc_zX7v4mcFHg2CMJJNa" +\n      "doniCiY0HhnC9YSwL8cF1yjaOl"',
        "key = 'phc_zX7v4mcFHg2C' 'MJJNadoniCiY0HhnC9YSwL8cF1yjaOl'",
        "> posthog.init('phc_zX7v4mcFHg2CMJJNadoniCiY0\n> HhnC9YSwL8cF1yjaOl')",
        "// phc_zX7v4mcFHg2CMJJNadoniCiY0Hhn\n// C9YSwL8cF1yjaOl",
        "phc_zX7v4mcFHg2CMJJNadoniCiY0H\r\nhnC9YSwL8cF1yjaOl",
        "phc_zX7v4mc\u200bFHg2CMJJNadoniCiY0HhnC9YSwL8cF1yjaOl",
        "phc_zX7v4mc\u00adFHg2CMJJNadoniCiY0HhnC9YSwL8cF1yjaOl",
    ],
)
def test_a_key_wrapped_across_lines_or_broken_by_invisible_characters_is_replaced_whole(
    text: str,
) -> None:
    redacted = redact_text(text)
    for fragment in ("zX7v4mc", "FHg2CMJJ", "Nadoni", "C9YSwL8", "cF1yjaOl"):
        assert fragment not in redacted
    assert redacted.count("[posthog-key-1]") == 1


def test_a_jwt_wrapped_in_the_middle_of_a_segment_is_replaced_whole() -> None:
    text = f"Authorization: Bearer {JWT[:50]}\n    {JWT[50:]}\nThanks"
    redacted = redact_text(text)
    assert JWT[50:70] not in redacted and JWT[:20] not in redacted
    assert redacted.endswith("\nThanks")


def test_a_complete_key_at_the_end_of_a_line_does_not_swallow_the_next_word() -> None:
    assert redact_text(f"key {POSTHOG_KEY}\nThanks for looking") == (
        "key [posthog-key-1]\nThanks for looking"
    )


@pytest.mark.parametrize(
    "text",
    [
        POSTHOG_KEY.upper(),
        "PhC_" + POSTHOG_KEY[4:],
        GITHUB_TOKEN.replace("ghp_", "GHP_"),
        "BEARER 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "Api_Key: 9f8e7d6c5b4a3928",
        "PASSWORD=hunter2hunter2",
    ],
)
def test_secrets_are_caught_in_any_letter_case(text: str) -> None:
    redacted = redact_text(text)
    assert "9f8e7d6c5b4a" not in redacted
    assert "hunter2" not in redacted
    assert POSTHOG_KEY[8:30].lower() not in redacted.lower()
    assert GITHUB_TOKEN[8:].lower() not in redacted.lower()


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "posthog.api_key",
        "my.app.config.posthog.personal.api_key",
        "A_B_C_D_E_F_G_SECRET",
    ],
)
def test_a_secret_named_by_a_long_dotted_or_snake_name_is_replaced(name: str) -> None:
    redacted = redact_text(f"{name} = q9Zt4xWv8Lm2Np6R")
    assert "q9Zt4xWv8Lm2Np6R" not in redacted


def test_a_token_in_a_url_with_a_long_scheme_name_is_replaced() -> None:
    redacted = redact_text("clickhouse+native://admin:s3cr3tPassw0rd@db.internal:9000/default")
    assert "s3cr3tPassw0rd" not in redacted and "db.internal" in redacted


def test_secrets_inside_code_blocks_and_json_are_replaced() -> None:
    text = (
        "```js\nposthog.init('" + POSTHOG_KEY + "', { api_host: 'https://eu.i.posthog.com' })\n"
        "```\n```json\n"
        + json.dumps({"apiKey": "a1b2c3d4e5f6", "email": "ops@northwind.io"})
        + "\n```"
    )
    redacted = redact_text(text)
    assert POSTHOG_KEY not in redacted
    assert "a1b2c3d4e5f6" not in redacted
    assert "ops@northwind.io" not in redacted
    assert "https://eu.i.posthog.com" in redacted
    assert redacted.startswith("```js\nposthog.init('[posthog-key-1]'")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("https://app.example.com/?next=%2Fsettings%3Femail%3Ddana%2540nw.io", "dana@nw.io"),
        ("login?user=dana%40northwind.io&x=1", "dana@northwind.io"),
        ("GET /decide/?token=" + quote(POSTHOG_KEY, safe=""), POSTHOG_KEY),
        ('{"email": "dana\\u0040northwind.io"}', "dana@northwind.io"),
        ("dana&#64;northwind.io", "dana@northwind.io"),
        ("dana&commat;northwind.io", "dana@northwind.io"),
        ("q=phone%3A%2B44%2020%207946%200958", "7946 0958"),
    ],
)
def test_encoded_values_are_decoded_and_replaced(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert secret not in unquote_plus(unquote_plus(redacted))


def test_an_encoded_token_without_anything_to_redact_is_left_exactly_as_written() -> None:
    query = "WHERE properties.$exception_message ILIKE '%adoptedStyleSheets%' AND url LIKE '%2F'"
    assert redact_text(query) == query


def test_obfuscated_email_addresses_are_replaced() -> None:
    assert redact_text("dana [at] northwind [dot] io") == "[email-1]"
    assert redact_text("dana(at)northwind(dot)io") == "[email-1]"


def test_credentials_in_a_url_are_replaced_but_the_host_is_kept() -> None:
    assert redact_text("https://admin:pa55word@posthog.internal:8000/api") == (
        "https://[credentials-1]@posthog.internal:8000/api"
    )


def test_what_engineering_needs_is_kept() -> None:
    text = (
        "posthog-js 1.201.0 and posthog-react-native@4.1.3 (posthog-ios 3.19.4) on Safari 18.1\n"
        "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')\n"
        "first seen 2026-11-14 09:12:40 UTC, at 2026-11-14T09:12:40.123Z, epoch 1763111560 "
        "and 1763111560123 ms\n"
        "| 1873 | 5 | 212 |\n"
        "session 0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b, distinct id user_8812\n"
        "https://us.posthog.com/project/48213/replay/0193a1b2?t=42\n"
        "SELECT count() FROM events WHERE properties.$lib_version = '1.201.0' LIMIT 100\n"
        "HTTP 504 from /i/v0/e/ in region EU; 40211 150877 20544 events; ratio 0.25\n"
        "localhost 127.0.0.1 and ::1; python list[1::2]; C++ std::vector\n"
        "token validation fails; use Bearer authentication; credentials: 'include'"
    )
    assert redact_text(text) == text


def test_project_ids_are_kept_by_default_and_replaced_when_configured(ticket: Ticket) -> None:
    text = "See https://us.posthog.com/project/48213/insights and project id: 48213"
    assert Redactor.for_ticket(ticket)(text) == text
    hidden = Redactor.for_ticket(ticket, keep_project_ids=False)(text)
    assert "48213" not in hidden
    assert hidden == (
        "See https://us.posthog.com/project/[project-1]/insights and project id: [project-1]"
    )


def test_names_are_replaced_in_any_case_and_written_form(redactor: Redactor) -> None:
    text = (
        "DANA WHITFIELD wrote; dana.whitfield and dana_whitfield and DanaWhitfield agreed. "
        "Whitfield, Dana. Hi dana, thanks priya. cc @sam"
    )
    redacted = redactor(text)
    for word in ("dana", "whitfield", "priya", "sam"):
        assert word not in redacted.lower()
    assert redacted.startswith("[person-1] wrote; [person-1] and [person-1] and [person-1]")


def test_org_names_are_replaced_as_words_slugs_and_host_names(redactor: Redactor) -> None:
    text = (
        "Northwind Health (northwind-health, NORTHWIND_HEALTH, NorthwindHealth) runs "
        "https://app.northwind.io and northwindhealth.com; Northwind's CTO. Org org_7f3k2p9q."
    )
    redacted = redactor(text)
    assert "northwind" not in redacted.lower()
    assert "7f3k2p9q" not in redacted
    assert "[org-1]" in redacted and "[org-id-1]" in redacted
    assert "Health" not in redacted


def test_a_name_that_is_also_an_ordinary_lower_case_word_is_left_alone_in_prose() -> None:
    redactor = Redactor(names=["Will Page"])
    text = "Load a page and it will fail. Will Page reported it; Page says so too."
    assert (
        redactor(text)
        == "Load a page and it will fail. [person-1] reported it; [person-1] says so too."
    )


def test_configured_secrets_are_replaced_even_when_wrapped() -> None:
    secret = "custom-secret-value-0042"
    redactor = Redactor(extra_secrets=[secret])
    assert redactor(f"x {secret} y") == "x [secret-1] y"
    assert "0042" not in redactor("x custom-secret-\n    value-0042 y")


def test_redactor_for_without_a_ticket_uses_the_patterns_and_extra_secrets() -> None:
    redactor = redactor_for(None, ["tok-123456"], keep_project_ids=False)
    assert (
        redactor("tok-123456 dana@x.io /project/991") == "[secret-1] [email-1] /project/[project-1]"
    )


def test_the_public_flavour_of_the_example_leaks_no_customer_identity(
    example_escalation: Escalation, ticket: Ticket
) -> None:
    public = render_markdown(example_escalation, "public", redactor=Redactor.for_ticket(ticket))
    assert "Northwind" not in public
    assert "adoptedStyleSheets" in public
    assert "posthog-js 1.201.0" in public
    assert "adoptedStyleSheets" in public


# ---------------------------------------------------------------------------------------
# Property: no seeded secret, email or name survives, however it is dressed up.
# ---------------------------------------------------------------------------------------
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B64URL = ALNUM + "-_"
FILLER = [
    "posthog-js 1.201.0",
    "Safari 18",
    "TypeError: undefined is not an object",
    "2026-11-14 09:12:40 UTC",
    "1873 events",
    "| E1 | HogQL query | 5 orgs |",
    "```",
    "> quoted reply",
    "see https://us.posthog.com/project/123/replay",
    "SELECT count() FROM events",
    "$lib_version",
    "\n",
    "\n\n",
    "- bullet",
]
FIRST = ["Dana", "Priya", "Joaquín", "Mei", "Olusegun", "Ingrid", "Tomasz", "Aisling"]
LAST = ["Whitfield", "Raman", "Okafor", "Castellanos", "Lindqvist", "Nakamura", "Brennan"]
ORGS = ["Northwind Health", "Globex Robotics", "Initech Payments", "Umbrella Labs Norway"]


def _fixed(prefix: str, alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size).map(lambda s: prefix + s)


def _jwt() -> st.SearchStrategy[str]:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return st.tuples(st.binary(min_size=12, max_size=40), st.binary(min_size=32, max_size=64)).map(
        lambda parts: "eyJhbGciOiJIUzI1NiJ9.eyJ" + b64(parts[0]) + "." + b64(parts[1])
    )


SECRETS = st.one_of(
    _fixed("phc_", ALNUM, 43),
    _fixed("phx_", ALNUM, 43),
    _fixed("ghp_", ALNUM, 36),
    _fixed("github_pat_", ALNUM + "_", 82),
    _fixed("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    _fixed("sk-ant-api03-", B64URL, 87),
    _fixed("sk_live_", ALNUM, 24),
    _jwt(),
)
CASE_INSENSITIVE_PREFIXES = ("phc_", "phx_", "ghp_", "github_pat_", "AKIA", "sk-")
BREAKS = ["\n", "\n    ", "\\\n", "\r\n", "' +\n  '", '" "', "\n> ", "\n// ", "\u200b"]


@st.composite
def dressed_secret(draw: st.DrawFn) -> tuple[str, str]:
    """A secret in one of the ways it shows up in tickets: (dressed text, the secret)."""
    secret = draw(SECRETS)
    style = draw(
        st.sampled_from(
            ["plain", "quoted", "code", "url", "encoded", "split", "mixed_case", "header"]
        )
    )
    if style == "mixed_case" and secret.startswith(CASE_INSENSITIVE_PREFIXES):
        flips = draw(st.lists(st.booleans(), min_size=len(secret), max_size=len(secret)))
        secret = "".join(c.upper() if f else c.lower() for c, f in zip(secret, flips, strict=True))
        return secret, secret
    if style == "quoted":
        quote_char = draw(st.sampled_from(["'", '"', "`"]))
        return f"{quote_char}{secret}{quote_char}", secret
    if style == "code":
        return (
            f"```python\nposthog = Posthog({secret!r}, host='https://eu.i.posthog.com')\n```",
            secret,
        )
    if style == "url":
        name = draw(st.sampled_from(["token", "api_key", "access_token", "key"]))
        return f"https://app.example.com/callback?{name}={secret}&next=%2Fhome", secret
    if style == "encoded":
        return "https://example.com/go?q=" + quote(quote(secret, safe=""), safe=""), secret
    if style == "header":
        return f"Authorization: Bearer {secret}", secret
    if style == "split":
        cut = draw(st.integers(min_value=5, max_value=len(secret) - 1))
        glue = draw(st.sampled_from(BREAKS))
        return f"key = '{secret[:cut]}{glue}{secret[cut:]}'", secret
    return secret, secret


@st.composite
def dressed_person(draw: st.DrawFn) -> tuple[str, str]:
    name = f"{draw(st.sampled_from(FIRST))} {draw(st.sampled_from(LAST))}"
    form = draw(
        st.sampled_from(["as is", "upper", "lower", "random", "slug", "dotted", "reversed"])
    )
    if form == "upper":
        text = name.upper()
    elif form == "lower":
        text = name.lower()
    elif form == "random":
        flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
        text = "".join(c.upper() if f else c.lower() for c, f in zip(name, flips, strict=True))
    elif form == "slug":
        text = name.lower().replace(" ", "-")
    elif form == "dotted":
        text = name.lower().replace(" ", ".")
    elif form == "reversed":
        first, last = name.split()
        text = f"{last}, {first}"
    else:
        text = name
    return text, name


def _dress_email(address: str, form: str) -> str:
    local, domain = address.split("@")
    return {
        "plain": address,
        "encoded": quote(address, safe=""),
        "json": f"{local}\\u0040{domain}",
        "entity": f"{local}&#64;{domain}",
        "quoted": f"'{address}'",
        "mailto": f"<mailto:{address}>",
    }[form]


EMAILS = st.tuples(
    st.sampled_from(["dana.w", "ops", "priya+posthog", "m.nakamura", "billing"]),
    st.sampled_from(["northwind.io", "globex-robotics.com", "mail.initech.co.uk"]),
    st.booleans(),
    st.sampled_from(["plain", "encoded", "json", "entity", "quoted", "mailto"]),
).map(
    lambda t: (
        _dress_email(f"{t[0]}@{t[1]}".upper() if t[2] else f"{t[0]}@{t[1]}", t[3]),
        f"{t[0]}@{t[1]}",
    )
)


def _survives(secret: str, output: str) -> bool:
    views = {output, output.lower(), unquote_plus(output), unquote_plus(unquote_plus(output))}
    views |= {v.lower() for v in list(views)}
    window = 12
    fragments = {secret.lower()} | {
        secret[i : i + window].lower() for i in range(0, max(1, len(secret) - window + 1))
    }
    return any(fragment in view for fragment in fragments for view in views)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    secrets=st.lists(dressed_secret(), min_size=1, max_size=4),
    people=st.lists(dressed_person(), min_size=1, max_size=3),
    emails=st.lists(EMAILS, min_size=0, max_size=3),
    org=st.sampled_from(ORGS),
    filler=st.lists(st.sampled_from(FILLER), min_size=0, max_size=8),
    order=st.randoms(use_true_random=False),
)
def test_property_no_seeded_secret_email_or_name_survives(
    secrets: list[tuple[str, str]],
    people: list[tuple[str, str]],
    emails: list[tuple[str, str]],
    org: str,
    filler: list[str],
    order: object,
) -> None:
    pieces = [text for text, _ in secrets + people + emails] + filler
    pieces.append(org.upper() if len(pieces) % 2 else org.lower().replace(" ", "-"))
    order.shuffle(pieces)  # type: ignore[attr-defined]
    text = " ".join(pieces)
    ticket = Ticket(
        id="T-1",
        subject="s",
        customer=Customer(org_name=org, contacts=[name for _, name in people]),
    )
    output = Redactor.for_ticket(ticket)(text)
    for _, secret in secrets:
        assert not _survives(secret, output), (secret, output)
    for _, address in emails:
        assert address.lower() not in unquote_plus(output).lower(), (address, output)
    for _, name in people:
        assert name.lower() not in output.lower(), (name, output)
        last = name.split()[1]
        assert last not in output and last.upper() not in output, (name, output)
    assert org.split()[0].lower() not in output.lower(), (org, output)
    assert "posthog-js 1.201.0" in output or "posthog-js 1.201.0" not in text


@pytest.mark.parametrize(
    "text",
    [
        'api_key: "<ph_project_api_key>"',
        "personal_api_key: 'your personal API key from step 1'",
        '"Authorization": "Bearer <personal_api_key>"',
        "token: ${GITHUB_TOKEN}",
        "apiKey: POSTHOG_API_KEY",
        "apiKey={process.env.NEXT_PUBLIC_POSTHOG_KEY}",
        "api_key=phx_...",
        "persistence: consent ? 'localStorage+cookie' : 'memory'",
    ],
)
def test_values_that_only_stand_for_a_secret_are_left_readable(text: str) -> None:
    assert redact_text(text) == text


def test_a_real_value_next_to_a_secret_name_is_replaced_even_if_it_reads_like_words() -> None:
    redacted = redact_text(
        'password: "my-secret-pass-123" and API_KEY=AB12CD34EF56GH78 token=my_secret_pass'
    )
    assert redacted == 'password: "[secret-1]" and API_KEY=[secret-2] token=[secret-3]'


def test_an_email_wrapped_at_the_at_sign_and_a_key_in_a_url_path_are_replaced() -> None:
    assert (
        redact_text("write to dana.whitfield@\n  northwind.io today") == "write to [email-1] today"
    )
    assert redact_text(f"https://us.i.posthog.com/static/array/{POSTHOG_KEY}/config.js") == (
        "https://us.i.posthog.com/static/array/[posthog-key-1]/config.js"
    )


# ---------------------------------------------------------------------------------------
# The hostile pass (issue 15): shapes that leaked, and names nobody listed.
# ---------------------------------------------------------------------------------------
NPM_TOKEN = "npm_Wq8fZ2kR7xLm4NvB9cT1yH6jD3sP0aQe5UoG"
SENDGRID_KEY = "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"
GITLAB_TOKEN = "glpat-Rk7xLm4NvB9cT1yH6jD3"
HF_TOKEN = "hf_QmZkRvLnBcTyHjDsPaQeUoGwFzKxMnVbCtYh"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
HEX_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"our CI uses {NPM_TOKEN} to publish", NPM_TOKEN),
        (f"//registry.npmjs.org/:_authToken={NPM_TOKEN}", NPM_TOKEN),
        (f"sendgrid key {SENDGRID_KEY} in the mailer", SENDGRID_KEY),
        (f"GitLab: {GITLAB_TOKEN}", GITLAB_TOKEN),
        (f"HF {HF_TOKEN} for the model", HF_TOKEN),
        (
            "DefaultEndpointsProtocol=https;AccountName=nwlogs;AccountKey="
            + AZURE_KEY
            + ";EndpointSuffix=core.windows.net",
            AZURE_KEY,
        ),
        ("staging login pw CorrectHorseBattery99 if you need it", "CorrectHorseBattery99"),
        (f"the token we rotated yesterday was {HEX_TOKEN}.", HEX_TOKEN),
        (f"API key for staging is {HEX_TOKEN}", HEX_TOKEN),
        ("encoded: " + base64.b64encode(f"api_key={HEX_TOKEN}".encode()).decode(), HEX_TOKEN),
        ("creds " + base64.b64encode(b"dana:hunter2hunter2").decode(), "ZGFuYTpo"),
        ("key " + base64.b64encode(GITHUB_TOKEN.encode()).decode() + " works", "Z2hwX1I4"),
        ("an unknown vendor key Zk29xQmN7bT1cY6wP3sL5jH0fG2aE9uRt4", "Zk29xQmN7bT1"),
    ],
)
def test_credential_shapes_that_leaked_are_replaced_whole(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert not _survives(secret, redacted), redacted


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SSN 123-45-6789 on file", "123-45-6789"),
        ("her social security number: 123456789", "123456789"),
        ("pay to DE89 3704 0044 0532 0130 00 by Friday", "3704 0044 0532"),
        ("IBAN GB82WEST12345698765432.", "GB82WEST12345698765432"),
        ("call (415) 555-0142.", "555-0142"),
        ("call +1 415 555 0142.", "555 0142"),
        ("or 020 7946 0958.", "7946 0958"),
    ],
)
def test_personal_numbers_that_leaked_are_replaced(text: str, value: str) -> None:
    redacted = redact_text(text)
    assert value not in redacted and value.replace(" ", "") not in redacted.replace(" ", "")


def test_a_phone_number_followed_by_a_full_stop_keeps_the_full_stop() -> None:
    assert Redactor()("call (415) 555-0142.") == "call [phone-1]."


@pytest.mark.parametrize(
    "text",
    [
        "version 1.201.0 released 2026-11-14; 1,234,567 events; build 20261114.3",
        "invalid SSN-looking 000-12-3456 and 666-12-3456 are not numbers anyone has",
        "trace 4bf92f3577b34da6a3ce929d0e0e4736 and sha 5d41402abc4b2a76b9719d911017c592",
        "useFeatureFlagEnabled and getFeatureFlagPayload and onFeatureFlags callbacks",
        "the password reset flow and the token refresh endpoint return 401",
        "NEXT_PUBLIC_POSTHOG_KEY and POSTHOG_PERSONAL_API_KEY are set in Vercel",
        "Product Analytics, Web Analytics, Session Replay and Feature Flags; Google Analytics",
        "Safari 18.1 on macOS 15.1; Chrome 131 works",
    ],
)
def test_engineering_text_is_not_taken_for_a_secret_or_a_person(text: str) -> None:
    assert redact_text(text) == text


def test_product_names_stay_whole_when_another_customer_shares_a_word() -> None:
    redactor = Redactor(orgs=["Cyberdyne Analytics", "Northwind Health"])
    text = "Search 'Product Analytics'; Cyberdyne Analytics and Cyberdyne's team; Health checks."
    assert (
        redactor(text) == "Search 'Product Analytics'; [org-1] and [org-1]'s team; Health checks."
    )


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Safari replay blank, reported by Marcus Chen (Acme Corp)", ["Marcus Chen", "Acme"]),
        ("Hi team, looping in Tom Baker from their platform group", ["Tom Baker"]),
        ("Thanks, Jennifer", ["Jennifer"]),
        ("Our CTO Olusegun Adeyemi wants a call", ["Olusegun", "Adeyemi"]),
        ("Initech LLC and Globex Robotics see the same thing", ["Initech", "Globex"]),
        ("as Sarah Connor wrote in the ticket", ["Sarah Connor"]),
        ("— Priya\nSupport Engineer", ["Priya"]),
    ],
)
def test_names_of_people_and_companies_not_in_the_customer_record_are_replaced(
    text: str, names: list[str]
) -> None:
    redacted = Redactor()(text)
    for name in names:
        assert name not in redacted, redacted


def test_a_credentials_only_redactor_keeps_personal_data() -> None:
    redactor = Redactor(names=["Dana Whitfield"], credentials_only=True)
    text = f"Dana Whitfield (dana@northwind.io) pasted {POSTHOG_KEY} and pw CorrectHorse99"
    assert redactor(text) == (
        "Dana Whitfield (dana@northwind.io) pasted [posthog-key-1] and pw [secret-1]"
    )
