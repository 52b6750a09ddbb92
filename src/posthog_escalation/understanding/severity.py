"""How hard the customer is hit, from the consequences a report states.

Real reports rarely state plan or revenue; they state consequences: the app crashes on
launch, the build fails, init throws, no data arrives at all, production is down, all
users are hit — or it is minor, cosmetic, or a workaround works. The cue words and their
weights are the playbook's ``severity_cues``; the depth chosen keeps the words that
decided it, so the severity rationale can quote them.
"""

from __future__ import annotations

import re

from ..playbook import SeverityCue
from .model import DepthSignal


def extract_depth(text: str, cues: list[SeverityCue]) -> DepthSignal:
    """Blocked, a workaround, minor, or unknown, by the weighted cues found in ``text``.

    Cues are read in order and what one matched is blanked for the rest, so "no
    workaround" is never also read as a workaround.
    """
    remaining = text
    found: dict[str, list[str]] = {"blocked": [], "workaround": [], "minor": []}
    weight = {"blocked": 0.0, "workaround": 0.0, "minor": 0.0}
    strongest: dict[str, tuple[float, str]] = {}
    for cue in cues:
        hit = False
        for pattern in cue.patterns:
            for match in re.finditer(pattern, remaining, re.IGNORECASE):
                phrase = match.group(0)
                found[cue.depth].append(phrase)
                hit = True
                if cue.weight > strongest.get(cue.depth, (0.0, ""))[0]:
                    strongest[cue.depth] = (cue.weight, phrase)
            remaining = re.sub(pattern, lambda m: " " * len(m.group(0)), remaining, flags=re.I)
        if hit:
            weight[cue.depth] += cue.weight
    relief = weight["workaround"] + weight["minor"]
    if weight["blocked"] > relief:
        level, cue_words = "blocked", strongest["blocked"][1]
    elif weight["workaround"] and weight["workaround"] >= weight["minor"]:
        level, cue_words = "workaround", strongest["workaround"][1]
    elif weight["minor"]:
        level, cue_words = "minor", strongest["minor"][1]
    else:
        level, cue_words = "unknown", None
    return DepthSignal(
        level=level,  # type: ignore[arg-type]
        blocked_phrases=list(dict.fromkeys(found["blocked"])),
        workaround_phrases=list(dict.fromkeys(found["workaround"])),
        minor_phrases=list(dict.fromkeys(found["minor"])),
        cue=cue_words,
    )
