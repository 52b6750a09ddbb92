"""Depth from the consequences a report states, by the playbook's weighted cues."""

from __future__ import annotations

import pytest

from posthog_escalation.playbook import SeverityCue, default_playbook
from posthog_escalation.understanding.severity import extract_depth

CUES = default_playbook().severity_cues


@pytest.mark.parametrize(
    ("text", "level", "cue"),
    [
        ("The app crashes on launch for everyone.", "blocked", "crashes on launch"),
        ("Since the upgrade the iOS build fails with a linker error.", "blocked", "build fails"),
        ("posthog.init() throws on startup.", "blocked", "init() throws"),
        ("We get no events at all from Android.", "blocked", "no events at all"),
        ("Production is down because of this.", "blocked", "Production is down"),
        ("A minor cosmetic glitch in the toolbar.", "minor", "minor"),
        ("We pinned to 1.200.3 as a workaround.", "workaround", "workaround"),
        ("The insight looks a bit odd.", "unknown", None),
    ],
)
def test_the_consequence_a_report_states_decides_the_depth(
    text: str, level: str, cue: str | None
) -> None:
    depth = extract_depth(text, CUES)
    assert depth.level == level
    assert depth.cue == cue


def test_no_workaround_is_never_read_as_a_workaround() -> None:
    depth = extract_depth("There is no workaround and we cannot roll back.", CUES)
    assert depth.level == "blocked"
    assert depth.workaround_phrases == []


def test_a_workaround_outweighs_a_softer_blocked_cue() -> None:
    depth = extract_depth("It is blocking us, but for now we reload the page.", CUES)
    assert depth.level == "workaround"


def test_the_cues_and_their_weights_are_data() -> None:
    cues = [SeverityCue(id="x", depth="minor", weight=9, patterns=["\\bsomewhat\\b"]), *CUES]
    assert extract_depth("The build fails, somewhat.", cues).level == "minor"
