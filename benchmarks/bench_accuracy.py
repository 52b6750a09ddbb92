"""Accuracy of reading real reports: the holdout split of the labeled-report corpus.

Runs the offline pipeline on every report of the split (as ``eval --dataset`` does) and
prints the suite's figures, then, in the same run, two baselines for the route and the
repository read from ``decide()`` alone: the rules without the term-weight classifier,
and the majority answer (the most common area and repository of the dev split). The
median seconds per report are printed with the machine.

    .venv/bin/python benchmarks/bench_accuracy.py [--dataset PATH] [--split holdout]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from machine import machine
from posthog_escalation.evals.accuracy import Rate, run_accuracy
from posthog_escalation.evals.dataset import LabeledReport, load_reports, report_request
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.docs import open_folder_index, shipped_docs_dir
from posthog_escalation.understanding import extract_signals
from posthog_escalation.understanding.decide import decide
from shared_data import LABELED_REPORTS


def _rules_only(reports: list[LabeledReport], *, use_model: bool) -> tuple[Rate, Rate, float]:
    book = default_playbook()
    route = repo = 0
    times = []
    for report in reports:
        request = report_request(report)
        started = time.perf_counter()
        signals = extract_signals(request.ticket, request.triage)
        decision = decide(signals, book, ticket=request.ticket, use_model=use_model)
        times.append(time.perf_counter() - started)
        route += decision.product_route == report.area
        repo += decision.repo in report.accepted_repos
    total = len(reports)
    return Rate(hits=route, total=total), Rate(hits=repo, total=total), statistics.median(times)


def _majority(dev: list[LabeledReport], reports: list[LabeledReport]) -> tuple[Rate, Rate]:
    area = Counter(r.area for r in dev).most_common(1)[0][0]
    repo = Counter(r.repo for r in dev).most_common(1)[0][0]
    return (
        Rate(hits=sum(r.area == area for r in reports), total=len(reports)),
        Rate(hits=sum(repo in r.accepted_repos for r in reports), total=len(reports)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=LABELED_REPORTS)
    parser.add_argument("--split", default="holdout", choices=["dev", "holdout", "all"])
    args = parser.parse_args()
    if not args.dataset.exists():
        sys.exit(f"{args.dataset}: labeled reports not found; pass --dataset PATH")
    reports = load_reports(args.dataset, args.split)
    everything = load_reports(args.dataset, "all")
    dev = load_reports(args.dataset, "dev")
    docs = open_folder_index(shipped_docs_dir(), Path(tempfile.mkdtemp()))
    run = anyio.run(
        lambda: run_accuracy(
            reports, docs=docs, snapshot=everything, dataset=args.dataset.name, split=args.split
        )
    )
    s = run.summary
    print(f"# Accuracy on {s.dataset}, {s.split} split ({s.reports} reports), offline")
    print(f"machine: {machine()}")
    print()
    print("| figure | value |")
    print("|---|---|")
    for name, rate in [
        ("route equals the labeled area", s.route),
        ("affected repo equals where it was filed (or where that code moved)", s.repo),
        ("'not a bug' recall", s.not_a_bug_recall),
        ("'not a bug' precision", s.not_a_bug_precision),
        ("confirmed bugs called 'not a bug'", s.bugs_called_not_a_bug),
        ("unlabeled reports called 'not a bug'", s.unlabeled_called_not_a_bug),
        ("docs link recall@5 (shipped docs)", s.docs_recall_at_5),
        ("duplicate recall@5", s.duplicate_recall_at_5),
        ("quality gate passes", s.gate_pass),
    ]:
        print(f"| {name} | {rate} |")
    print(f"| severity | {', '.join(f'{k} {v}' for k, v in s.severity.items())} |")
    per_report = s.seconds / max(s.reports, 1)
    print(f"| seconds per report (whole pipeline, mean) | {per_report:.3f} |")
    print()
    full_route, full_repo, full_median = _rules_only(reports, use_model=True)
    cue_route, cue_repo, cue_median = _rules_only(reports, use_model=False)
    major_route, major_repo = _majority(dev, reports)
    print("## Route and repository from decide() alone, same run")
    print()
    print("| reader | route | repo | median ms per report |")
    print("|---|---|---|---|")
    print(
        f"| rules + term weights (shipped) | {full_route} | {full_repo} | {full_median * 1e3:.1f} |"
    )
    print(f"| rules without term weights | {cue_route} | {cue_repo} | {cue_median * 1e3:.1f} |")
    print(f"| majority answer of the dev split | {major_route} | {major_repo} | – |")


if __name__ == "__main__":
    main()
