"""An in-memory GitHub for the filing tests (served through ``httpx2.MockTransport``)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2


class FakeGitHub:
    """GitHub's ``/user``, issue list, search and create endpoints in memory, with
    switchable failures (a failed create, a timeout after the issue was created, search
    lag, a slow create).

    Issues carry their author (``user.login``): the token's identity for issues created
    through the API, anyone for issues planted with :meth:`plant`.
    """

    def __init__(self, token: str, first_number: int = 100, login: str = "support-bot") -> None:
        self.token = token
        self.login = login
        self.first_number = first_number
        self.issues: list[dict[str, Any]] = []
        self.requests: list[httpx2.Request] = []
        self.create_failures: list[Callable[[httpx2.Request], httpx2.Response]] = []
        self.timeouts_after_create = 0
        self.search_index_lag = False
        self.create_delay = 0.0
        self.user_status = 200
        self._lock = threading.Lock()

    def plant(self, body: str, *, author: str, repo: str = "PostHog/posthog-js") -> dict[str, Any]:
        """An issue someone else (or we, earlier) created directly on GitHub."""
        with self._lock:
            number = self.first_number + len(self.issues)
            issue = {
                "number": number,
                "html_url": f"https://github.com/{repo}/issues/{number}",
                "title": "planted",
                "body": body,
                "labels": [],
                "user": {"login": author},
                "repo": repo,
                "indexed": True,
            }
            self.issues.append(issue)
        return issue

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx2.Response(401, json={"message": "Bad credentials"})
        path = request.url.path
        query = parse_qs(urlparse(str(request.url)).query)
        if request.method == "GET" and path == "/user":
            if self.user_status != 200:
                return httpx2.Response(self.user_status, json={"message": "Forbidden"})
            return httpx2.Response(200, json={"login": self.login, "id": 1})
        if request.method == "POST" and path.endswith("/issues"):
            return self._create(request, path)
        if request.method == "GET" and path.startswith("/repos/") and path.endswith("/issues"):
            repo = path.removeprefix("/repos/").removesuffix("/issues")
            creator = query.get("creator", [None])[0]
            listed = [
                i
                for i in reversed(self.issues)
                if i["repo"] == repo and (creator is None or i["user"]["login"] == creator)
            ]
            return httpx2.Response(200, json=listed)
        if request.method == "GET" and path == "/search/issues":
            text = query["q"][0]
            key = text.split('"')[1]
            author = re.search(r"\bauthor:(\S+)", text)
            found = [
                i
                for i in self.issues
                if i["indexed"]
                and key in i["body"]
                and (author is None or i["user"]["login"] == author.group(1))
            ]
            return httpx2.Response(200, json={"total_count": len(found), "items": found})
        return httpx2.Response(404, json={"message": "Not Found"})

    def _create(self, request: httpx2.Request, path: str) -> httpx2.Response:
        if self.create_failures:
            return self.create_failures.pop(0)(request)
        if self.create_delay:
            time.sleep(self.create_delay)
        data = json.loads(request.content)
        repo = path.removeprefix("/repos/").removesuffix("/issues")
        with self._lock:
            number = self.first_number + len(self.issues)
            issue = {
                "number": number,
                "html_url": f"https://github.com/{repo}/issues/{number}",
                "title": data["title"],
                "body": data["body"],
                "labels": [{"name": label} for label in data["labels"]],
                "user": {"login": self.login},
                "repo": repo,
                "indexed": not self.search_index_lag,
            }
            self.issues.append(issue)
        if self.timeouts_after_create:
            self.timeouts_after_create -= 1
            raise httpx2.ReadTimeout("the response never came", request=request)
        return httpx2.Response(201, json=issue)

    @property
    def creates(self) -> list[httpx2.Request]:
        return [r for r in self.requests if r.method == "POST"]
