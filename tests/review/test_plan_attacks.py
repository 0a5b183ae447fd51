"""Issue 12, reproduced as the attacks were made: a pull request against a real git repository.

Each test builds the repository the attack needs (the roster on main, its compiled out/, a
branch with the change, history where the attack relies on it), runs `kfroster diff --base
main` as the workflow does, and asserts that the plan shows the change with a risk that
`--fail-on` blocks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from compiler import pipeline
from compiler.output import tree
from tests.conftest import invoke
from tests.review.test_diff_cli import git

BASE = """\
version: 1
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
  - {name: carol, email: carol@example.com}
profiles:
  - name: alice
    owner: alice
    contributors: [{user: bob, role: edit}, {user: carol, role: view}]
  - {name: bob, owner: bob}
"""


def commit_roster(repo: Path, text: str, message: str) -> None:
    """Write the roster (and, as CI demands, its compiled out/) and commit both."""
    (repo / "users.yaml").write_text(text, encoding="utf-8")
    tree.write_tree(pipeline.compile_roster(repo / "users.yaml").files, repo / "out")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A roster repository: BASE and its out/ on main, a feature branch checked out."""
    root = tmp_path / "roster"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_roster(root, BASE, "roster")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def with_user(text: str, name: str) -> str:
    """Add a user (name@example.com) to roster text."""
    last = "  - {name: carol, email: carol@example.com}\n"
    return text.replace(last, f"{last}  - {{name: {name}, email: {name}@example.com}}\n")


def plan(runner: CliRunner, repo: Path, *options: str) -> Result:
    """Run the workflow's plan: `kfroster diff --base main users.yaml` (plus options)."""
    return invoke(runner, "diff", "--base", "main", *options, repo / "users.yaml")


def risk_lines(result: Result) -> str:
    """Return the risks part of a text plan, joined into one line per risk."""
    text = result.stdout.split("Risks (", 1)[1].split("\n\n", 1)[0]
    risks: list[str] = []
    for line in text.splitlines()[1:]:
        if line.startswith("  ") and not line.startswith("   "):
            risks.append(line.strip())
        else:
            risks[-1] += " " + line.strip()
    return "\n".join(risks)


# --------------------------------------------------------------------------------------------
# Item 8: names hide people
# --------------------------------------------------------------------------------------------


def test_one_extra_member_is_named_beside_many_hires(runner: CliRunner, repo: Path) -> None:
    hires = "".join(f"  - {{name: hire{i}, email: hire{i}@example.com}}\n" for i in range(1500))
    members = ", ".join([f"hire{i}" for i in range(1500)] + ["carol"])
    text = (
        BASE.replace(
            "profiles:\n", f"{hires}groups:\n  - name: team\n    members: [{members}]\nprofiles:\n"
        )
        + "  - name: team\n    owner: alice\n    contributors: [{group: team, role: edit}]\n"
    )
    base = BASE + "  - name: team\n    owner: alice\n"
    git(repo, "checkout", "-q", "main")
    commit_roster(repo, base, "team")
    git(repo, "checkout", "-q", "feature")
    git(repo, "reset", "-q", "--hard", "main")
    commit_roster(repo, text, "hires")
    result = plan(runner, repo, "--format", "markdown", "--max-chars", "65000")
    comment = result.stdout
    assert "carol <carol@example.com>" in comment.split("hire", 1)[0]
    assert "1,493 more" in comment
    assert "job summary" in comment
