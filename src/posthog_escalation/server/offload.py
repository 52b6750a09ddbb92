"""CPU-heavy tool work runs off the server's event loop, so one client's long call never
holds up another client's.

Plain functions (lint, render, a docs search) run in a worker thread. Async work whose
coroutines compute rather than wait (the bundled issue snapshot's search, the drafting
pipeline) runs in a worker thread on an event loop of its own. Backends that hold
connections bound to the server's loop (the PostHog and GitHub HTTP clients) are handed
to such work through :class:`LoopBridge`, which runs their coroutines back on the server's
loop.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

if TYPE_CHECKING:
    from ..backends import Backends

T = TypeVar("T")


@functools.cache
def loop_free_types() -> tuple[type, ...]:
    """Backends whose coroutines run on any event loop (they hold no connection)."""
    from ..tools.hogql.local import LocalHogQL
    from ..tools.incidents import StaticIncidents
    from ..tools.issues.local import LocalIssues

    return (LocalHogQL, LocalIssues, StaticIncidents)


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args))


async def on_own_loop(function: Callable[[], Awaitable[T]]) -> T:
    """``await function()`` in a worker thread, on an event loop of its own."""

    async def main() -> T:
        return await function()

    return await anyio.to_thread.run_sync(anyio.run, main)


def loop_free(backend: object) -> bool:
    """True when ``backend``'s coroutines may run on another event loop."""
    return isinstance(backend, loop_free_types())


class LoopBridge:
    """``target`` for code on another event loop: its coroutine methods run on the loop
    of ``token`` (where its connections live); everything else is ``target``'s own."""

    def __init__(self, target: object, token: anyio.lowlevel.EventLoopToken) -> None:
        self._target = target
        self._token = token

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        token = self._token

        @functools.wraps(attribute)
        async def on_home_loop(*args: Any, **kwargs: Any) -> Any:
            call = functools.partial(attribute, *args, **kwargs)
            return await anyio.to_thread.run_sync(
                functools.partial(anyio.from_thread.run, call, token=token)
            )

        return on_home_loop


def bridged(backends: Backends) -> Backends:
    """``backends`` for work on another event loop: each one bound to the current loop
    goes through a :class:`LoopBridge` to it. Call on the server's loop."""
    from ..backends import Backends

    token = anyio.lowlevel.current_token()

    def wrap(backend: Any) -> Any:
        return backend if loop_free(backend) else LoopBridge(backend, token)

    return Backends(
        hogql=wrap(backends.hogql),
        docs=backends.docs,
        issues=wrap(backends.issues),
        incidents=wrap(backends.incidents),
    )
