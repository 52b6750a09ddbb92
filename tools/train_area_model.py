"""Train the product-area term weights from labeled reports (maintainer script).

    python tools/train_area_model.py ../shared/corpora/posthog-issues/issues.jsonl

Reads the reports of the dev split only (the holdout split stays unseen), fits
:func:`posthog_escalation.understanding.area_model.train`, and writes
``src/posthog_escalation/data/area_model.json`` with its provenance: the file's name and
SHA-256, the split and the number of reports. What is written is numbers per area and
common stem, never the reports' text. ``tests/understanding/test_area_model.py`` retrains
from the same file and checks the shipped model is reproduced exactly.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from posthog_escalation.evals.dataset import load_reports
from posthog_escalation.understanding.area_model import MODEL_FILE, dump, train


def train_from(path: Path, split: str = "dev") -> str:
    """The model file's text, trained on ``split`` of the labeled reports at ``path``."""
    reports = load_reports(path, split)  # type: ignore[arg-type]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    model = train(
        [(r.title, r.body, r.area) for r in reports],
        provenance={
            "source": path.name,
            "source_sha256": digest,
            "split": split,
            "script": "tools/train_area_model.py",
        },
    )
    return dump(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="labeled reports (JSONL)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="where to write")
    args = parser.parse_args()
    args.out.write_text(train_from(args.dataset), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
