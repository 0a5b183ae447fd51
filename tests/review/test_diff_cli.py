"""`kfroster diff` end to end: real git repositories, exit codes, streams, colour, files."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler.review import gitrev
from compiler.review.plan.github import annotation
from compiler.review.plan.markdown import MARKER
from compiler.review.plan.model import Code, Location, Risk
from tests.conftest import REPO, invoke

BASE = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
profiles:
  - {name: alice, owner: alice, contributors: [{user: bob, role: view}]}
  - {name: bob, owner: bob}
"""
# bob becomes an editor of alice's profile: privilege gained, nothing else.
HEAD = BASE.replace("{user: bob, role: view}", "{user: bob, role: edit}")
# bob's profile leaves: data at stake, and bob's access to it ends.
DROPPED = BASE.replace("  - {name: bob, owner: bob}\n", "")
INVALID = BASE.replace("owner: bob}", "owner: nobody}")


def git(repo: Path, *args: str) -> str:
    """Run git in repo with a fixed identity; return its stdout."""
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the roster committed on main and a feature branch checked out."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "users.yaml").write_text(BASE, encoding="utf-8")
    git(root, "add", "users.yaml")
    git(root, "commit", "-q", "-m", "roster")
    git(root, "checkout", "-q", "-b", "feature")
    return root


# --------------------------------------------------------------------------------------------
# Reading a revision
# --------------------------------------------------------------------------------------------


def test_read_at_returns_the_committed_bytes_not_the_working_tree(repo: Path) -> None:
    (repo / "users.yaml").write_text(HEAD, encoding="utf-8")
    assert gitrev.read_at(repo / "users.yaml", "main") == BASE.encode()


def test_read_at_finds_a_roster_in_a_subdirectory_of_the_repository(repo: Path) -> None:
    (repo / "kubeflow").mkdir()
    (repo / "kubeflow" / "users.yaml").write_text(HEAD, encoding="utf-8")
    git(repo, "add", "kubeflow/users.yaml")
    git(repo, "commit", "-q", "-m", "move")
    (repo / "kubeflow" / "users.yaml").write_text(BASE, encoding="utf-8")
    assert gitrev.read_at(repo / "kubeflow" / "users.yaml", "feature") == HEAD.encode()
    assert gitrev.read_at(repo / "kubeflow" / "users.yaml", "HEAD~0") == HEAD.encode()


def test_read_at_reads_other_branches_and_commits(repo: Path) -> None:
    (repo / "users.yaml").write_text(HEAD, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "edit")
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert gitrev.read_at(repo / "users.yaml", commit) == HEAD.encode()
    assert gitrev.read_at(repo / "users.yaml", "main") == BASE.encode()
    assert gitrev.read_at(repo / "users.yaml", "feature~1") == BASE.encode()


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "unknown git revision 'nope'"),
        ("-x", "'-x' is not a git revision"),
        ("main:users.yaml", "'main:users.yaml' is not a git revision kfroster reads"),
        ("main..feature", "is not a git revision kfroster reads"),
        ("main@{1}", "is not a git revision kfroster reads"),
        ("@", "is not a git revision kfroster reads"),
        ("refs/heads/nope", "unknown git revision 'refs/heads/nope'"),
    ],
)
def test_read_at_refuses_unknown_revisions(repo: Path, ref: str, message: str) -> None:
    with pytest.raises(gitrev.GitError, match=message):
        gitrev.read_at(repo / "users.yaml", ref)


def test_read_at_takes_full_names_ids_and_walks_back(repo: Path) -> None:
    (repo / "users.yaml").write_text(HEAD, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "edit")
    commit = git(repo, "rev-parse", "HEAD").strip()
    for ref in ("refs/heads/main", "refs/heads/feature~1", "feature^", "HEAD~1", commit + "~1"):
        assert gitrev.read_at(repo / "users.yaml", ref) == BASE.encode(), ref
    assert gitrev.read_at(repo / "users.yaml", "HEAD") == HEAD.encode()
    git(repo, "branch", "alice@fix", "main")
    assert gitrev.read_at(repo / "users.yaml", "alice@fix") == BASE.encode()


