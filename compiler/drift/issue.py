"""Keep the one drift issue of a repository up to date: create it, edit it, close it.

Runs in the scheduled workflow after `kfroster drift --format markdown > FILE`, as

    kfroster comment FILE --drift-issue 0|1

(`python -m compiler.drift.issue FILE --drift 0|1`, the old entry point, still works for one
release and warns: workflows written by an older `kfroster init --drift` call it.)

The report is read from FILE, never from an argument or a step output (it can be 64 KiB of
text from the cluster). The issue is found as the plan comment is (review/pr_comment.py):
an open issue whose first line is the marker, opened by one author (the Actions bot unless
told otherwise), so an issue someone else opened quoting the marker is never touched.
While there is drift (`--drift 1`) its body is the report, created or edited in place;
once there is none, an open drift issue is closed with a note, and nothing else happens.
Its title is fixed text: nothing from the cluster goes there.

Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL and
GITHUB_RUN_ID. Exit codes: 0 done, and also when the token may not write issues (a
notice says so: the report is in the job summary); 1 another API failure; 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

from compiler.drift.present import MARKER
from compiler.review.pr_comment import ACTIONS_BOT, Api, ApiError, find_comment, prepare_body
from compiler.text import github_data, safe_output

TITLE: Final = "kfroster drift: the cluster holds access the roster does not"
_PAGE_SIZE: Final = 100
_CANNOT_WRITE: Final = frozenset({403, 404})

Outcome = Literal["created", "updated", "unchanged", "closed", "none"]


def sync(api: Api, repository: str, body: str, *, drift: bool, author: str) -> tuple[Outcome, str]:
    """Create or edit the drift issue while there is drift; close it once there is none."""
    listing = f"{api.api_url}/repos/{repository}/issues?state=open&per_page={_PAGE_SIZE}"
    issues = (issue for issue in api.pages(listing) if "pull_request" not in issue)
    existing = find_comment(issues, author, MARKER)
    if not drift:
        if existing is None:
            return "none", ""
        url = f"{api.api_url}/repos/{repository}/issues/{existing['number']}"
        closed = api.call("PATCH", url, {"body": body, "state": "closed"})
        return "closed", str(closed.get("html_url", ""))
    if existing is None:
        created = api.call(
            "POST", f"{api.api_url}/repos/{repository}/issues", {"title": TITLE, "body": body}
        )
        return "created", str(created.get("html_url", ""))
    if existing.get("body") == body:
        return "unchanged", str(existing.get("html_url", ""))
    url = f"{api.api_url}/repos/{repository}/issues/{existing['number']}"
    updated = api.call("PATCH", url, {"body": body})
    return "updated", str(updated.get("html_url", ""))


def _command(kind: str, message: str) -> None:
    """Print a workflow command (notice, warning, error) the runner shows on the run."""
    sys.stdout.write(f"::{kind} title=kfroster drift issue::{github_data(message)}\n")


def _run_url() -> str | None:
    server, repository, run = (
        os.environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repository}/actions/runs/{run}" if server and repository and run else None


def keep_issue(file: Path, *, drift: bool, author: str) -> int:
    """Sync the drift issue with the report in FILE; return the exit code.

    drift is kfroster drift's verdict (exit code 1): the issue is opened or edited with the
    report; without drift an open one is closed. author is the login whose issue is touched.
    """
    try:
        report = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        sys.stderr.write(safe_output(f"error: cannot read the report {file}: {err}") + "\n")
        return 2
    token = os.environ.get("GITHUB_TOKEN", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if not token or not repository:
        _command("notice", "No issue written: no GITHUB_TOKEN or GITHUB_REPOSITORY.")
        return 0
    run_url = _run_url()
    if not drift:
        where = f" ([run]({run_url}))" if run_url else ""
        report = f"{MARKER}\nNo drift any more{where}: the cluster grants what the roster grants.\n"
    body, fits = prepare_body(report, run_url, MARKER)
    if not fits:
        _command("warning", "The report is too long for an issue; it is in the job summary only.")
    api = Api(os.environ.get("GITHUB_API_URL", "https://api.github.com"), token)
    try:
        outcome, url = sync(api, repository, body, drift=drift, author=author)
    except ApiError as err:
        if err.status in _CANNOT_WRITE:
            _command(
                "notice", f"The token may not write issues; the report is in the job summary. {err}"
            )
            return 0
        _command("error", f"Could not write the drift issue: {err}")
        return 1
    sys.stderr.write(safe_output(f"drift issue {outcome}{': ' + url if url else ''}") + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The deprecated `python -m compiler.drift.issue FILE --drift 0|1`: warn, then sync."""
    parser = argparse.ArgumentParser(
        prog="python -m compiler.drift.issue",
        description="Deprecated: use `kfroster comment FILE --drift-issue 0|1`.",
    )
    parser.add_argument("file", type=Path, help="the Markdown report kfroster drift wrote")
    parser.add_argument("--drift", choices=("0", "1"), required=True, help="drift's exit code")
    parser.add_argument("--author", default=ACTIONS_BOT, help="the login whose issue is kept")
    args = parser.parse_args(argv)
    _command(
        "warning",
        "`python -m compiler.drift.issue` is deprecated and goes in the next release: run "
        "`kfroster comment FILE --drift-issue 0|1` instead.",
    )
    return keep_issue(args.file, drift=args.drift == "1", author=args.author)


if __name__ == "__main__":
    sys.exit(main())
