"""Hybrid docs ranking and answer_from_docs: the section, its sentence, the confidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posthog_escalation.tools.docs import (
    ANSWER_MIN_CONFIDENCE,
    answer_from_docs,
    build_index,
    content_hash,
    load_index,
    problem_query,
)
from posthog_escalation.tools.docs.answer import CALIBRATION, calibrated
from posthog_escalation.tools.docs.search import RankingParams

REAL_DOCS = Path("/work/shared/corpora/posthog-docs")


class Concepts:
    """A test encoder that knows two synonyms: 'empty' and 'blank' mean the same."""

    name = "concepts-test"
    dim = 8

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), self.dim), 0.05, dtype=np.float32)
        for row, text in enumerate(texts):
            words = text.lower().split()
            if {"blank", "empty", "white"} & set(words):
                out[row, 0] = 1.0
            if {"flag", "flags"} & set(words):
                out[row, 1] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_index_saves_and_reloads_section_embeddings(fixture_docs: Path, tmp_path: Path) -> None:
    index = build_index(fixture_docs, store=tmp_path, encoder=Concepts())
    saved = tmp_path / index.stats.content_hash[:24]
    assert (saved / "dense.npy").is_file() and index.hybrid
    again = load_index(saved, encoder=Concepts())
    assert again.hybrid and np.allclose(np.asarray(again.dense), index.dense)
    assert not load_index(saved, encoder=None).hybrid
    assert content_hash(fixture_docs, RankingParams(), encoder="a") != content_hash(
        fixture_docs, RankingParams(), encoder="b"
    )


def test_dense_similarity_ranks_a_synonym_match_above_a_word_match(fixture_docs: Path) -> None:
    lexical = build_index(fixture_docs, encoder=None)
    hybrid = build_index(fixture_docs, encoder=Concepts(), params=RankingParams(dense_weight=2.0))
    query = "replays empty playback"
    blank = "https://posthog.com/docs/session-replay/troubleshooting#recordings-are-blank"
    assert lexical.search(query, limit=1)[0].url != blank
    top = hybrid.search(query, limit=1)[0]
    assert top.url == blank and top.dense is not None and top.lexical is not None


def test_the_answer_cites_the_section_its_sentence_and_a_calibrated_confidence(
    fixture_docs: Path,
) -> None:
    index = build_index(fixture_docs, encoder=None)
    answer = answer_from_docs(
        index, "PostHog recordings are blank", "the recorder script was blocked by an extension"
    )
    assert answer is not None
    assert answer.url.endswith("#recordings-are-blank")
    assert "recorder script was blocked by an extension" in answer.sentence
    assert answer.query == "recordings are blank the recorder script was blocked by an extension"
    assert answer.confidence == calibrated(answer.strength)
    assert answer.alternatives[0].url == answer.url


def test_the_route_is_a_preference_not_a_filter(fixture_docs: Path) -> None:
    index = build_index(fixture_docs, encoder=None)
    plain = answer_from_docs(index, "masking")
    preferred = answer_from_docs(index, "masking", route="session_replay")
    assert plain is not None and preferred is not None
    assert preferred.route == "session_replay"
    assert answer_from_docs(index, "masking", route="no_such_route") is not None


def test_an_empty_problem_or_no_match_gives_no_answer(fixture_docs: Path) -> None:
    index = build_index(fixture_docs, encoder=None)
    assert answer_from_docs(index, "", "  ") is None
    assert answer_from_docs(index, "xyzzyplugh") is None


def test_the_query_drops_links_and_the_product_name() -> None:
    assert problem_query("PostHog flags", "see https://x.io/a b", "Error: boom") == (
        "flags see b Error: boom"
    )


def test_confidence_never_falls_as_strength_rises() -> None:
    levels = [calibrated(s / 100) for s in range(101)]
    assert levels == sorted(levels)
    assert calibrated(CALIBRATION[0][0]) >= ANSWER_MIN_CONFIDENCE > calibrated(0.0)


@pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"real docs corpus absent ({REAL_DOCS})")
def test_on_the_real_docs_a_documented_error_is_relied_on_and_a_crash_is_not() -> None:
    index = build_index(REAL_DOCS)
    warning = answer_from_docs(
        index,
        "Ingestion warning about refusing to merge",
        "the ingestion warnings page lists many events where the merge was refused",
        "Refused to merge an already identified user",
        route="ingestion",
    )
    assert warning is not None
    assert warning.url.endswith("#refused-to-merge-an-already-identified-user")
    assert warning.reliable
    assert warning.sentence and warning.sentence in index.passage(warning.alternatives[0])
    regression = answer_from_docs(
        index,
        "Android app crashes on launch after adding the SDK 3.8.0",
        "the app crashes immediately at startup on Android 8 devices only",
        "java.lang.NoSuchMethodError: No virtual method toMillis()",
    )
    assert regression is None or not regression.reliable
