"""Credentials are replaced at the input edge: no output of a run ever holds one."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.loading import load_model
from posthog_escalation.models import EscalationRequest, Message, Ticket
from posthog_escalation.pipeline import escalate
from posthog_escalation.scrub import scrub_credentials, scrub_model

POSTHOG_KEY = "phx_9kQw2LmN4pR6sT8vX0zB2dF4hJ6kL8nP0rT2vX4zB6dF8hJ"
NPM_TOKEN = "npm_Wq8fZ2kR7xLm4NvB9cT1yH6jD3sP0aQe5UoG"
SENDGRID_KEY = "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"
GITLAB_TOKEN = "glpat-Rk7xLm4NvB9cT1yH6jD3"
HF_TOKEN = "hf_QmZkRvLnBcTyHjDsPaQeUoGwFzKxMnVbCtYh"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
PASSWORD = "CorrectHorseBattery99"
HEX_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CREDENTIALS = [
    POSTHOG_KEY,
    NPM_TOKEN,
    SENDGRID_KEY,
    GITLAB_TOKEN,
    HF_TOKEN,
    AZURE_KEY,
    PASSWORD,
    HEX_TOKEN,
]
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "posthog_escalation" / "examples"


def hostile_request() -> EscalationRequest:
    """The demo request with a credential in the subject, the body, a support message and
    every triage field that holds text."""
    request = load_model(EXAMPLES / "demo_request.yaml", EscalationRequest)
    ticket = request.ticket
    body = (
        ticket.body
        + f"\nOur personal key is {POSTHOG_KEY} and CI publishes with {NPM_TOKEN}.\n"
        + f"Mailer: {SENDGRID_KEY}; GitLab {GITLAB_TOKEN}; HF {HF_TOKEN}\n"
        + f"DefaultEndpointsProtocol=https;AccountName=nw;AccountKey={AZURE_KEY};\n"
        + f"staging login pw {PASSWORD}\n"
    )
    messages = [
        *ticket.messages,
        Message(author_role="support", author_name="Sam", text=f"token we tried was {HEX_TOKEN}"),
    ]
    hostile_ticket = ticket.model_copy(
        update={
            "subject": f"{ticket.subject} (key {NPM_TOKEN})",
            "body": body,
            "messages": messages,
        }
    )
    assert request.triage is not None
    triage = request.triage.model_copy(
        update={
            "summary": request.triage.summary + f" Customer pasted {HF_TOKEN}.",
            "findings": [*request.triage.findings, f"reproduced with pw {PASSWORD}"],
        }
    )
    return request.model_copy(update={"ticket": hostile_ticket, "triage": triage})


def leaked(text: str) -> list[str]:
    return [c for c in CREDENTIALS if c in text or c[:16] in text]


def test_every_string_is_scrubbed_and_one_key_keeps_one_placeholder() -> None:
    data = {
        "subject": f"key {POSTHOG_KEY}",
        "messages": [{"text": f"again {POSTHOG_KEY}", "author_name": "Dana Whitfield"}],
        "seats": 420,
        "links": [None, f"https://x.io/?token={HEX_TOKEN}"],
    }
    cleaned = scrub_credentials(data)
    assert cleaned["subject"] == "key [posthog-key-1]"
    assert cleaned["messages"][0] == {
        "text": "again [posthog-key-1]",
        "author_name": "Dana Whitfield",
    }
    assert cleaned["seats"] == 420 and cleaned["links"][0] is None
    assert HEX_TOKEN not in cleaned["links"][1]
    assert data["subject"] == f"key {POSTHOG_KEY}", "the input is not changed"


def test_personal_data_stays_in_the_loaded_ticket() -> None:
    ticket = Ticket(id="T-1", subject="Dana Whitfield, dana@northwind.io, +1 (415) 555-0142")
    assert scrub_model(ticket) is ticket


def test_a_loaded_request_file_holds_no_credential(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(hostile_request().model_dump_json())
    loaded = load_model(path, EscalationRequest)
    assert leaked(loaded.model_dump_json()) == []
    assert "Dana Whitfield" in loaded.ticket.body


def test_escalate_outputs_hold_no_credential_whatever_the_caller_passed(
    demo_backends: Backends, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, backend="local", _env_file=None)
    outcome = anyio.run(
        lambda: escalate(
            hostile_request(), settings=settings, backends=demo_backends, drafter="offline"
        )
    )
    assert outcome.escalation is not None
    outputs = {
        "internal": outcome.markdown,
        "public": outcome.public_markdown,
        "escalation": outcome.escalation.model_dump_json(),
        "evidence": json.dumps([e.model_dump(mode="json") for e in outcome.evidence]),
        "findings": json.dumps([f.model_dump() for f in outcome.findings]),
    }
    assert {name: leaked(text) for name, text in outputs.items()} == {n: [] for n in outputs}
    assert "Northwind Health" in outcome.markdown, "personal data may stay internal"


@pytest.mark.parametrize("secret", ["tok-configured-0042-value"])
def test_configured_secrets_are_scrubbed_too(secret: str) -> None:
    ticket = Ticket(id="T-1", subject=f"uses {secret}")
    assert secret not in scrub_model(ticket, [secret]).subject
