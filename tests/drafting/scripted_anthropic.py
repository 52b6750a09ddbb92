"""A scripted Anthropic Messages API on an ``httpx2.MockTransport``: no network.

Each request to ``POST /v1/messages`` takes the next step of the script: a reply, or a
function of the request body that returns one. Every request (headers and JSON body) is
recorded, so tests can assert what the drafter sent, including the ``tool_result`` blocks
the SDK's tool runner sends back after running a tool.

Usage: a reply may give its token counts; without them the API estimates them the way a
server holding the thread would bill them, at four characters per token: the whole context
so far (system, tools, every message and reply of the thread) is input, the system prompt
and tools are written to the cache on the first turn and read from it afterwards.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from anthropic import AsyncAnthropic

TEST_KEY = "sk-ant-test-0123456789abcdefghijklmnop"
CHARS_PER_TOKEN = 4

Block = dict[str, Any]
Step = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
_ids = itertools.count(1)


def text(value: str) -> Block:
    """A text block."""
    return {"type": "text", "text": value}


def tool_use(name: str, arguments: dict[str, Any], *, id: str | None = None) -> Block:
    """A tool_use block calling ``name`` with ``arguments``."""
    return {
        "type": "tool_use",
        "id": id or f"toolu_{next(_ids):04d}",
        "name": name,
        "input": arguments,
    }


def reply(
    *blocks: Block, stop_reason: str | None = None, usage: dict[str, int] | None = None
) -> dict[str, Any]:
    """An assistant reply. The stop reason defaults to ``tool_use`` when a block calls a tool."""
    calls = any(b["type"] == "tool_use" for b in blocks)
    step: dict[str, Any] = {
        "content": list(blocks),
        "stop_reason": stop_reason or ("tool_use" if calls else "end_turn"),
    }
    if usage is not None:
        step["usage"] = usage
    return step


def final(answer: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A final reply whose text is ``answer`` as JSON."""
    return reply(text(json.dumps(answer)), **kwargs)


def error(status: int, kind: str, message: str) -> dict[str, Any]:
    """An API error response instead of a reply."""
    return {"status": status, "error": {"type": kind, "message": message}}


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str))


@dataclass
class ScriptedAnthropic:
    """The scripted API. ``requests`` holds every JSON body, ``headers`` every header set."""

    script: list[Step]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    model: str = "claude-sonnet-5-5"
    _context: int = 0
    _prefix: int = 0

    def client(self) -> AsyncAnthropic:
        """An ``AsyncAnthropic`` whose HTTP client talks to this script."""
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self._handle))
        return AsyncAnthropic(api_key=TEST_KEY, http_client=http, max_retries=0)

    @property
    def user_messages(self) -> list[dict[str, Any]]:
        """Every user message sent, in order."""
        return [m for body in self.requests for m in body["messages"] if m["role"] == "user"]

    def tool_results(self) -> list[Block]:
        """Every tool_result block sent back, in order."""
        return [
            block
            for message in self.user_messages
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]

    async def _handle(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path != "/v1/messages":
            return httpx2.Response(
                404,
                json={
                    "type": "error",
                    "error": {"type": "not_found_error", "message": "no such path"},
                },
            )
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        index = len(self.requests) - 1
        if index >= len(self.script):
            return httpx2.Response(
                400,
                json={
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": "script exhausted"},
                },
            )
        step = self.script[index]
        step = step(body) if callable(step) else step
        if "status" in step:
            return httpx2.Response(step["status"], json={"type": "error", "error": step["error"]})
        return httpx2.Response(200, json=self._message(body, step))

    def _message(self, body: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
        first = (body.get("thread") or {}).get("type") != "continue"
        if first:
            self._prefix = _size(body.get("system", "")) + _size(body.get("tools", []))
            self._context = 0
        self._context += _size(body["messages"])
        output = _size(step["content"])
        usage = step.get("usage") or {
            "input_tokens": self._context // CHARS_PER_TOKEN,
            "output_tokens": output // CHARS_PER_TOKEN,
            "cache_creation_input_tokens": self._prefix // CHARS_PER_TOKEN if first else 0,
            "cache_read_input_tokens": 0 if first else self._prefix // CHARS_PER_TOKEN,
        }
        self._context += output
        return {
            "id": f"msg_{len(self.requests):04d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": step["content"],
            "stop_reason": step["stop_reason"],
            "stop_sequence": None,
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                **usage,
            },
        }
