"""The eval harness: cases with their own worlds, gating and graded scores, pass^k,
reports and baselines.

- :mod:`.cases`: case files, the JSON Schema the loader enforces, :func:`load_cases`.
- :mod:`.scoring`: :func:`gating_checks`, :func:`graded_scores`, :func:`pass_hat_k`.
- :mod:`.runner`: :func:`run_eval` (worlds once, trials in parallel, resume, budget).
- :mod:`.report`: ``report.md`` with baseline deltas, regressions first.
- :mod:`.judge`: the optional LLM judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy

if TYPE_CHECKING:
    from .cases import EvalCase, case_schema, load_case, load_cases, write_case_schema
    from .records import RunConfig, RunMeta, RunResult, TrialRecord
    from .report import render_report, summarize
    from .runner import Progress, run_eval, run_trial
    from .scoring import gating_checks, graded_scores, pass_at_k, pass_hat_k

__getattr__, __dir__ = lazy.exports(__name__, __file__)

__all__ = [
    "EvalCase",
    "Progress",
    "RunConfig",
    "RunMeta",
    "RunResult",
    "TrialRecord",
    "case_schema",
    "gating_checks",
    "graded_scores",
    "load_case",
    "load_cases",
    "pass_at_k",
    "pass_hat_k",
    "render_report",
    "run_eval",
    "run_trial",
    "summarize",
    "write_case_schema",
]
