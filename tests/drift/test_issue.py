"""The scheduled workflow's one drift issue: created with drift, edited, closed without."""

from __future__ import annotations

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


def test_drift_opens_the_issue_with_a_fixed_title(tmp_path: Path, github: FakeGitHub) -> None:
    assert issue.main([report(tmp_path), "--drift", "1"]) == 0
    [created] = github.issues
    assert created["title"] == issue.TITLE
    assert created["body"] == REPORT


def test_the_marked_issue_is_edited_in_place_among_many(tmp_path: Path, github: FakeGitHub) -> None:
    github.issue("unrelated")
    github.issue(f"{MARKER}\nquoted by a person", login="someone")
    github.issue(f"{MARKER}\nold", pull_request=True)
    mine = github.issue(f"{MARKER}\nold report")
    assert issue.main([report(tmp_path), "--drift", "1"]) == 0
    assert mine["body"] == REPORT
    assert [i["body"] for i in github.issues[:3]] == [
        "unrelated",
        f"{MARKER}\nquoted by a person",
        f"{MARKER}\nold",
    ]
    assert github.calls("POST") == []
    assert issue.main([report(tmp_path), "--drift", "1"]) == 0
    assert len(github.calls("PATCH")) == 1  # unchanged: not written again


def test_no_drift_closes_the_open_issue_and_opens_none(tmp_path: Path, github: FakeGitHub) -> None:
    assert issue.main([report(tmp_path), "--drift", "0"]) == 0
    assert github.issues == []
    mine = github.issue(f"{MARKER}\nold report")
    assert issue.main([report(tmp_path), "--drift", "0"]) == 0
    assert mine["state"] == "closed"
    assert mine["body"].startswith(f"{MARKER}\nNo drift any more")


def test_a_token_that_may_not_write_issues_leaves_a_notice(
    tmp_path: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    github.failures["GET"] = (403, "Resource not accessible by integration")
    assert issue.main([report(tmp_path), "--drift", "1"]) == 0
    assert capsys.readouterr().out.startswith("::notice title=kfroster drift issue::")
    github.failures["GET"] = (500, "boom")
    assert issue.main([report(tmp_path), "--drift", "1"]) == 1


def test_an_unreadable_report_is_a_usage_error(tmp_path: Path, github: FakeGitHub) -> None:
    assert issue.main([str(tmp_path / "absent.md"), "--drift", "1"]) == 2
    assert github.requests == []
    assert BOT == "github-actions[bot]"
