"""Ranking behaviour of the docs index on a small fixture corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.errors import QueryError
from posthog_escalation.tools.docs import DocHit, DocsIndex, DocsSearch, build_index


@pytest.fixture
def index(fixture_docs: Path) -> DocsIndex:
    return build_index(fixture_docs)


def test_the_index_satisfies_the_docs_search_protocol(index: DocsIndex) -> None:
    assert isinstance(index, DocsSearch)


def test_a_question_finds_the_section_that_answers_it(index: DocsIndex) -> None:
    hit = index.search("recordings are blank", limit=1)[0]
    assert hit == DocHit(
        id="docs/session-replay/troubleshooting#recordings-are-blank",
        title="Replay troubleshooting",
        heading="Recordings are blank",
        breadcrumb="Replay troubleshooting > Recordings are blank",
        url="https://posthog.com/docs/session-replay/troubleshooting#recordings-are-blank",
        snippet=hit.snippet,
        score=hit.score,
        area="session-replay",
        route="session_replay",
        lexical=hit.lexical,
        dense=hit.dense,
    )
    assert hit.score > 0
    assert "blank recording usually means the recorder script was blocked" in hit.snippet


def test_a_heading_match_outranks_a_passing_mention_in_the_body(index: DocsIndex) -> None:
    urls = [h.url for h in index.search("masking")]
    heading_hit = urls.index("https://posthog.com/docs/session-replay/privacy#masking-inputs")
    passing = urls.index("https://posthog.com/docs/session-replay/troubleshooting#playback-is-slow")
    assert heading_hit < passing


def test_stemming_matches_other_word_forms(index: DocsIndex) -> None:
    assert index.search("merging identified users")[0].url.endswith(
        "#refused-to-merge-an-already-identified-user"
    )


def test_identifiers_match_their_parts_and_as_a_whole(index: DocsIndex) -> None:
    assert index.search("posthog.shutdown()")[0].url.endswith("/libraries/node#shutdown")
    assert index.search("flushAt")[0].url.endswith("/libraries/node#serverless")
    assert index.search("sync_mode")[0].url.endswith("/libraries/python#sync-mode")


def test_pasted_error_text_is_boosted_as_a_phrase(tmp_path: Path, docs_writer) -> None:
    root = docs_writer(
        tmp_path / "site",
        {
            "a/one.mdx": "---\ntitle: One\n---\n\n## Warnings\n\n"
            "The server said refused to merge the user because the user was already known. "
            "Merge merge merge user user identified identified.\n",
            "a/two.mdx": "---\ntitle: Two\n---\n\n## Messages\n\n"
            "You may see: refused to merge an already identified user. It is expected.\n",
        },
    )
    index = build_index(root)
    hits = index.search("Refused to merge an already identified user", limit=2)
    assert hits[0].url == "https://posthog.com/docs/a/two#messages"


def test_quoted_strings_count_as_exact_matches(tmp_path: Path, docs_writer) -> None:
    root = docs_writer(
        tmp_path / "site",
        {
            "a/one.mdx": "---\ntitle: One\n---\n\n## Errors\n\nBlocked requests fail and the "
            "client logs errors. Blocked client errors are common.\n",
            "a/two.mdx": "---\ntitle: Two\n---\n\n## Console\n\n"
            "The console shows ERR_BLOCKED_BY_CLIENT when an extension blocks it.\n",
        },
    )
    hits = build_index(root).search('"ERR_BLOCKED_BY_CLIENT" blocked client errors', limit=2)
    assert hits[0].url == "https://posthog.com/docs/a/two#console"


def test_code_counts_less_than_prose(tmp_path: Path, docs_writer) -> None:
    root = docs_writer(
        tmp_path / "site",
        {
            "a/code.mdx": "---\ntitle: Alpha\n---\n\n## First\n\nSee below.\n\n"
            "```js\nrollout()\n```\n",
            "a/prose.mdx": "---\ntitle: Beta\n---\n\n## Second\n\nThe rollout starts slowly.\n",
        },
    )
    hits = build_index(root).search("rollout")
    assert [h.url.rsplit("/", 1)[-1] for h in hits] == ["prose#second", "code#first"]


def test_the_area_filter_limits_hits_to_that_area(index: DocsIndex) -> None:
    hits = index.search("events", area="libraries/node")
    assert hits and {h.area for h in hits} == {"libraries/node"}


def test_an_area_prefix_matches_every_sdk(index: DocsIndex) -> None:
    hits = index.search("events sending request", area="libraries", limit=10)
    assert {h.area for h in hits} == {"libraries/node", "libraries/python"}


def test_an_unknown_area_names_the_valid_ones(index: DocsIndex) -> None:
    with pytest.raises(QueryError) as caught:
        index.search("flags", area="nonsense")
    message = caught.value.one_line()
    assert "unknown area 'nonsense'" in message
    assert "session-replay" in message and "libraries/node" in message


def test_areas_lists_the_product_areas(index: DocsIndex) -> None:
    assert index.areas() == [
        "data",
        "feature-flags",
        "general",
        "libraries/node",
        "libraries/python",
        "session-replay",
    ]


@pytest.mark.parametrize("limit", [0, 51])
def test_a_limit_out_of_range_is_a_query_error(index: DocsIndex, limit: int) -> None:
    with pytest.raises(QueryError):
        index.search("flags", limit=limit)


def test_an_empty_query_is_a_query_error(index: DocsIndex) -> None:
    with pytest.raises(QueryError):
        index.search("   ")


def test_a_query_of_stop_words_or_unknown_words_finds_nothing(index: DocsIndex) -> None:
    assert index.search("the and of") == []
    assert index.search("zyzzyva") == []


def test_limit_caps_the_number_of_hits(index: DocsIndex) -> None:
    assert len(index.search("events", limit=2)) == 2


def test_hits_are_sorted_by_score(index: DocsIndex) -> None:
    scores = [h.score for h in index.search("events flags masking", limit=10)]
    assert scores == sorted(scores, reverse=True)


def test_snippets_are_short_and_start_at_the_best_sentence(tmp_path: Path, docs_writer) -> None:
    filler = " ".join(f"Sentence number {i} talks about nothing." for i in range(30))
    root = docs_writer(
        tmp_path / "site",
        {
            "a/p.mdx": f"---\ntitle: P\n---\n\n{filler} The webhook destination retries failed "
            f"deliveries. {filler}\n"
        },
    )
    hit = build_index(root).search("webhook destination retries")[0]
    assert hit.snippet.startswith("…The webhook destination retries failed deliveries.")
    assert len(hit.snippet) <= 282


def test_section_routes_follow_the_area(index: DocsIndex) -> None:
    routes = {h.area: h.route for h in index.search("events flags masking merge", limit=20)}
    assert routes.get("libraries/node") == "sdk_bug"
    assert routes.get("feature-flags") == "feature_flags"
    assert routes.get("data") == "ingestion"


def test_a_pasted_log_as_query_still_answers(index: DocsIndex) -> None:
    log = "Error: recordings are blank\n" + "at frame (bundle.js:1:2)\n" * 5000
    assert index.search(log)[0].heading == "Recordings are blank"
