"""Whether support can answer a ticket itself ("not a bug") instead of escalating it.

A ticket is answerable when one of these holds, in order:

1. a documented behaviour of the playbook explains it (default replay masking, ad
   blockers, serverless flushing, ...) and it is not a regression or an exposure;
2. a troubleshooting, FAQ or common-questions section of the docs answers the problem
   with high confidence (the docs search's own calibrated score) and the customer reports
   no failure;
3. the customer asks a how-to question, or asks for a feature, and reports no failure
   (no error, crash, regression or data loss: the playbook's ``answerable.failures``).

Precision comes first: telling a customer their bug is configuration when it is a bug is
worse than escalating a question, so any failure cue vetoes 2 and 3.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from ..models import Model, Ticket
from ..playbook import DocumentedBehaviour, Playbook

AnswerKind = Literal["documented_behaviour", "docs_answer", "question", "feature_request"]
DOCS_CONFIDENCE = 0.8
"""A docs section answers the ticket when the docs search is at least this confident."""


class Answer(Model):
    """Why support can resolve the ticket, with what answers it when known."""

    kind: AnswerKind
    cue: str = Field(description="The words, pattern id or docs heading that decided it")
    url: str | None = None
    sentence: str | None = Field(None, description="The docs sentence that answers it")
    confidence: float | None = None

    @property
    def reason(self) -> str:
        """One line saying why this is not a bug to escalate."""
        what = {
            "documented_behaviour": "documented behaviour",
            "docs_answer": "the docs answer it",
            "question": "a how-to question with no failure reported",
            "feature_request": "a feature request with no failure reported",
        }[self.kind]
        return f"{what}: '{self.cue}'" + (f" ({self.url})" if self.url else "")


LINK_CONFIDENCE = 0.7
"""How sure the docs search must be before its best section is given as the answer to a
question or a feature request (the band where most dev answers were right)."""

ANSWER_PAGES = re.compile(r"troubleshoot|common[- ]questions|\bfaqs?\b|known[- ]issues", re.I)
"""Docs pages written to answer problems: troubleshooting, FAQ and common questions."""


def answers_questions(url: str, heading: str | None = None) -> bool:
    """Whether a docs section is on a page written to answer problems (troubleshooting,
    FAQ, common questions), not a reference page that merely mentions the topic."""
    return bool(ANSWER_PAGES.search(url) or ANSWER_PAGES.search(heading or ""))


def customer_text(ticket: Ticket) -> str:
    """What the customer wrote: subject, body and their own messages (not support's)."""
    parts = [ticket.subject, ticket.body]
    parts += [m.text for m in ticket.messages if m.author_role == "customer"]
    return "\n".join(p for p in parts if p)


def _search(patterns: list[str], text: str) -> str | None:
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
        if match:
            return match.group(0).strip()
    return None


def failure_cue(text: str, playbook: Playbook) -> str | None:
    """The first words saying something failed (an error, a crash, a regression)."""
    return _search(playbook.answerable.failures, text)


def answerable(
    text: str,
    playbook: Playbook,
    *,
    documented: DocumentedBehaviour | None = None,
    docs_url: str | None = None,
    docs_heading: str | None = None,
    docs_sentence: str | None = None,
    docs_confidence: float | None = None,
) -> Answer | None:
    """Why the ticket is not a bug to escalate, or None when it should be escalated.

    Args:
        text: What the customer wrote, its subject on the first line (see
            :func:`customer_text`).
        playbook: Its ``answerable`` cues.
        documented: A documented behaviour already matched (and allowed) for the ticket.
        docs_url: The best docs section for the problem, when searched.
        docs_heading: That section's heading.
        docs_sentence: The sentence of it that answers the problem.
        docs_confidence: The docs search's calibrated confidence in it (0-1).
    """
    if documented is not None:
        return Answer(kind="documented_behaviour", cue=documented.id, url=docs_url)
    if failure_cue(text, playbook):
        return None
    confident = docs_confidence is not None and docs_confidence >= DOCS_CONFIDENCE
    if docs_url and confident and answers_questions(docs_url, docs_heading):
        return Answer(
            kind="docs_answer",
            cue=docs_heading or docs_url,
            url=docs_url,
            sentence=docs_sentence,
            confidence=docs_confidence,
        )
    cues = playbook.answerable
    subject = text.split("\n", 1)[0]
    if docs_confidence is not None and docs_confidence < LINK_CONFIDENCE:
        docs_url = docs_sentence = None
    asked = _search(cues.questions, text) or _search(cues.subject_questions, subject)
    if asked:
        return Answer(kind="question", cue=asked, url=docs_url, sentence=docs_sentence)
    wanted = _search(cues.feature_requests, text) or _search(cues.subject_feature_requests, subject)
    if wanted:
        return Answer(kind="feature_request", cue=wanted, url=docs_url, sentence=docs_sentence)
    return None
