"""The embedded HogQL backend: a seeded world in chDB, queried through the translator."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import anyio.to_thread

from ...errors import QueryError
from .engine import ChEngine, get_engine
from .models import GroundTruth, HogQLResponse, QueryTiming, StatusIncidentInfo, WorldInfo
from .spec import WorldSpec, load_world_spec
from .translate import translate
from .world import Progress, build_world, load_ground_truth


class LocalHogQL:
    """HogQL over an embedded world (see :class:`~.backend.HogQLBackend`).

    Safe to share between tasks, threads and event loops: each query runs in a worker
    thread on its own read-only chDB connection.
    """

    name = "local"

    def __init__(self, engine: ChEngine, world: WorldInfo, spec: WorldSpec) -> None:
        self.engine = engine
        self.world = world
        self.spec = spec

    @classmethod
    def open(
        cls,
        spec: WorldSpec | Path | str,
        *,
        home: Path,
        force: bool = False,
        progress: Progress | None = None,
    ) -> LocalHogQL:
        """Open a world under ``home`` in this process, building it first if it is not
        there yet (other processes may have it open at the same time)."""
        if not isinstance(spec, WorldSpec):
            spec = load_world_spec(spec)
        info = build_world(spec, home=home, force=force, progress=progress)
        return cls(get_engine(), info, spec)

    @property
    def description(self) -> str:
        """What a reader should know about where the numbers come from."""
        return (
            f"embedded world '{self.world.name}' ({self.world.totals.events:,} events, "
            f"clock {self.world.now:%Y-%m-%dT%H:%M:%SZ})"
        )

    @property
    def now(self) -> datetime:
        """The world's clock: HogQL's ``now()`` and the default end of impact windows."""
        return self.world.now

    @property
    def status_incidents(self) -> list[StatusIncidentInfo]:
        """The PostHog service incidents the world's spec lists."""
        return [
            StatusIncidentInfo.model_validate(s.model_dump()) for s in self.spec.status_incidents
        ]

    def ground_truth(self) -> GroundTruth:
        """The generator's ground truth for this world."""
        return load_ground_truth(self.world)

    async def query(
        self,
        hogql: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        max_rows: int | None = None,
    ) -> HogQLResponse:
        """Run HogQL in a worker thread; see :meth:`query_sync`."""
        return await anyio.to_thread.run_sync(self._run, hogql, limit, offset, max_rows)

    def _run(
        self, hogql: str, limit: int | None, offset: int, max_rows: int | None
    ) -> HogQLResponse:
        return self.query_sync(hogql, limit=limit, offset=offset, max_rows=max_rows)

    def query_sync(
        self,
        hogql: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        max_rows: int | None = None,
    ) -> HogQLResponse:
        """Translate and run HogQL, answering in PostHog's response shape.

        ``max_rows`` caps the rows even when the query has its own LIMIT.

        Raises:
            QueryError: The query is invalid, forbidden, or ClickHouse rejected it.
        """
        started = time.perf_counter()
        translation = translate(
            hogql,
            database=self.world.database,
            limit=limit,
            offset=offset,
            now=self.world.now,
            max_rows=max_rows,
        )
        translated = time.perf_counter()
        try:
            result = self.engine.read(translation.clickhouse)
        except QueryError as exc:
            raise QueryError(exc.message.replace(f"{self.world.database}.", ""), exc.hint) from None
        finished = time.perf_counter()
        rows = result.data
        has_more = len(rows) > translation.limit
        rows = rows[: translation.limit]
        names = list(translation.columns or ())
        if len(names) != len(result.meta):
            names = [name for name, _ in result.meta]
        return HogQLResponse(
            results=rows,
            columns=names,
            types=[[name, kind] for name, (_, kind) in zip(names, result.meta, strict=True)],
            hogql=hogql,
            clickhouse=translation.clickhouse,
            timings=[
                QueryTiming(k="./translate", t=translated - started),
                QueryTiming(k="./clickhouse_execute", t=finished - translated),
                QueryTiming(k=".", t=finished - started),
            ],
            hasMore=has_more,
            limit=translation.limit,
            offset=translation.offset,
        )

    async def aclose(self) -> None:
        """Nothing to release: the world stays attached for the life of the process."""
