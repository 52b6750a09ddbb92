"""An in-memory GitHub for the filing tests (served through ``httpx2.MockTransport``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2


class FakeGitHub:
    """GitHub's issue list, search and create endpoints in memory, with switchable
    failures (a failed create, a timeout after the issue was created, search lag)."""

    def __init__(self, token: str, first_number: int = 100) -> None:
        self.token = token
        self.first_number = first_number
        self.issues: list[dict[str, Any]] = []
        self.requests: list[httpx2.Request] = []
        self.create_failures: list[Callable[[httpx2.Request], httpx2.Response]] = []
        self.timeouts_after_create = 0
        self.search_index_lag = False

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx2.Response(401, json={"message": "Bad credentials"})
        path = request.url.path
        if request.method == "POST" and path.endswith("/issues"):
            if self.create_failures:
                return self.create_failures.pop(0)(request)
            data = json.loads(request.content)
            repo = path.removeprefix("/repos/").removesuffix("/issues")
            number = self.first_number + len(self.issues)
            issue = {
                "number": number,
                "html_url": f"https://github.com/{repo}/issues/{number}",
                "title": data["title"],
                "body": data["body"],
                "labels": [{"name": label} for label in data["labels"]],
                "repo": repo,
                "indexed": not self.search_index_lag,
            }
            self.issues.append(issue)
            if self.timeouts_after_create:
                self.timeouts_after_create -= 1
                raise httpx2.ReadTimeout("the response never came", request=request)
            return httpx2.Response(201, json=issue)
        if request.method == "GET" and path.startswith("/repos/") and path.endswith("/issues"):
            repo = path.removeprefix("/repos/").removesuffix("/issues")
            listed = [i for i in reversed(self.issues) if i["repo"] == repo]
            return httpx2.Response(200, json=listed)
        if request.method == "GET" and path == "/search/issues":
            query = parse_qs(urlparse(str(request.url)).query)["q"][0]
            key = query.split('"')[1]
            found = [i for i in self.issues if i["indexed"] and key in i["body"]]
            return httpx2.Response(200, json={"total_count": len(found), "items": found})
        return httpx2.Response(404, json={"message": "Not Found"})

    @property
    def creates(self) -> list[httpx2.Request]:
        return [r for r in self.requests if r.method == "POST"]
