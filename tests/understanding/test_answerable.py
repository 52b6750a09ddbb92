"""'Not a bug': what support can answer itself, precision first."""

from __future__ import annotations

from posthog_escalation.models import Message, Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.understanding.answerable import answerable, customer_text

BOOK = default_playbook()


def test_a_how_to_question_with_no_failure_is_answerable() -> None:
    answer = answerable("How do I stop recording on one route?\nI call init twice.", BOOK)
    assert answer is not None and answer.kind == "question"
    assert answer.cue == "How do I"


def test_a_reported_failure_vetoes_the_question() -> None:
    text = "How do I fix this?\nSince upgrading to 1.201.0 the page throws TypeError: x is null"
    assert answerable(text, BOOK) is None


def test_talk_of_errors_as_a_feature_is_not_a_failure() -> None:
    text = "Error tracking for Go\nAm I right that this SDK cannot capture panics or errors yet?"
    answer = answerable(text, BOOK)
    assert answer is not None and answer.kind == "question"


def test_a_feature_request_template_is_answerable() -> None:
    text = "Location\n**Is your feature request related to a problem?** I want city names."
    answer = answerable(text, BOOK)
    assert answer is not None and answer.kind == "feature_request"


def test_an_imperative_subject_is_a_feature_request_but_not_in_the_body() -> None:
    assert answerable("Add a disableGeoip option\nMobile needs it too.", BOOK) is not None
    assert answerable("Lifecycle events\nAdd this to Info.plist and start the app.", BOOK) is None


def test_a_plain_bug_report_is_escalated() -> None:
    assert answerable("Recordings are blank\nEvery Safari session is blank.", BOOK) is None


def test_a_documented_behaviour_is_answerable_even_with_an_error() -> None:
    documented = BOOK.documented_behaviours[1]
    answer = answerable("Events missing\nERR_BLOCKED_BY_CLIENT error", BOOK, documented=documented)
    assert answer is not None and answer.kind == "documented_behaviour"


def test_a_confident_docs_answer_is_answerable_and_an_unsure_one_is_not() -> None:
    text = "Lifecycle events are not captured on iOS\nI set the Info.plist key."
    faq = "https://posthog.com/docs/libraries/ios/troubleshooting#lifecycle-events"
    sure = answerable(text, BOOK, docs_url=faq, docs_heading="X", docs_confidence=0.9)
    assert sure is not None and sure.kind == "docs_answer" and sure.url == faq
    unsure = answerable(text, BOOK, docs_url=faq, docs_confidence=0.4)
    assert unsure is None


def test_a_reference_page_is_not_an_answer_however_confident() -> None:
    text = "GeoIP app not adding properties\nThe city is empty on our events."
    reference = "https://posthog.com/docs/libraries/python#geoip-properties"
    assert answerable(text, BOOK, docs_url=reference, docs_confidence=0.95) is None


def test_only_the_customers_own_words_count() -> None:
    ticket = Ticket(
        id="T",
        subject="Recordings are blank",
        body="Every Safari session is blank.",
        messages=[Message(author_role="support", text="How do I reproduce this on my side?")],
    )
    assert "How do I" not in customer_text(ticket)
    assert answerable(customer_text(ticket), BOOK) is None


def test_a_usability_complaint_with_no_failure_is_a_support_question() -> None:
    text = "Insights are confusing\nIt is hard to understand how to count new users per day."
    answer = answerable(text, BOOK)
    assert answer is not None and answer.kind == "question"


def test_a_question_gets_the_docs_link_only_when_the_docs_search_is_sure() -> None:
    text = "How do I stop recording on one route?\nWe call init on every page."
    url = "https://posthog.com/docs/session-replay/how-to-control-which-sessions-you-record"
    sure = answerable(
        text, BOOK, docs_url=url, docs_sentence="Call stopSessionRecording().", docs_confidence=0.85
    )
    assert sure is not None and sure.kind == "question" and sure.url == url
    unsure = answerable(
        text, BOOK, docs_url=url, docs_sentence="Call stopSessionRecording().", docs_confidence=0.35
    )
    assert unsure is not None and unsure.kind == "question"
    assert unsure.url is None and unsure.sentence is None
    assert url not in unsure.reason


def test_a_version_number_is_not_an_http_status() -> None:
    text = "How do I record iframes?\nWe run posthog-js 1.422.5 with recordCrossOriginIframes."
    answer = answerable(text, BOOK)
    assert answer is not None and answer.kind == "question"
    assert answerable("How do I retry?\nThe flags endpoint answers 502.", BOOK) is None
