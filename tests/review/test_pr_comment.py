"""The plan comment, end to end against a fake GitHub API: one comment, found by its marker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.review.pr_comment import COMMENT_LIMIT, MARKER, find_comment, prepare_body
from tests.conftest import REPO
from tests.fake_github import BOT, NUMBER, REPOSITORY, FakeGitHub, serve

RUN_URL = f"https://github.example/{REPOSITORY}/actions/runs/42"
# Text a shell would act on: it must reach the API exactly as written in the file.
HOSTILE = "$(touch pwned) `id` ${HOME} \"quoted\" 'single' \\ <script>alert(1)</script> — ünïcode"
PLAN = f"{MARKER}\n# Plan: 1 user added\n\n{HOSTILE}\n"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        yield fake


KFROSTER_COMMENT = [str(Path(sys.executable).parent / "kfroster"), "comment"]
# The entry point of workflows written by an older kfroster init, kept for one release.
OLD_MODULE = [sys.executable, "-P", "-m", "compiler.review.pr_comment"]


def post_plan(
    tmp_path: Path,
    github: FakeGitHub,
    plan: str = PLAN,
    *args: str,
    event: object = None,
    command: list[str] = KFROSTER_COMMENT,
) -> subprocess.CompletedProcess[str]:
    """Run `kfroster comment` as the workflow does, in a job's environment."""
    plan_file = tmp_path / "plan.md"
    plan_file.write_text(plan, encoding="utf-8")
    event_file = tmp_path / "event.json"
    pull_request = {"pull_request": {"number": NUMBER}}
    event_file.write_text(json.dumps(pull_request if event is None else event), encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
    }
    return subprocess.run(
        [*command, str(plan_file), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def expected_body(plan: str = PLAN) -> str:
    return (
        plan.rstrip("\n")
        + f"\n\n<sub>Posted by kfroster from [this workflow run]({RUN_URL}).</sub>\n"
    )


def test_creates_the_comment_when_none_has_the_marker(tmp_path: Path, github: FakeGitHub) -> None:
    github.comment(1, "LGTM", login="reviewer")
    github.comment(2, "Coverage report", login=BOT)
    # A reviewer quoting the marker does not make their comment the plan's.
    github.comment(3, f"{MARKER}\nquoting the bot", login="reviewer")
    before = [dict(comment) for comment in github.comments]

    result = post_plan(tmp_path, github)

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(github.calls("GET")) == 2  # two pages of two
    [post] = github.calls("POST")
    assert post.path == f"/repos/{REPOSITORY}/issues/{NUMBER}/comments"
    assert post.payload == {"body": expected_body()}
    assert post.headers["Authorization"] == "Bearer t0ken"
    assert github.calls("PATCH") == []
    assert github.comments[:3] == before
    assert not (tmp_path / "pwned").exists()


def test_updates_the_one_marked_comment_in_place(tmp_path: Path, github: FakeGitHub) -> None:
    github.page_size = 1
    github.comment(1, "first", login="reviewer")
    github.comment(2, f"{MARKER}\nthe previous plan", login=BOT)
    github.comment(3, f"{MARKER}\nan older duplicate", login=BOT)
    github.comment(4, "last", login="reviewer")

    result = post_plan(tmp_path, github)

    assert result.returncode == 0, result.stdout + result.stderr
    assert github.calls("POST") == []
    [patch] = github.calls("PATCH")
    assert patch.path == f"/repos/{REPOSITORY}/issues/comments/2"
    assert [comment["body"] for comment in github.comments] == [
        "first",
        expected_body(),
        f"{MARKER}\nan older duplicate",
        "last",
    ]
    assert "plan comment updated" in result.stderr


def test_an_unchanged_plan_is_not_written_again(tmp_path: Path, github: FakeGitHub) -> None:
    assert post_plan(tmp_path, github).returncode == 0
    result = post_plan(tmp_path, github)
    assert result.returncode == 0
    assert len(github.calls("POST")) == 1
    assert github.calls("PATCH") == []
    assert "plan comment unchanged" in result.stderr


def test_any_author_is_matched_when_asked(tmp_path: Path, github: FakeGitHub) -> None:
    github.comment(1, f"{MARKER}\nposted with a personal token", login="release-bot")
    assert post_plan(tmp_path, github, PLAN, "--author", "release-bot").returncode == 0
    assert [comment["body"] for comment in github.comments] == [expected_body()]


@pytest.mark.parametrize("status", [403, 404])
def test_a_token_that_may_not_comment_leaves_a_notice(
    tmp_path: Path, github: FakeGitHub, status: int
) -> None:
    """A pull request from a fork gets a read-only token: the job summary alone holds the plan."""
    github.failures["POST"] = (status, "Resource not accessible by integration")
    result = post_plan(tmp_path, github)
    assert result.returncode == 0
    [notice] = [line for line in result.stdout.splitlines() if line.startswith("::notice")]
    assert "job summary" in notice
    assert f"HTTP {status}: Resource not accessible by integration" in notice
    assert github.comments == []


def test_another_api_failure_fails_the_step(tmp_path: Path, github: FakeGitHub) -> None:
    github.failures["GET"] = (500, "Server Error")
    result = post_plan(tmp_path, github)
    assert result.returncode == 1
    assert result.stdout.startswith("::error ")
    assert "HTTP 500: Server Error" in result.stdout


def test_no_pull_request_means_no_request(tmp_path: Path, github: FakeGitHub) -> None:
    result = post_plan(tmp_path, github, event={"push": {}})
    assert result.returncode == 0
    assert result.stdout.startswith("::notice ")
    assert github.requests == []


def test_an_unreadable_plan_is_a_usage_error(tmp_path: Path, github: FakeGitHub) -> None:
    result = subprocess.run(
        [*KFROSTER_COMMENT, str(tmp_path / "missing.md")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "cannot read the plan" in result.stderr


def test_the_pull_request_can_be_named(tmp_path: Path, github: FakeGitHub) -> None:
    result = post_plan(tmp_path, github, PLAN, "--pr", str(NUMBER), event={"push": {}})
    assert result.returncode == 0, result.stdout + result.stderr
    [post] = github.calls("POST")
    assert post.path == f"/repos/{REPOSITORY}/issues/{NUMBER}/comments"


@pytest.mark.parametrize("number", ["0", "-3", "seven"])
def test_a_pull_request_number_that_is_none_is_a_usage_error(
    tmp_path: Path, github: FakeGitHub, number: str
) -> None:
    result = post_plan(tmp_path, github, PLAN, "--pr", number)
    assert result.returncode == 2
    assert "--pr" in result.stderr
    assert github.requests == []


def test_a_checked_out_compiler_directory_is_never_imported(
    tmp_path: Path, github: FakeGitHub
) -> None:
    """The step runs in the pull request's checkout with a write token: its files stay data.

    A pull request could add a compiler/ package of its own; `python -m compiler...` without
    -P would import it from the working directory. The kfroster command never does.
    """
    planted = tmp_path / "compiler"
    planted.mkdir()
    (planted / "__init__.py").write_text(
        "import pathlib\npathlib.Path('pwned').write_text('x')\nraise SystemExit(9)\n",
        encoding="utf-8",
    )
    result = post_plan(tmp_path, github)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "pwned").exists()
    assert len(github.calls("POST")) == 1


def test_the_old_module_entry_point_still_posts_and_warns(
    tmp_path: Path, github: FakeGitHub
) -> None:
    """Workflows written by an older kfroster init run it; it works for one more release."""
    result = post_plan(tmp_path, github, command=OLD_MODULE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("::warning title=kfroster plan comment::")
    assert "kfroster comment FILE" in result.stdout
    [post] = github.calls("POST")
    assert post.payload == {"body": expected_body()}


def test_the_marker_is_added_when_the_plan_lacks_it() -> None:
    body, fits = prepare_body("# Plan\n", None)
    assert fits
    assert body == f"{MARKER}\n# Plan\n"


def test_the_run_link_is_added_only_when_it_fits() -> None:
    with_link, _ = prepare_body(PLAN, RUN_URL)
    assert with_link == expected_body()
    full = MARKER + "\n" + "x" * (COMMENT_LIMIT - len(MARKER) - 1)
    assert prepare_body(full, RUN_URL) == (full, True)


def test_a_plan_too_long_for_a_comment_points_to_the_summary() -> None:
    body, fits = prepare_body(MARKER + "\n" + "x" * COMMENT_LIMIT, RUN_URL)
    assert not fits
    assert body.startswith(MARKER + "\n")
    assert f"[job summary]({RUN_URL})" in body
    assert len(body) < 200


def test_only_a_first_line_marker_counts() -> None:
    comments = [
        {"id": 1, "body": f"see {MARKER}", "user": {"login": BOT}},
        {"id": 2, "body": f"{MARKER}\r\nfrom an editor that writes CRLF", "user": {"login": BOT}},
    ]
    found = find_comment(iter(comments), BOT)
    assert found is not None and found["id"] == 2
