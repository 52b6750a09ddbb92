"""Dense text embeddings, offline on CPU, from a model shipped inside an installed package.

The default encoder is WordLlama (``wordllama`` on PyPI): a 16 MB static token-embedding
model that ships in the wheel, so nothing is downloaded at run time. It is loaded with
``cache_dir`` set to the installed package's folder and ``disable_download=True``: the
loader looks for the weights in ``<package>/weights`` and for the tokenizer in
``<cache_dir>/tokenizers`` (its own first guess, ``<package>/tokenizer``, does not exist).

Both known-issue matching and docs search use it for the dense half of their hybrid
ranking; when the package is missing or its model cannot be read, :func:`default_encoder`
returns None and both fall back to lexical ranking only (logged once).
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

MAX_CHARS = 2000
"""Only the first characters of a text are embedded (a pasted log stays cheap)."""


@runtime_checkable
class TextEncoder(Protocol):
    """Turns texts into unit-length float32 vectors; similar texts get a high dot product."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, L2-normalised, ``float32``, shape ``(len(texts), dim)``."""
        ...


class WordLlamaEncoder:
    """WordLlama's shipped 256-dimension model (average-pooled token embeddings).

    Raises:
        OSError: The package's model files are missing.
    """

    def __init__(self, dim: int = 256) -> None:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            import wordllama
            from wordllama import WordLlama
        finally:  # its import calls logging.basicConfig(); the application owns logging
            root.handlers[:] = handlers
            root.setLevel(level)

        folder = Path(wordllama.__file__).resolve().parent
        self._model = WordLlama.load(cache_dir=folder, disable_download=True, dim=dim)
        version = getattr(wordllama, "__version__", "?")
        self.name = f"wordllama-{version}-l2_supercat-{dim}"
        self.dim = dim

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for ``texts`` (empty texts give zero vectors)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [t[:MAX_CHARS] if t.strip() else "." for t in texts]
        vectors = np.asarray(self._model.embed(clipped, norm=False), dtype=np.float32)
        return normalise(vectors)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


@lru_cache(maxsize=1)
def default_encoder() -> TextEncoder | None:
    """The shipped WordLlama encoder, or None (lexical ranking only) when it cannot load.

    ``POSTHOG_ESCALATION_DENSE=off`` turns the dense side off (for comparisons).
    """
    if os.environ.get("POSTHOG_ESCALATION_DENSE", "").lower() in {"0", "off", "false", "no"}:
        return None
    try:
        return WordLlamaEncoder()
    except (ImportError, OSError, ValueError, RuntimeError) as exc:
        log.warning("dense ranking is off: the WordLlama model could not be loaded (%s)", exc)
        return None


def texts_hash(texts: list[str], encoder: TextEncoder) -> str:
    """A content hash of ``texts`` and the encoder: the key an embedding cache is stored by."""
    digest = hashlib.sha256(encoder.name.encode())
    for text in texts:
        data = text[:MAX_CHARS].encode("utf-8", "replace")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def cached_embeddings(texts: list[str], encoder: TextEncoder, cache_dir: Path | None) -> np.ndarray:
    """Embeddings of ``texts``, read from ``cache_dir/<content hash>.npy`` when present and
    written there after computing them otherwise (a failed write only logs)."""
    if cache_dir is None:
        return encoder.encode(texts)
    path = cache_dir / f"{texts_hash(texts, encoder)[:32]}.npy"
    if path.is_file():
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.shape == (len(texts), encoder.dim):
                return cached.astype(np.float32, copy=False)
        except (OSError, ValueError):
            pass
    vectors = encoder.encode(texts)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot cache embeddings in %s (%s)", cache_dir, exc.strerror)
    return vectors


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    """RRF: each item scores ``sum(1 / (k + rank))`` over the rankings it appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused
