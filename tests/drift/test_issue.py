"""The scheduled workflow's one drift issue: created with drift, edited, closed without."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.drift import issue
from compiler.drift.present import MARKER
from tests.fake_github import BOT, REPOSITORY, FakeGitHub, serve

REPORT = f"{MARKER}\n### kfroster drift\n\n**Drift: 1 granted.**\n"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
            monkeypatch.delenv(name, raising=False)
        yield fake


def report(tmp_path: Path, text: str = REPORT) -> str:
    path = tmp_path / "report.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


def keep(tmp_path: Path, status: str, text: str = REPORT) -> int:
    """Run `kfroster comment REPORT --drift-issue STATUS` in-process, as the workflow does."""
    return issue.keep_issue(Path(report(tmp_path, text)), drift=status == "1", author=BOT)


def test_drift_opens_the_issue_with_a_fixed_title(tmp_path: Path, github: FakeGitHub) -> None:
    assert keep(tmp_path, "1") == 0
    [created] = github.issues
    assert created["title"] == issue.TITLE
    assert created["body"] == REPORT


def test_the_marked_issue_is_edited_in_place_among_many(tmp_path: Path, github: FakeGitHub) -> None:
    github.issue("unrelated")
    github.issue(f"{MARKER}\nquoted by a person", login="someone")
    github.issue(f"{MARKER}\nold", pull_request=True)
    mine = github.issue(f"{MARKER}\nold report")
    assert keep(tmp_path, "1") == 0
    assert mine["body"] == REPORT
    assert [i["body"] for i in github.issues[:3]] == [
        "unrelated",
        f"{MARKER}\nquoted by a person",
        f"{MARKER}\nold",
    ]
    assert github.calls("POST") == []
    assert keep(tmp_path, "1") == 0
    assert len(github.calls("PATCH")) == 1  # unchanged: not written again


def test_no_drift_closes_the_open_issue_and_opens_none(tmp_path: Path, github: FakeGitHub) -> None:
    assert keep(tmp_path, "0") == 0
    assert github.issues == []
    mine = github.issue(f"{MARKER}\nold report")
    assert keep(tmp_path, "0") == 0
    assert mine["state"] == "closed"
    assert mine["body"].startswith(f"{MARKER}\nNo drift any more")


def test_a_token_that_may_not_write_issues_leaves_a_notice(
    tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    github.failures["GET"] = (403, "Resource not accessible by integration")
    assert keep(tmp_path, "1") == 0
    assert capsys.readouterr().out.startswith("::notice title=kfroster drift issue::")
    github.failures["GET"] = (500, "boom")
    assert keep(tmp_path, "1") == 1


def test_an_unreadable_report_is_a_usage_error(tmp_path: Path, github: FakeGitHub) -> None:
    assert issue.keep_issue(tmp_path / "absent.md", drift=True, author=BOT) == 2
    assert github.requests == []
    assert BOT == "github-actions[bot]"


def run(*command: str, tmp_path: Path, github: FakeGitHub) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_TOKEN": "t0ken",
    }
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


def test_kfroster_comment_keeps_the_drift_issue(tmp_path: Path, github: FakeGitHub) -> None:
    """The workflow's step: the installed command, with drift's exit code."""
    kfroster = str(Path(sys.executable).parent / "kfroster")
    opened = run(
        kfroster,
        "comment",
        report(tmp_path),
        "--drift-issue",
        "1",
        tmp_path=tmp_path,
        github=github,
    )
    assert opened.returncode == 0, opened.stdout + opened.stderr
    [created] = github.issues
    assert created["body"] == REPORT
    closed = run(
        kfroster,
        "comment",
        report(tmp_path),
        "--drift-issue",
        "0",
        tmp_path=tmp_path,
        github=github,
    )
    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert created["state"] == "closed"
    refused = run(
        kfroster,
        "comment",
        report(tmp_path),
        "--drift-issue",
        "2",
        tmp_path=tmp_path,
        github=github,
    )
    assert refused.returncode == 2
    assert "not 0 or 1" in refused.stderr


def test_the_old_module_entry_point_still_works_and_warns(
    tmp_path: Path, github: FakeGitHub
) -> None:
    """Workflows written by an older kfroster init --drift run it; it works for one release."""
    done = run(
        sys.executable,
        "-P",
        "-m",
        "compiler.drift.issue",
        report(tmp_path),
        "--drift",
        "1",
        tmp_path=tmp_path,
        github=github,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("::warning title=kfroster drift issue::")
    assert "kfroster comment FILE --drift-issue" in done.stdout
    assert len(github.issues) == 1


def test_nothing_from_the_api_or_the_file_name_starts_a_workflow_command(
    tmp_path: Path,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What the API answers and the report's name are printed; neither may become a command."""
    hostile = "https://x\n::add-mask::t0ken\x1b[2K"
    monkeypatch.setattr(issue, "sync", lambda *args, **kwargs: ("created", hostile))
    assert keep(tmp_path, "1") == 0
    missing = tmp_path / "no\n::error::report.md"
    assert issue.keep_issue(missing, drift=True, author=BOT) == 2
    captured = capsys.readouterr()
    for line in (captured.out + captured.err).splitlines():
        assert not line.lstrip().startswith("::") or line.startswith("::notice title=kfroster")
        assert "\x1b" not in line