@pytest.mark.parametrize(
    ("make", "ref", "found"),
    [
        (["tag", "main", "feature"], "main", "refs/tags/main, refs/heads/main"),
        (["branch", "v1"], "v1", "refs/tags/v1, refs/heads/v1"),
        (["update-ref", "refs/remotes/main/HEAD", "main"], "main", "refs/heads/main, refs/remotes"),
    ],
)
def test_read_at_refuses_a_name_two_refs_answer_to(
    repo: Path, make: list[str], ref: str, found: str
) -> None:
    git(repo, "tag", "v1", "main")
    git(repo, *make)
    with pytest.raises(gitrev.GitError, match=f"revision '{ref}' is ambiguous: {found}"):
        gitrev.read_at(repo / "users.yaml", ref)


def test_read_at_refuses_a_branch_named_like_an_abbreviated_commit(repo: Path) -> None:
    short = git(repo, "rev-parse", "--short=8", "main").strip()
    git(repo, "branch", short, "feature")
    with pytest.raises(gitrev.GitError, match=f"ambiguous: refs/heads/{short}, the object {short}"):
        gitrev.read_at(repo / "users.yaml", short)


def test_read_at_reports_a_roster_absent_at_the_revision(repo: Path) -> None:
    (repo / "other.yaml").write_text(BASE, encoding="utf-8")
    with pytest.raises(gitrev.GitError, match=r"other.yaml does not exist at main"):
        gitrev.read_at(repo / "other.yaml", "main")


