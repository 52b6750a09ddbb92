"""A small term-weight classifier of product areas, trained on labeled reports.

Multinomial naive Bayes over English stems of the subject (counted twice) and body, with a
vocabulary limited to stems that occur in several reports, so what ships is a table of
numbers per area and common stem — never the reports' text. ``tools/train_area_model.py``
trains it from a labeled-report file and writes ``data/area_model.json`` with its
provenance; a test retrains it and checks the shipped file is reproduced.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import Stemmer
from pydantic import Field

from ..models import Model

MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "area_model.json"
MIN_REPORTS = 3
"""A stem is kept only when at least this many training reports use it."""
ALPHA = 0.5
TEMPERATURE = 8.0
"""Scales the mean per-stem log-likelihood before the softmax: larger is more confident."""

_WORD = re.compile(r"[a-z][a-z0-9_$]{1,30}")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "then",
        "than",
        "that",
        "this",
        "these",
        "those",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "it",
        "its",
        "we",
        "our",
        "you",
        "your",
        "i",
        "my",
        "me",
        "they",
        "them",
        "he",
        "she",
        "not",
        "no",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "can",
        "could",
        "would",
        "should",
        "will",
        "just",
        "so",
        "also",
        "when",
        "while",
        "there",
        "here",
        "what",
        "which",
        "who",
        "how",
        "why",
        "all",
        "any",
        "some",
        "more",
        "most",
        "very",
        "into",
        "out",
        "up",
        "down",
        "about",
        "after",
        "before",
        "again",
        "only",
        "still",
        "even",
        "get",
        "got",
        "using",
        "use",
        "used",
        "like",
        "one",
        "two",
    ]
)


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def stems(subject: str, body: str) -> list[str]:
    """The stems the model reads: the subject's twice, then the body's."""

    def words(text: str) -> list[str]:
        return [w for w in _WORD.findall(text.lower()) if w not in _STOP]

    head = _stemmer().stemWords(words(subject))
    return head + head + _stemmer().stemWords(words(body))


class AreaModel(Model):
    """Log prior and per-stem log-likelihood of each area, with where they came from."""

    version: int = 1
    classes: list[str]
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    unseen: dict[str, float] = Field(description="Log-likelihood of a known stem never seen")
    temperature: float = TEMPERATURE
    provenance: dict[str, str | int | float] = Field(default_factory=dict)

    def probabilities(self, subject: str, body: str) -> dict[str, float]:
        """P(area | text) over the model's areas (uniform-ish when no stem is known)."""
        vocabulary = self.log_likelihood[self.classes[0]]
        seen = [s for s in stems(subject, body) if s in vocabulary]
        logits = {}
        for area in self.classes:
            table = self.log_likelihood[area]
            mean = sum(table.get(s, self.unseen[area]) for s in seen) / len(seen) if seen else 0
            logits[area] = self.log_prior[area] + self.temperature * mean
        top = max(logits.values())
        exp = {a: math.exp(v - top) for a, v in logits.items()}
        total = sum(exp.values())
        return {a: v / total for a, v in exp.items()}

    def predict(self, subject: str, body: str) -> str:
        """The most probable area."""
        probabilities = self.probabilities(subject, body)
        return max(probabilities, key=lambda a: probabilities[a])


def train(
    examples: Sequence[tuple[str, str, str]],
    *,
    min_reports: int = MIN_REPORTS,
    alpha: float = ALPHA,
    temperature: float = TEMPERATURE,
    provenance: dict[str, str | int | float] | None = None,
) -> AreaModel:
    """Fit the model on ``(subject, body, area)`` examples; deterministic for one input."""
    documents = [(Counter(stems(s, b)), area) for s, b, area in examples]
    df: Counter[str] = Counter()
    for counts, _ in documents:
        df.update(counts.keys())
    vocabulary = sorted(t for t, n in df.items() if n >= min_reports)
    classes = sorted({area for _, area in documents})
    per_class: dict[str, Counter[str]] = {c: Counter() for c in classes}
    class_docs: Counter[str] = Counter()
    for counts, area in documents:
        class_docs[area] += 1
        kept = {t: n for t, n in counts.items() if df[t] >= min_reports}
        per_class[area].update(kept)
    log_likelihood: dict[str, dict[str, float]] = {}
    unseen: dict[str, float] = {}
    for area in classes:
        total = sum(per_class[area].values()) + alpha * len(vocabulary)
        log_likelihood[area] = {
            t: round(math.log((per_class[area][t] + alpha) / total), 6) for t in vocabulary
        }
        unseen[area] = round(math.log(alpha / total), 6)
    log_prior = {a: round(math.log(class_docs[a] / len(documents)), 6) for a in classes}
    info: dict[str, str | int | float] = dict(provenance or {})
    info.update({"reports": len(documents), "min_reports": min_reports, "alpha": alpha})
    return AreaModel(
        classes=classes,
        log_prior=log_prior,
        log_likelihood=log_likelihood,
        unseen=unseen,
        temperature=temperature,
        provenance=info,
    )


def dump(model: AreaModel) -> str:
    """The model as stable, sorted JSON text (what ships)."""
    return json.dumps(json.loads(model.model_dump_json()), indent=1, sort_keys=True) + "\n"


def load_area_model(path: Path) -> AreaModel:
    """Read a model file written by :func:`dump`."""
    return AreaModel.model_validate_json(path.read_text(encoding="utf-8"))


@cache
def default_area_model() -> AreaModel | None:
    """The shipped model, or None when the package carries none."""
    return load_area_model(MODEL_FILE) if MODEL_FILE.exists() else None


def examples_from(rows: Iterable[dict[str, object]]) -> list[tuple[str, str, str]]:
    """``(subject, body, area)`` from labeled-report dicts (title, body, area)."""
    return [(str(r["title"]), str(r.get("body") or ""), str(r["area"])) for r in rows]
