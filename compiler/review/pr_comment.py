"""Post a plan as the one pull-request comment that carries its marker: create it or edit it.

Runs in a GitHub Actions job after `kfroster diff --format markdown --output FILE`, as

    kfroster comment FILE

(`python -m compiler.review.pr_comment FILE`, the old entry point, still works for one release
and warns: workflows written by an older `kfroster init` call it.)

The body is read from FILE, never from a command-line argument or a step output: a plan can be
64 KiB, and roster text must never pass through a shell or an expression. Everything else comes
from the job's environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_EVENT_PATH
(the pull request's number), and GITHUB_SERVER_URL with GITHUB_RUN_ID for a link to the run.

The comment is found by its first line, the marker, among those written by one author (the
Actions bot unless told otherwise), so a reviewer who quotes the marker keeps their comment.

Exit codes: 0 when the comment was written, and also when the token may not comment (a pull
request from a fork gets a read-only token: HTTP 403 or 404): that is a notice, not a failure,
because the job summary still holds the plan. 1 on any other API failure; 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from compiler.text import github_data, safe_output

if TYPE_CHECKING:
    import urllib.error

MARKER = "<!-- kfroster:plan -->"
# GitHub refuses a comment body longer than this many characters.
COMMENT_LIMIT = 65_536
# The login of comments written with the job's own GITHUB_TOKEN.
ACTIONS_BOT = "github-actions[bot]"
_API_VERSION = "2022-11-28"
_PAGE_SIZE = 100
_TIMEOUT_SECONDS = 30
_NEXT_PAGE = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
# A read-only token (fork pull requests, Dependabot) gets 403; a token that may not even see
# the pull request gets 404. Either way the plan stays in the job summary.
_CANNOT_COMMENT = frozenset({403, 404})

Outcome = Literal["created", "updated", "unchanged"]


class ApiError(Exception):
    """A GitHub API request answered with an HTTP error, or could not be made."""

    def __init__(self, method: str, url: str, status: int | None, detail: str) -> None:
        self.status = status
        where = f"{method} {urllib.parse.urlsplit(url).path}"
        super().__init__(f"{where}: {'HTTP ' + str(status) if status else 'failed'}: {detail}")


@dataclass(frozen=True)
class PullRequest:
    """Where the comment goes: an API root, `owner/name` and the pull request's number."""

    api_url: str
    repository: str
    number: int


class Api:
    """The few GitHub REST calls this needs, with a token that never leaves the API's host."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token

    def call(self, method: str, url: str, payload: Mapping[str, str] | None = None) -> Any:
        """Send one request and return the decoded JSON answer."""
        return self._send(method, url, payload)[0]

    def comments(self, pull: PullRequest) -> Iterator[dict[str, Any]]:
        """Yield every comment of the pull request's conversation, following the pages."""
        yield from self.pages(
            f"{self.api_url}/repos/{pull.repository}/issues/{pull.number}/comments"
            f"?per_page={_PAGE_SIZE}"
        )

    def pages(self, url: str) -> Iterator[dict[str, Any]]:
        """Yield every item of a listing (comments, issues), following the pages."""
        next_url: str | None = url
        while next_url is not None:
            page, next_url = self._send("GET", next_url, None)
            yield from page if isinstance(page, list) else ()

    def _send(
        self, method: str, url: str, payload: Mapping[str, str] | None
    ) -> tuple[Any, str | None]:
        # Imported here: http.client and email cost every command's start-up 30 ms.
        import urllib.error  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        data = json.dumps(dict(payload)).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("X-GitHub-Api-Version", _API_VERSION)
        request.add_header("User-Agent", "kfroster-pr-comment")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                next_page = _next_page(response.headers.get("Link", ""), self.api_url)
                return json.loads(response.read() or b"null"), next_page
        except urllib.error.HTTPError as err:
            raise ApiError(method, url, err.code, _error_message(err)) from None
        except (urllib.error.URLError, TimeoutError, ValueError) as err:
            raise ApiError(method, url, None, str(err)) from None


def _next_page(link_header: str, api_url: str) -> str | None:
    found = _NEXT_PAGE.search(link_header)
    # Only follow links on the API's own host: the request carries the token.
    if found and found.group(1).startswith(api_url + "/"):
        return found.group(1)
    return None


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(err.read() or b"{}")
    except ValueError:
        answer = {}
    message = answer.get("message") if isinstance(answer, dict) else None
    return str(message or err.reason)


