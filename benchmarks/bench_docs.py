"""Docs search benchmark: docs answers and ranking quality on the real docs, build cost,
query latency, load time; lexical only and hybrid (bm25s + WordLlama) side by side.

Run: .venv/bin/python benchmarks/bench_docs.py [--corpus PATH] [--pages 2000]

Docs answers (answer_from_docs) are judged with the real posthog.com docs folder as the
index on three sets, printed apart: real reports from
/work/shared/corpora/posthog-issues/issues.jsonl that a maintainer answered with a docs
link (`docs_url`; holdout split by the fixed id hash), the team's own problems
(benchmarks/data/docs_problems.yaml) and the team's own questions
(benchmarks/data/docs_queries.yaml). A link without an anchor counts for any section of
its page. The calibration table (strength -> share of right answers) is printed for the
dev half; the confidence threshold's precision for dev and held-out halves.

Search quality uses the labeled questions in benchmarks/data/docs_queries.yaml (odd ids
tune, even ids are held out). The baseline is out-of-the-box bm25s over each section's
whole text (no fields, no boosts), measured in the same run. Corpora that are absent are
skipped with a note.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bm25s
import Stemmer
import yaml

from posthog_escalation.models import Ticket
from posthog_escalation.tools.docs import (
    ANSWER_MIN_CONFIDENCE,
    answer_from_docs,
    build_index,
    default_encoder,
    load_index,
    open_folder_index,
    parse_folder,
    shipped_docs_dir,
)
from posthog_escalation.tools.docs.answer import CALIBRATION
from posthog_escalation.tools.docs.search import DocsIndex
from posthog_escalation.tools.issues import problem_text
from posthog_escalation.understanding import extract_signals

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "data" / "docs_queries.yaml"
PROBLEMS = HERE / "data" / "docs_problems.yaml"
DEFAULT_CORPUS = Path("/work/shared/corpora/posthog-docs")
REPORTS = Path("/work/shared/corpora/posthog-issues/issues.jsonl")
MOVED = {"/docs/integrate/client/": "/docs/libraries/"}
"""Docs pages posthog.com moved (it redirects the old path to the new one)."""
AREAS = [
    "session-replay", "feature-flags", "experiments", "error-tracking", "surveys",
    "product-analytics", "web-analytics", "data", "sql", "cdp", "api", "billing",
    "self-host", "advanced", "libraries/js", "libraries/node", "libraries/python",
    "libraries/ios", "libraries/android", "libraries/flutter", "libraries/react-native",
]  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def load_queries() -> list[dict]:
    return yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["queries"]


def metrics(ranked_urls: list[list[str]], queries: list[dict]) -> dict[str, float]:
    r1 = r5 = rr = 0.0
    for urls, item in zip(ranked_urls, queries, strict=True):
        relevant = set(item["relevant"])
        rank = next((i + 1 for i, u in enumerate(urls[:10]) if u in relevant), None)
        r1 += rank == 1
        r5 += rank is not None and rank <= 5
        rr += 1 / rank if rank else 0.0
    n = len(queries)
    return {"recall@1": r1 / n, "recall@5": r5 / n, "MRR@10": rr / n, "n": n}


def ours(index: DocsIndex, queries: list[dict]) -> list[list[str]]:
    return [[h.url for h in index.search(q["query"], limit=10)] for q in queries]


def baseline(corpus: Path, queries: list[dict]) -> list[list[str]]:
    parsed = parse_folder(corpus)
    sections = list(parsed.sections)
    texts = ["\n".join([s.breadcrumb_text, s.prose, s.code]) for s in sections]
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)
    out = []
    for item in queries:
        q = bm25s.tokenize([item["query"]], stopwords="en", stemmer=stemmer, show_progress=False)
        docs, _ = model.retrieve(q, k=10, show_progress=False)
        out.append([sections[int(i)].url for i in docs[0]])
    return out


def split_of(ticket_id: str) -> str:
    return "holdout" if int(hashlib.sha256(ticket_id.encode()).hexdigest(), 16) % 10 < 3 else "dev"


def hit_ok(url: str, relevant: set[str]) -> bool:
    """A hit answers when it is a relevant section, or on a relevant page (no anchor)."""
    return url in relevant or url.split("#")[0] in {r for r in relevant if "#" not in r}


_TEMPLATE = re.compile(r"^\s*(?:#+ .*|[-*] \[[ xX]\].*|\*[^*]+\*|```\w*)\s*$")


def report_problem(row: dict) -> tuple[str, str, str]:
    """(subject, symptom, error) of a real report, as the understanding layer gives them:
    the title, the opening of the problem text without template headings and checkboxes,
    and the first error the signal extractor finds."""
    ticket = Ticket(id=row["id"], subject=row["title"], body=row["body"])
    signals = extract_signals(ticket)
    lines = [ln for ln in problem_text(row["body"]).splitlines() if not _TEMPLATE.match(ln)]
    symptom = " ".join(" ".join(lines).split())[:400]
    error = signals.errors[0].text if signals.errors else ""
    return row["title"], symptom, error


def real_reports(index_urls: set[str]) -> list[dict]:
    """Corpus reports with a docs link, the link normalised (query dropped, moved pages
    followed); ``reachable`` says whether its page is in the index."""
    if not REPORTS.is_file():
        return []
    out = []
    for line in REPORTS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("docs_url"):
            continue
        url = row["docs_url"].split("?")[0]
        for old, new in MOVED.items():
            url = url.replace(old, new)
        page = url.split("#")[0]
        subject, symptom, error = report_problem(row)
        out.append(
            {
                "id": row["id"],
                "subject": subject,
                "symptom": symptom,
                "error": error,
                "relevant": [url],
                "split": split_of(row["id"]),
                "reachable": page in index_urls,
            }
        )
    return out


def answer_runs(index: DocsIndex, items: list[dict]) -> list[dict]:
    out = []
    for item in items:
        answer = answer_from_docs(
            index,
            item.get("subject", ""),
            item.get("symptom", ""),
            item.get("error", ""),
            route=item.get("route"),
        )
        relevant = set(item["relevant"])
        urls = [h.url for h in answer.alternatives] if answer else []
        out.append(
            {
                "top_ok": bool(answer) and hit_ok(urls[0], relevant),
                "at5": any(hit_ok(u, relevant) for u in urls[:5]),
                "confidence": answer.confidence if answer else 0.0,
                "strength": answer.strength if answer else 0.0,
                "answerable": bool(relevant),
            }
        )
    return out


def answer_line(name: str, runs: list[dict]) -> str:
    answerable = [r for r in runs if r["answerable"]]
    n = len(answerable) or 1
    relied = [r for r in runs if r["confidence"] >= ANSWER_MIN_CONFIDENCE]
    precision = sum(r["top_ok"] for r in relied) / len(relied) if relied else float("nan")
    return (
        f"{name:44} n={len(answerable):>2}  recall@1 {sum(r['top_ok'] for r in answerable) / n:.3f}"
        f"  recall@5 {sum(r['at5'] for r in answerable) / n:.3f}  reliable answers "
        f"{len(relied):>2} (precision {precision:.2f}, unanswerable items "
        f"{len([r for r in relied if not r['answerable']])})"
    )


def print_answers(corpus: Path) -> None:
    problems = yaml.safe_load(PROBLEMS.read_text(encoding="utf-8"))["problems"]
    questions = [
        {"id": q["id"], "subject": q["query"], "relevant": q["relevant"]} for q in load_queries()
    ]
    encoder = default_encoder()
    indexes = {"lexical only": build_index(corpus, encoder=None)}
    if encoder is not None:
        indexes["hybrid (bm25s + dense)"] = build_index(corpus, encoder=encoder)
    sections = list(parse_folder(corpus).sections)
    index_urls = {s.url.split("#")[0] for s in sections}
    reports = real_reports(index_urls)
    print(f"\n## Docs answers on the real docs ({len(sections)} sections)")
    reachable = [r for r in reports if r["reachable"]]
    print(
        f"real reports with a docs link: {len(reports)}, whose page is in the docs folder: "
        f"{len(reachable)} (holdout {sum(r['split'] == 'holdout' for r in reachable)})"
    )
    dev_runs: dict[str, list[dict]] = {}
    for mode, index in indexes.items():
        print(f"\n{mode}")
        sets = {
            "real reports, reachable (all)": reachable,
            "real reports, reachable (holdout)": [r for r in reachable if r["split"] == "holdout"],
            "real reports, every docs link": reports,
            "own problems (dev, odd ids)": [p for p in problems if p["id"] % 2],
            "own problems (test, even ids)": [p for p in problems if not p["id"] % 2],
            "own questions (dev, odd ids)": [q for q in questions if q["id"] % 2],
            "own questions (test, even ids)": [q for q in questions if not q["id"] % 2],
        }
        combined: list[dict] = []
        for name, items in sets.items():
            if not items:
                continue
            runs = answer_runs(index, items)
            if name != "real reports, every docs link" and "(holdout)" not in name:
                combined += runs
            if "dev" in name:
                dev_runs.setdefault(mode, []).extend(runs)
            print("  " + answer_line(name, runs))
        print("  " + answer_line("all of the above (real reachable + own)", combined))
    for mode, runs in dev_runs.items():
        print(f"\ncalibration on the dev halves, {mode}: right answers per strength band")
        ceiling = 1.01
        for floor, conf in CALIBRATION:
            band = [r for r in runs if floor <= r["strength"] < ceiling]
            right = sum(r["top_ok"] for r in band)
            print(
                f"  [{floor:.2f}, {min(ceiling, 1.0):.2f}{']' if ceiling > 1 else ')'}: "
                f"{right} of {len(band):>2} right, smoothed {(right + 1) / (len(band) + 2):.2f} "
                f"(shipped confidence {conf:.2f})"
            )
            ceiling = floor


def print_quality(corpus: Path) -> None:
    queries = load_queries()
    index = build_index(corpus)
    lexical = build_index(corpus, encoder=None)
    splits = {
        "all": queries,
        "dev (odd ids, used for tuning)": [q for q in queries if q["id"] % 2 == 1],
        "test (even ids, held out)": [q for q in queries if q["id"] % 2 == 0],
    }
    base_all = baseline(corpus, queries)
    ours_all = ours(index, queries)
    lexical_all = ours(lexical, queries)
    by_id = {q["id"]: i for i, q in enumerate(queries)}
    size = f"{index.stats.pages} pages, {index.stats.sections} sections"
    print(f"\n## Quality on the real corpus ({size})")
    print(f"{'split':40} {'system':22} {'recall@1':>9} {'recall@5':>9} {'MRR@10':>8}")
    for name, subset in splits.items():
        idx = [by_id[q["id"]] for q in subset]
        for system, ranked in (
            ("docs search, hybrid", ours_all),
            ("docs search, lexical", lexical_all),
            ("bm25s baseline", base_all),
        ):
            m = metrics([ranked[i] for i in idx], subset)
            label = f"{name} (n={m['n']})"
            print(
                f"{label:40} {system:22} "
                f"{m['recall@1']:9.3f} {m['recall@5']:9.3f} {m['MRR@10']:8.3f}"
            )
    misses = [
        (q["id"], q["query"])
        for q, urls in zip(queries, ours_all, strict=True)
        if not set(urls[:5]) & set(q["relevant"])
    ]
    print(f"misses at 5 (ids): {[m[0] for m in misses]}")


def synthetic_corpus(folder: Path, pages: int, seed: int = 7) -> None:
    """Pages shaped like the docs (frontmatter, H2/H3, JSX, snippets, code), words drawn
    from the shipped docs plus random identifiers."""
    rng = random.Random(seed)
    words: list[str] = []
    for section in parse_folder(shipped_docs_dir()).sections:
        words.extend(section.prose.split())
    words = [w.strip(".,:;()") for w in words if w.strip(".,:;()")] or ["event"]
    docs = folder / "contents" / "docs"
    (docs / "_snippets").mkdir(parents=True)
    (docs / "_snippets" / "note.mdx").write_text(
        "Remember to " + " ".join(rng.choices(words, k=30)) + ".\n", encoding="utf-8"
    )

    def paragraph(n: int) -> str:
        text = " ".join(rng.choices(words, k=n))
        return text[0].upper() + text[1:] + "."

    for p in range(pages):
        area = AREAS[p % len(AREAS)]
        path = docs / area / f"page-{p}.mdx"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            "---",
            f"title: {json.dumps(' '.join(rng.choices(words, k=4)).title())}",
            "---",
            "",
            "import Note from '../_snippets/note.mdx'"
            if "/" not in area
            else "import Note from '../../_snippets/note.mdx'",
            "",
            paragraph(rng.randint(30, 80)),
        ]
        for s in range(rng.randint(4, 10)):
            level = "##" if s % 3 == 0 else "###"
            lines += ["", f"{level} {' '.join(rng.choices(words, k=rng.randint(3, 7)))}", ""]
            lines.append(paragraph(rng.randint(40, 140)))
            if rng.random() < 0.3:
                lines += [
                    "",
                    '<CalloutBox title="Heads up">',
                    "",
                    paragraph(20),
                    "",
                    "</CalloutBox>",
                ]
            if rng.random() < 0.2:
                lines += ["", "<Note />"]
            if rng.random() < 0.35:
                ident = f"posthog.{rng.choice(['capture', 'identify', 'flush', 'shutdown'])}"
                lines += ["", "```js", f"{ident}('{rng.choice(words)}', {{ n: {s} }})", "```"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def print_performance(
    name: str, corpus: Path, queries: list[str], builds: int, *, dense: bool = True
) -> None:
    store = Path(tempfile.mkdtemp(prefix="bench-docs-store-"))
    encoder = default_encoder() if dense else None
    name = f"{name}, {'hybrid (dense included)' if encoder else 'lexical only'}"
    try:
        build_s, index = timed(lambda: build_index(corpus, store=store, encoder=encoder), builds)
        saved = store / index.stats.content_hash[:24]
        load_s, loaded = timed(lambda: load_index(saved, encoder=encoder), 30)
        start = time.perf_counter()
        load_index(saved, encoder=encoder).search(queries[0])
        cold_first = time.perf_counter() - start
        open_s, _ = timed(lambda: open_folder_index(corpus, store), 30) if dense else (0.0, None)
        latencies = []
        for _ in range(5):
            for q in queries:
                start = time.perf_counter()
                loaded.search(q, limit=5)
                latencies.append((time.perf_counter() - start) * 1000)
        filtered = []
        for q in queries:
            start = time.perf_counter()
            loaded.search(q, area="session-replay" if "session-replay" in loaded.areas() else None)
            filtered.append((time.perf_counter() - start) * 1000)
        print(f"\n## {name}")
        print(
            f"pages {index.stats.pages}, sections {index.stats.sections}, "
            f"skipped {len(index.stats.skipped)}, "
            f"index on disk {index.stats.index_bytes / 1e6:.2f} MB"
        )
        print(f"build (median of {builds}): {build_s:.3f} s")
        if dense:
            print(
                f"open_folder_index on an unchanged folder (stat check + load, median of 30): "
                f"{open_s * 1000:.2f} ms"
            )
        print(
            f"load saved index (median of 30): {load_s * 1000:.2f} ms; "
            f"load + first query: {cold_first * 1000:.2f} ms"
        )
        print(
            f"query latency over {len(latencies)} searches: "
            f"p50 {percentile(latencies, 0.5):.2f} ms, "
            f"p95 {percentile(latencies, 0.95):.2f} ms, max {max(latencies):.2f} ms"
        )
        print(
            f"with an area filter: p50 {percentile(filtered, 0.5):.2f} ms, "
            f"p95 {percentile(filtered, 0.95):.2f} ms"
        )
    finally:
        shutil.rmtree(store, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    queries = [q["query"] for q in load_queries()]
    print(f"python {sys.version.split()[0]}, bm25s {bm25s.__version__}")
    if args.corpus.is_dir():
        print_answers(args.corpus)
        print_quality(args.corpus)
        for dense in (False, True):
            name = f"Real corpus ({args.corpus})"
            print_performance(name, args.corpus, queries, builds=3, dense=dense)
    else:
        print(f"\n(real corpus {args.corpus} absent: quality figures skipped)")
    print_performance("Shipped default docs", shipped_docs_dir(), queries, builds=3)
    with tempfile.TemporaryDirectory(prefix="bench-docs-synth-") as tmp:
        synthetic_corpus(Path(tmp), args.pages)
        for dense in (False, True):
            name = f"Synthetic corpus ({args.pages} pages)"
            print_performance(name, Path(tmp), queries, builds=1, dense=dense)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
