"""The term-weight classifier: deterministic training, numbers only, reproducible."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from posthog_escalation.understanding.area_model import (
    MODEL_FILE,
    default_area_model,
    dump,
    load_area_model,
    stems,
    train,
)
from shared_data import LABELED_REPORTS

DATASET = LABELED_REPORTS
TRAINER = Path(__file__).resolve().parents[2] / "tools" / "train_area_model.py"

EXAMPLES = [
    ("recording blank", "the replay is blank", "session_replay"),
    ("replay empty", "recording shows nothing", "session_replay"),
    ("flag false", "feature flag returns false", "feature_flags"),
    ("flag wrong", "the flag variant is wrong", "feature_flags"),
]


def test_training_twice_on_the_same_examples_gives_the_same_file() -> None:
    assert dump(train(EXAMPLES, min_reports=1)) == dump(train(EXAMPLES, min_reports=1))


def test_probabilities_are_a_distribution_that_favours_the_matching_area() -> None:
    model = train(EXAMPLES, min_reports=1)
    p = model.probabilities("blank recording", "")
    assert abs(sum(p.values()) - 1) < 1e-9
    assert model.predict("blank recording", "") == "session_replay"
    assert model.predict("", "the flag is false") == "feature_flags"


def test_rare_stems_are_left_out_of_the_vocabulary() -> None:
    model = train([*EXAMPLES, ("zebra", "one-off words", "feature_flags")], min_reports=2)
    vocabulary = model.log_likelihood["feature_flags"]
    assert stems("zebra", "")[0] not in vocabulary
    assert stems("flag", "")[0] in vocabulary


def test_a_written_model_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(dump(train(EXAMPLES, min_reports=1)), encoding="utf-8")
    assert load_area_model(path) == train(EXAMPLES, min_reports=1)


def test_the_shipped_model_says_where_it_came_from() -> None:
    model = default_area_model()
    assert model is not None
    assert model.provenance["split"] == "dev"
    assert model.provenance["script"] == "tools/train_area_model.py"
    assert int(model.provenance["reports"]) > 100


@pytest.mark.skipif(not DATASET.exists(), reason="the shared labeled-report corpus is absent")
def test_retraining_from_the_labeled_reports_reproduces_the_shipped_model() -> None:
    spec = importlib.util.spec_from_file_location("train_area_model", TRAINER)
    assert spec is not None and spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    shipped = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    retrained = json.loads(trainer.train_from(DATASET.resolve()))
    assert retrained == shipped