def prepare_body(plan: str, run_url: str | None, marker: str = MARKER) -> tuple[str, bool]:
    """Make the comment: marker first, a link to the run when it fits; tell if the plan fit."""
    body = plan if plan.split("\n", 1)[0] == marker else f"{marker}\n{plan}"
    if len(body) > COMMENT_LIMIT:
        # kfroster keeps its Markdown within budget; this guards a larger --max-chars.
        where = f"in the [job summary]({run_url})" if run_url else "in the job summary"
        return (
            f"{marker}\nThe report is longer than a comment may be; it is {where}.\n",
            False,
        )
    if run_url:
        footer = f"\n\n<sub>Posted by kfroster from [this workflow run]({run_url}).</sub>\n"
        if len(body.rstrip("\n")) + len(footer) <= COMMENT_LIMIT:
            body = body.rstrip("\n") + footer
    return body, True


def find_comment(
    comments: Iterator[dict[str, Any]], author: str, marker: str = MARKER
) -> dict[str, Any] | None:
    """Return the first comment (or issue) whose first line is the marker, by author (any if '')."""
    for comment in comments:
        body = comment.get("body") or ""
        login = (comment.get("user") or {}).get("login")
        if body.split("\n", 1)[0].rstrip("\r") == marker and (not author or login == author):
            return comment
    return None


def upsert(api: Api, pull: PullRequest, body: str, author: str) -> tuple[Outcome, str]:
    """Edit the marked comment, or create it when there is none; return what happened and where."""
    existing = find_comment(api.comments(pull), author)
    if existing is None:
        url = f"{api.api_url}/repos/{pull.repository}/issues/{pull.number}/comments"
        created = api.call("POST", url, {"body": body})
        return "created", str(created.get("html_url", ""))
    if existing.get("body") == body:
        return "unchanged", str(existing.get("html_url", ""))
    url = f"{api.api_url}/repos/{pull.repository}/issues/comments/{existing['id']}"
    updated = api.call("PATCH", url, {"body": body})
    return "updated", str(updated.get("html_url", ""))


def _pull_request_number(event_path: str | None) -> int | None:
    if not event_path or not Path(event_path).is_file():
        return None
    event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    number = (event.get("pull_request") or {}).get("number")
    return number if isinstance(number, int) else None


def _run_url() -> str | None:
    server, repository, run = (
        os.environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repository}/actions/runs/{run}" if server and repository and run else None


def _command(kind: str, message: str) -> None:
    """Print a workflow command (notice, warning, error) the runner shows on the run."""
    sys.stdout.write(f"::{kind} title=kfroster plan comment::{github_data(message)}\n")


def post_plan(file: Path, *, number: int | None, author: str) -> int:
    """Post the plan in FILE as the pull request's one plan comment; return the exit code.

    number is the pull request's (None: the one in GITHUB_EVENT_PATH); author, the login whose
    marked comment is edited ('' for any). Everything else comes from the job's environment.
    """
    try:
        plan = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        sys.stderr.write(safe_output(f"error: cannot read the plan {file}: {err}") + "\n")
        return 2
    number = number or _pull_request_number(os.environ.get("GITHUB_EVENT_PATH"))
    token = os.environ.get("GITHUB_TOKEN", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if number is None or not token or not repository:
        missing = "a pull request" if number is None else "GITHUB_TOKEN or GITHUB_REPOSITORY"
        _command("notice", f"No comment written: no {missing}; the plan is in the job summary.")
        return 0
    run_url = _run_url()
    body, fits = prepare_body(plan, run_url)
    if not fits:
        _command("warning", "The plan is too long for a comment; it is in the job summary only.")
    pull = PullRequest(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"), repository, number
    )
    api = Api(pull.api_url, token)
    try:
        outcome, url = upsert(api, pull, body, author)
    except ApiError as err:
        if err.status in _CANNOT_COMMENT:
            _command(
                "notice",
                f"The token may not comment on pull request #{number} (as on pull requests "
                f"from forks); the plan is in the job summary only. {err}",
            )
            return 0
        _command("error", f"Could not write the plan comment: {err}")
        return 1
    sys.stderr.write(safe_output(f"plan comment {outcome}: {url}") + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The deprecated `python -m compiler.review.pr_comment FILE`: warn, then post as before."""
    parser = argparse.ArgumentParser(
        prog="python -m compiler.review.pr_comment",
        description="Deprecated: use `kfroster comment FILE`, which takes the same options.",
    )
    parser.add_argument("file", type=Path, help="the Markdown plan written by kfroster diff")
    parser.add_argument("--pr", type=int, help="the pull request's number")
    parser.add_argument("--author", default=ACTIONS_BOT, help="the login whose comment is edited")
    args = parser.parse_args(argv)
    _command(
        "warning",
        "`python -m compiler.review.pr_comment` is deprecated and goes in the next release: "
        "run `kfroster comment FILE` instead (the same options).",
    )
    return post_plan(args.file, number=args.pr, author=args.author)


if __name__ == "__main__":
    sys.exit(main())
