"""Numbered evidence for one drafting session or one MCP session.

Small on purpose: the MCP server imports it at start, so it needs nothing but the models.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime
from typing import Literal

from .models import Evidence, SourceKind


class EvidenceLog:
    """Numbered evidence shared by one drafting session (or one MCP session).

    The pre-fetched pack comes first; every tool result the session produces is appended
    with the next id, so whatever a draft cites exists. With ``max_items`` only the newest
    items are kept (ids keep counting). Safe to use from several threads.

    New rows are stamped with the escalation's clock: ``clock`` when given, else the time
    the pre-fetched rows were read on (an embedded world's clock); only when there is no
    such clock (live backends) with the wall clock, marked ``live``.
    """

    def __init__(
        self,
        items: list[Evidence] | None = None,
        *,
        clock: datetime | None = None,
        max_items: int | None = None,
    ) -> None:
        given = list(items or [])
        self._items: deque[Evidence] = deque(given, maxlen=max_items)
        self._issued = len(given)
        self._lock = threading.Lock()
        fixed = [e.collected_at for e in given if not e.live]
        self._clock = clock or (fixed[0] if fixed else None)

    @property
    def items(self) -> list[Evidence]:
        """A copy of every kept evidence item, in id order."""
        with self._lock:
            return list(self._items)

    @property
    def issued(self) -> int:
        """How many ids this log has given out."""
        return self._issued

    def get(self, evidence_id: str) -> Evidence | None:
        """The kept item with ``evidence_id``, if any."""
        with self._lock:
            return next((e for e in self._items if e.id == evidence_id), None)

    def add(
        self,
        source: SourceKind,
        query: str,
        finding: str,
        *,
        result: str = "",
        url: str | None = None,
        figures: dict[str, float] | None = None,
        status: Literal["ok", "failed", "timeout"] = "ok",
        private_terms: list[str] | None = None,
    ) -> Evidence:
        """Record a new item under the next id and return it."""
        with self._lock:
            self._issued += 1
            item = Evidence(
                id=f"E{self._issued}",
                source=source,
                query=query,
                result=result,
                finding=finding,
                collected_at=self._clock or datetime.now(UTC),
                status=status,
                url=url,
                figures=figures or {},
                private_terms=private_terms or [],
                live=self._clock is None,
            )
            self._items.append(item)
            return item
