"""The dense encoder shipped in the wordllama wheel, the embedding cache, and RRF."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from posthog_escalation.tools.docs.embedding import (
    WordLlamaEncoder,
    cached_embeddings,
    default_encoder,
    reciprocal_rank_fusion,
    texts_hash,
)


@pytest.fixture(scope="module")
def encoder() -> WordLlamaEncoder:
    return WordLlamaEncoder()


def test_the_shipped_model_loads_offline_and_gives_unit_vectors(
    encoder: WordLlamaEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vectors = WordLlamaEncoder().encode(["session replay is blank", ""])
    assert vectors.shape == (2, 256) and vectors.dtype == np.float32
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)


def test_texts_about_the_same_problem_are_closer_than_unrelated_ones(
    encoder: WordLlamaEncoder,
) -> None:
    a, b, c = encoder.encode(
        [
            "Session recordings are blank for Safari users",
            "Replays show an empty white page in Safari",
            "Invoice charged twice for the annual plan",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.1


def test_loading_the_model_leaves_the_applications_logging_alone() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    WordLlamaEncoder()
    assert (list(root.handlers), root.level) == before


def test_the_dense_side_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    default_encoder.cache_clear()
    monkeypatch.setenv("POSTHOG_ESCALATION_DENSE", "off")
    try:
        assert default_encoder() is None
    finally:
        default_encoder.cache_clear()


class Counting:
    name = "counting"
    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.eye(4, dtype=np.float32)[[len(t) % 4 for t in texts]]


def test_embeddings_are_cached_by_content_hash(tmp_path: Path) -> None:
    enc = Counting()
    first = cached_embeddings(["a", "bb"], enc, tmp_path)
    second = cached_embeddings(["a", "bb"], enc, tmp_path)
    assert enc.calls == 1 and np.array_equal(first, second)
    cached_embeddings(["a", "bbb"], enc, tmp_path)
    assert enc.calls == 2
    assert texts_hash(["a", "bb"], enc) != texts_hash(["ab", ""], enc)


def test_an_unwritable_cache_still_returns_embeddings(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cached_embeddings(["a"], Counting(), blocker / "cache").shape == (1, 4)


def test_reciprocal_rank_fusion_rewards_items_both_rankings_agree_on() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], k=60)
    assert max(fused, key=fused.get) == 1
    assert fused[3] > fused[2] and fused[4] < fused[2]