def test_read_at_outside_a_repository_says_so(tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text(BASE, encoding="utf-8")
    with pytest.raises(gitrev.GitError, match="is not in a git repository"):
        gitrev.read_at(tmp_path / "users.yaml", "main")


# --------------------------------------------------------------------------------------------
# Exit codes and streams
# --------------------------------------------------------------------------------------------


def test_diff_base_prints_the_plan_and_exits_0(runner: CliRunner, repo: Path) -> None:
    (repo / "users.yaml").write_text(HEAD, encoding="utf-8")
    result = invoke(runner, "diff", "--base", "main", repo / "users.yaml")
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"kfroster diff {repo / 'users.yaml'}@main → {repo / 'users.yaml'}"
    assert lines[2] == (
        "Plan: 0 users added, 1 changed, 0 removed · 0 profiles added, 1 changed, 0 removed"
        " · 2 objects to add, 0 to change, 2 to delete."
    )
    assert "HIGH     privilege bob <bob@example.com> gains edit in profile alice (was view)" in (
        result.stdout
    )
    assert "\x1b[" not in result.stdout


def test_diff_without_changes_exits_0_even_with_exit_code(runner: CliRunner, repo: Path) -> None:
    result = invoke(runner, "diff", "--base", "main", "--exit-code", repo / "users.yaml")
    assert result.exit_code == 0
    assert "No changes." in result.stdout and "No risks." in result.stdout


def test_exit_code_makes_changes_exit_1(runner: CliRunner, repo: Path) -> None:
    (repo / "users.yaml").write_text(HEAD, encoding="utf-8")
    result = invoke(runner, "diff", "--base", "main", "--exit-code", repo / "users.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("kfroster diff")


@pytest.mark.parametrize(
    ("head", "fail_on", "code"),
    [
        (HEAD, "privilege", 1),
        (HEAD, "data,owner,quota,settings", 0),
        (DROPPED, "data", 1),
        (DROPPED, " Privilege , DATA ", 1),
        (DROPPED, "privilege", 0),  # bob only loses access: information, never a failure
        (HEAD, "privilege:critical", 0),  # edit in one profile is HIGH
        (HEAD, "high", 1),
        (DROPPED, "data:high", 1),
        (DROPPED, "critical", 0),
    ],
)
def test_fail_on_exits_1_only_for_the_kinds_asked(
    runner: CliRunner, repo: Path, head: str, fail_on: str, code: int
) -> None:
    (repo / "users.yaml").write_text(head, encoding="utf-8")
    result = invoke(runner, "diff", "--base", "main", "--fail-on", fail_on, repo / "users.yaml")
    assert result.exit_code == code
    assert ("risks found that --fail-on refuses" in result.stderr) is (code == 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "danger"], "unknown risk threshold 'danger'"),
        (["--fail-on", ","], "unknown risk threshold"),
        (["--max-chars", "100"], "'--max-chars': 100 is less than 2000"),
        (["--max-chars", "many"], "'--max-chars': 'many' is not a whole number"),
        (["--format", "yaml"], "'yaml' is not a format of the plan; choose text, json, github"),
        (["a.yaml"], "give --base REF [ROSTER], or OLD NEW"),
        (["a.yaml", "b.yaml", "c.yaml"], "give --base REF [ROSTER], or OLD NEW"),
        (["--base", "main", "a.yaml", "b.yaml"], "give --base REF [ROSTER], or OLD NEW"),
        (["a.yaml", "b.yaml", "--out", "out"], "--out and --deploy compare with REF"),
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = invoke(runner, "diff", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Value error" not in result.stderr and "Input should" not in result.stderr
    assert "Value error" not in result.stderr and "Input should" not in result.stderr


def test_unknown_revision_exits_2(runner: CliRunner, repo: Path) -> None:
    result = invoke(runner, "diff", "--base", "origin/main", repo / "users.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: unknown git revision 'origin/main'")
    assert "git fetch" in result.stderr


def test_roster_absent_at_revision_exits_2(runner: CliRunner, repo: Path) -> None:
    roster = repo / "new.yaml"
    roster.write_text(BASE, encoding="utf-8")
    result = invoke(runner, "diff", "--base", "main", roster)
    assert result.exit_code == 2
    assert f"{roster} does not exist at main" in result.stderr


def test_unreadable_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(BASE, encoding="utf-8")
    result = invoke(runner, "diff", tmp_path / "old.yaml", tmp_path / "missing.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'missing.yaml'}: cannot read the roster")


def test_invalid_head_exits_1_with_located_problems(runner: CliRunner, repo: Path) -> None:
    (repo / "users.yaml").write_text(INVALID, encoding="utf-8")
    result = invoke(runner, "diff", "--base", "main", "--format", "json", repo / "users.yaml")
    assert result.exit_code == 1
    roster = repo / "users.yaml"
    assert result.stderr.splitlines() == [
        f"{roster}:7:24: error: profile 'bob' is owned by 'nobody', who is not in users; "
        "add the user or fix the name [unknown-user]",
        f"no plan: {roster} failed validation",
    ]
    data = json.loads(result.stdout)
    assert (data["valid"], data["invalid"], data["changes"]) == (False, [str(roster)], [])


def test_invalid_base_names_the_revision_in_its_problems(runner: CliRunner, repo: Path) -> None:
    (repo / "users.yaml").write_text(INVALID, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "broken")
    (repo / "users.yaml").write_text(BASE, encoding="utf-8")
    result = invoke(runner, "diff", "--base", "HEAD", repo / "users.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{repo / 'users.yaml'}@HEAD:7:24: error: ")


def test_two_files_and_markdown_output_file(runner: CliRunner, tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(DROPPED, encoding="utf-8")
    plan = tmp_path / "plan.md"
    result = invoke(runner, "diff", old, new, "--format", "markdown", "-o", plan)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"wrote the plan to {plan}\n"
    text = plan.read_text(encoding="utf-8")
    assert text.startswith(MARKER + "\n")
    assert "> [!CAUTION]\n> - **data** · profile `bob` leaves the roster" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan")] == []


def test_markdown_budget_is_respected(runner: CliRunner, tmp_path: Path) -> None:
    users = "".join(f"  - {{name: u{i}, email: u{i}@example.com}}\n" for i in range(200))
    profiles = "".join(f"  - {{name: u{i}, owner: u{i}}}\n" for i in range(200))
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text("version: 1\nusers: []\n", encoding="utf-8")
    new.write_text(f"version: 1\nusers:\n{users}profiles:\n{profiles}", encoding="utf-8")
    result = invoke(runner, "diff", old, new, "-f", "markdown", "--max-chars", "5000")
    assert result.exit_code == 0
    assert len(result.stdout) <= 5000
    assert "Cut to fit in a comment" in result.stdout
    assert f"Run `kfroster diff {old} {new}` for the complete plan" in result.stdout


def test_json_plan_has_the_documented_shape(runner: CliRunner, tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(HEAD, encoding="utf-8")
    data = json.loads(invoke(runner, "diff", old, new, "--format", "json").stdout)
    assert sorted(data) == [
        "base",
        "changes",
        "engine",
        "format",
        "head",
        "invalid",
        "notes",
        "objects",
        "problems",
        "risks",
        "summary",
        "valid",
    ]
    assert data["summary"]["risks"] == {
        "data": 0,
        "info": 0,
        "owner": 0,
        "privilege": 1,
        "quota": 0,
        "settings": 0,
    }
    assert data["risks"][0]["kind"] == "privilege" and data["risks"][0]["users"] == ["bob"]
    assert {obj["action"] for obj in data["objects"]} == {"add", "delete"}


# --------------------------------------------------------------------------------------------
# Colour: on a terminal only, never under NO_COLOR
# --------------------------------------------------------------------------------------------


def _run_in_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run kfroster with its stdout on a pseudo-terminal; return what it printed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "compiler", *args],
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=REPO,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    return output


@pytest.mark.parametrize("no_color", [None, "1"])
def test_text_is_coloured_on_a_terminal_unless_no_color(
    tmp_path: Path, no_color: str | None
) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(HEAD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm"
    if no_color is not None:
        env["NO_COLOR"] = no_color
    output = _run_in_terminal(["diff", str(old), str(new)], env)
    assert b"Plan: 0 users added" in output
    assert (b"\x1b[" in output) is (no_color is None)


# --------------------------------------------------------------------------------------------
# --format github: each risk annotated on the roster line that causes it
# --------------------------------------------------------------------------------------------


def test_github_annotates_each_risk_on_its_roster_line(runner: CliRunner, repo: Path) -> None:
    """In a pull request: a grant on the head's line, a removal on the base's line."""
    roster = repo / "users.yaml"
    roster.write_text(HEAD.replace("  - {name: bob, owner: bob}\n", ""), encoding="utf-8")
    result = invoke(runner, "diff", "--base", "main", roster, "--format", "github")
    assert result.exit_code == 0, result.stderr
    granted, removed = result.stdout.splitlines()
    assert granted.startswith(
        f"::error file={roster},line=6,col=5,title=kfroster privilege risk (HIGH)::bob "
        "<bob@example.com> gains edit in profile alice (was view): "
    )
    assert removed.startswith(
        f"::error file={roster}@main,line=7,col=5,title=kfroster data risk (HIGH)::profile bob "
        "leaves the roster: "
    )
    assert BASE.splitlines()[6].startswith("  - {name: bob")  # line 7 of the base
    data = json.loads(invoke(runner, "diff", "--base", "main", roster, "-f", "json").stdout)
    assert [(r["file"], r["line"], r["col"]) for r in data["risks"]] == [
        (str(roster), 6, 5),
        (f"{roster}@main", 7, 5),
    ]


def test_github_puts_an_invalid_side_s_problems_on_their_lines(
    runner: CliRunner, tmp_path: Path
) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(INVALID, encoding="utf-8")
    result = invoke(runner, "diff", old, new, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error title=kfroster plan::no plan: ")
    assert result.stderr.startswith(f"::error file={new},line=7,col=")


def test_a_risk_annotation_is_one_line_whatever_its_text() -> None:
    risk = Risk(
        "settings",
        "warning",
        "settings.x",
        ("value ", Code("a\n::error file=x::forged\r%0A")),
        location=Location("users.yaml", 3, 1),
    )
    (line,) = annotation(risk).splitlines()
    assert line.startswith("::warning file=users.yaml,line=3,col=1,title=kfroster settings risk")
    # The line break shows as an escape: it can neither end the command nor start one.
    assert line.endswith("::value a\\u000a::error file=x::forged\\u000d%250A")
