"""Known-issue search quality and latency on the labeled duplicate pairs.

Each pair is a support ticket and the existing issue that describes the same problem
(benchmarks/data/issue_pairs.jsonl); the corpus is those issues plus 200+ distractors
(benchmarks/data/issue_distractors.jsonl), indexed by the local backend. For every
ticket the benchmark runs the real pipeline — extract_signals, then find_known_issues
against LocalIssues with the packaged playbook — and finds the rank of the labeled
duplicate. It prints recall@1, recall@5 and MRR (all pairs, the dev split used for
tuning, the held-out split, and per pair kind), the latency per ticket, and the same
quality figures for a baseline measured in the same run: plain BM25 of the ticket's
whole text over the whole corpus (no signals, no filters, no reranking).

Run: .venv/bin/python benchmarks/bench_issues.py [--split dev|holdout|holdout2|all] [--details]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import bm25s

from posthog_escalation.models import Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.issues import IssueRecord, LocalIssues, find_known_issues
from posthog_escalation.tools.issues.query import STOPWORDS, stem_all, tokenize
from posthog_escalation.understanding import extract_signals

DATA = Path(__file__).resolve().parent / "data"


def load() -> tuple[list[dict], list[IssueRecord]]:
    pairs = [json.loads(line) for line in (DATA / "issue_pairs.jsonl").read_text().splitlines()]
    distractors = [
        IssueRecord.model_validate_json(line)
        for line in (DATA / "issue_distractors.jsonl").read_text().splitlines()
        if line.strip()
    ]
    corpus = distractors + [IssueRecord.model_validate(p["duplicate"]) for p in pairs]
    return pairs, corpus


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "recall@1": sum(1 for r in ranks if r == 1) / n,
        "recall@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def line(name: str, m: dict[str, float]) -> str:
    return (
        f"{name:<22} n={m['n']:>3}  recall@1={m['recall@1']:.3f}  "
        f"recall@5={m['recall@5']:.3f}  MRR={m['mrr']:.3f}"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Bm25Baseline:
    """Plain BM25 of the ticket text over the whole corpus (OR semantics, no filters)."""

    def __init__(self, corpus: list[IssueRecord]):
        self.keys = [f"{r.repo}#{r.number}" for r in corpus]
        docs = [self._stems(f"{r.title}\n{r.title}\n{r.body}") for r in corpus]
        self.index = bm25s.BM25()
        self.index.index(docs, show_progress=False)

    @staticmethod
    def _stems(text: str) -> list[str]:
        return stem_all([t for t in tokenize(text) if t not in STOPWORDS]) or ["_"]

    def rank(self, ticket: Ticket, key: str) -> int | None:
        scores = self.index.get_scores(self._stems(ticket.full_text()))
        order = sorted(range(len(self.keys)), key=lambda i: -scores[i])
        ranked = [self.keys[i] for i in order]
        return ranked.index(key) + 1 if key in ranked else None


async def run(split: str, details: bool) -> None:
    pairs, corpus = load()
    if split != "all":
        pairs = [p for p in pairs if p["split"] == split]
    playbook = default_playbook()

    started = time.perf_counter()
    backend = LocalIssues(records=corpus)
    build_ms = (time.perf_counter() - started) * 1000
    baseline = Bm25Baseline(corpus)

    ranks: dict[str, int | None] = {}
    base_ranks: dict[str, int | None] = {}
    latencies: list[float] = []
    signal_ms: list[float] = []
    searches: list[int] = []
    base_ms: list[float] = []
    for pair in pairs:
        ticket = Ticket.model_validate(pair["ticket"])
        key = f"{pair['duplicate']['repo']}#{pair['duplicate']['number']}"
        t0 = time.perf_counter()
        signals = extract_signals(ticket)
        t1 = time.perf_counter()
        found = await find_known_issues(signals, backend, playbook, limit=10, now=ticket.created_at)
        t2 = time.perf_counter()
        signal_ms.append((t1 - t0) * 1000)
        latencies.append((t2 - t0) * 1000)
        searches.append(len(found.search_terms))
        keys = [c.key for c in found.candidates]
        ranks[pair["id"]] = keys.index(key) + 1 if key in keys else None
        t3 = time.perf_counter()
        base_ranks[pair["id"]] = baseline.rank(ticket, key)
        base_ms.append((time.perf_counter() - t3) * 1000)
        if details:
            top = found.candidates[0] if found.candidates else None
            print(
                f"{pair['id']} [{pair['split']:<7}] {pair['kind']:<18} rank={ranks[pair['id']]} "
                f"baseline={base_ranks[pair['id']]} top={top.key if top else '-'} "
                f"conf={top.confidence if top else 0:.2f} repos={','.join(found.repos)}"
            )
            for term in found.search_terms:
                print(f"      q: {term}")
            if ranks[pair["id"]] != 1 and top:
                print(f"      top reasons: {top.reasons[:3]}")

    print(f"pairs: {len(pairs)}  corpus: {len(corpus)} issues  split: {split}")
    print(line("dedupe (all)", metrics(list(ranks.values()))))
    for name in ("dev", "holdout", "holdout2"):
        subset = [ranks[p["id"]] for p in pairs if p["split"] == name]
        if subset:
            print(line(f"dedupe ({name})", metrics(subset)))
    for kind in sorted({p["kind"] for p in pairs}):
        subset = [ranks[p["id"]] for p in pairs if p["kind"] == kind]
        print(line(f"  kind {kind}", metrics(subset)))
    print(line("baseline BM25 (all)", metrics(list(base_ranks.values()))))
    for name in ("dev", "holdout", "holdout2"):
        subset = [base_ranks[p["id"]] for p in pairs if p["split"] == name]
        if subset:
            print(line(f"baseline ({name})", metrics(subset)))
    print(
        f"latency per ticket (signals + searches + ranking + related PRs): "
        f"p50={statistics.median(latencies):.1f} ms  p95={percentile(latencies, 0.95):.1f} ms  "
        f"max={max(latencies):.1f} ms"
    )
    print(f"  of which extract_signals: p50={statistics.median(signal_ms):.2f} ms")
    ratio = statistics.median(latencies) / statistics.median(base_ms)
    print(
        f"baseline BM25 per ticket: p50={statistics.median(base_ms):.1f} ms "
        f"(dedupe/baseline p50 ratio {ratio:.0f}x)"
    )
    print(f"searches per ticket: p50={statistics.median(searches):.0f}  max={max(searches)}")
    print(f"local index build ({len(corpus)} issues): {build_ms:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "holdout", "holdout2", "all"], default="all")
    parser.add_argument("--details", action="store_true", help="print each pair's outcome")
    args = parser.parse_args()
    asyncio.run(run(args.split, args.details))


if __name__ == "__main__":
    main()
