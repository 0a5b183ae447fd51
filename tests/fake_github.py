"""A stand-in for GitHub's issue and issue-comment API on localhost, recording every request."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPOSITORY = "acme/roster"
NUMBER = 7
BOT = "github-actions[bot]"

_LIST = re.compile(rf"^/repos/{REPOSITORY}/issues/(\d+)/comments$")
_ONE = re.compile(rf"^/repos/{REPOSITORY}/issues/comments/(\d+)$")
_ISSUES = re.compile(rf"^/repos/{REPOSITORY}/issues$")
_ISSUE = re.compile(rf"^/repos/{REPOSITORY}/issues/(\d+)$")


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    payload: Any


@dataclass
class FakeGitHub:
    """Comments of pull request NUMBER, served a few per page so clients must follow links."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    # method -> (status, message): answer every such request with this error.
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def comment(self, comment_id: int, body: str, login: str = BOT) -> dict[str, Any]:
        """Add an existing comment and return it."""
        entry = {
            "id": comment_id,
            "body": body,
            "user": {"login": login},
            "html_url": f"https://github.example/{REPOSITORY}/pull/{NUMBER}#c{comment_id}",
        }
        self.comments.append(entry)
        return entry

    def issue(
        self, body: str, login: str = BOT, *, state: str = "open", pull_request: bool = False
    ) -> dict[str, Any]:
        """Add an existing issue (or pull request, which the issues API lists too)."""
        number = max((i["number"] for i in self.issues), default=100) + 1
        entry: dict[str, Any] = {
            "number": number,
            "title": "an issue",
            "body": body,
            "state": state,
            "user": {"login": login},
            "html_url": f"https://github.example/{REPOSITORY}/issues/{number}",
        }
        if pull_request:
            entry["pull_request"] = {"url": "..."}
        self.issues.append(entry)
        return entry

    def calls(self, method: str) -> list[Request]:
        """Return the requests made with one method, in order."""
        return [request for request in self.requests if request.method == method]

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one request: (status, headers, JSON body)."""
        split = urlsplit(target)
        payload: Any = json.loads(raw) if raw else None
        self.requests.append(Request(method, target, headers, payload))
        if method in self.failures:
            status, message = self.failures[method]
            return status, {}, {"message": message}
        if _ISSUES.match(split.path) or _ISSUE.match(split.path):
            return self._issues(method, split.path, split.query, payload)
        listing, one = _LIST.match(split.path), _ONE.match(split.path)
        if method == "GET" and listing and int(listing.group(1)) == NUMBER:
            page = int(parse_qs(split.query).get("page", ["1"])[0])
            start = (page - 1) * self.page_size
            link = {}
            if start + self.page_size < len(self.comments):
                link = {
                    "Link": f'<{self.url}{split.path}?per_page=100&page={page + 1}>; rel="next"'
                }
            return 200, link, self.comments[start : start + self.page_size]
        if method == "POST" and listing and int(listing.group(1)) == NUMBER:
            new_id = max((c["id"] for c in self.comments), default=0) + 1
            return 201, {}, self.comment(new_id, payload["body"])
        if method == "PATCH" and one:
            for comment in self.comments:
                if comment["id"] == int(one.group(1)):
                    comment["body"] = payload["body"]
                    return 200, {}, comment
        return 404, {}, {"message": "Not Found"}

    def _issues(
        self, method: str, path: str, query: str, payload: Any
    ) -> tuple[int, dict[str, str], Any]:
        one = _ISSUE.match(path)
        if method == "GET" and not one:
            state = parse_qs(query).get("state", ["open"])[0]
            listed = [i for i in self.issues if i["state"] == state]
            page = int(parse_qs(query).get("page", ["1"])[0])
            start = (page - 1) * self.page_size
            link = {}
            if start + self.page_size < len(listed):
                link = {"Link": f'<{self.url}{path}?state={state}&page={page + 1}>; rel="next"'}
            return 200, link, listed[start : start + self.page_size]
        if method == "POST" and not one:
            created = self.issue(payload["body"])
            created["title"] = payload["title"]
            return 201, {}, created
        if method == "PATCH" and one:
            for issue in self.issues:
                if issue["number"] == int(one.group(1)):
                    issue.update(payload)
                    return 200, {}, issue
        return 404, {}, {"message": "Not Found"}


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, body = fake.handle(
                self.command, self.path, dict(self.headers.items()), raw
            )
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        # http.server dispatches on these names.
        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    return Handler


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run the fake API on a free localhost port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll keeps shutdown() from waiting half a second per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
