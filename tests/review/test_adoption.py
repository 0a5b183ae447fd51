"""Added profiles: every one is an owner risk, HIGH when it was a profile before or reserved.

History is read from real git repositories, shallow clones included.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.review import diff, gitrev
from compiler.review.history import past_profiles
from compiler.review.plan.model import Plan, Risk, plain
from tests.gitrepo import git

BASE = """\
version: 1
users:
  - {name: ana, email: ana@example.com}
  - {name: bo, email: bo@example.com}
profiles:
  - {name: ana, owner: ana}
"""


def plan(base: str, head: str) -> Plan:
    return diff.make_plan(diff.load_text(base, "a"), diff.load_text(head, "b"))


def owner_risks(found: Plan) -> list[Risk]:
    return [risk for risk in found.risks if risk.kind == "owner"]


@pytest.mark.parametrize("manage", [True, False])
def test_every_added_profile_is_an_owner_warning(manage: bool) -> None:
    settings = "" if manage else "settings: {manageNamespaces: false}\n"
    base = BASE.replace("version: 1\n", "version: 1\n" + settings)
    (risk,) = owner_risks(plan(base, base + "  - {name: bo, owner: bo}\n"))
    assert (risk.severity, risk.subject, risk.users) == ("warning", "profile bo", ("bo",))
    message = plain(risk.message)
    assert message.startswith("profile bo is added for bo <bo@example.com>: if a namespace bo")
    assert "everything already in it" in message
    assert ("the apply sets its owner annotation" in message) is manage
    assert ("with the owner annotation bo@example.com" in message) is (not manage)


def test_a_platform_namespace_allowed_on_purpose_is_high_and_the_policy_is_reported() -> None:
    head = BASE.replace("version: 1\n", "version: 1\npolicy: {allowNamespaces: [vault-system]}\n")
    found = plan(BASE, head + "  - {name: vault-system, owner: bo}\n")
    (risk,) = owner_risks(found)
    assert risk.severity == "high"
    assert "policy.allowNamespaces lets this roster take it" in plain(risk.message)
    (policy,) = [r for r in found.risks if r.subject == "policy.allowNamespaces"]
    assert (policy.kind, policy.severity) == ("settings", "warning")
    assert "now allows vault-system" in plain(policy.message)


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


def commit(repo: Path, text: str, message: str) -> str:
    (repo / "users.yaml").write_text(text, encoding="utf-8")
    git(repo, "add", "users.yaml")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """bo's profile came, then left; many unrelated commits follow."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, BASE, "ana")
    commit(repo, BASE + "  - {name: bo, owner: bo}\n", "bo")
    commit(repo, BASE, "bo leaves")
    for number in range(3):
        commit(repo, BASE + f"# {number}\n", f"comment {number}")
    return repo


def test_history_finds_a_name_that_was_a_profile_and_who_owned_it(history: Path) -> None:
    found = past_profiles(history / "users.yaml", "main", ["bo", "ana-2", "cy"])
    assert (found.read, found.shallow) == (True, False)
    assert sorted(found.profiles) == ["bo"]
    past = found.profiles["bo"]
    assert (past.owner, past.email) == ("bo", "bo@example.com")
    removal = git(history, "rev-parse", "main~3").strip()
    assert past.revision == f"{removal[:12]}^"


def test_a_user_name_is_no_past_profile(history: Path) -> None:
    """`bo` is a user all along; only a profile of that name counts."""
    commit(history, BASE.replace("ana, owner: ana", "ana, owner: bo"), "owner bo")
    assert past_profiles(history / "users.yaml", "main", ["ana-x"]).profiles == {}


def test_re_adding_a_profile_from_history_is_high(history: Path) -> None:
    head = (
        BASE.replace(
            "{name: bo, email: bo@example.com}",
            "{name: bo, email: bo@example.com}\n  - {name: eve, email: eve@example.com}",
        )
        + "  - {name: bo, owner: eve}\n"
    )
    (history / "users.yaml").write_text(head, encoding="utf-8")
    (risk,) = owner_risks(diff.plan_against(history / "users.yaml", "main"))
    assert (risk.severity, sorted(risk.users)) == ("high", ["bo", "eve"])
    assert "It was in the roster before (at " in plain(risk.message)
    assert "owned by bo <bo@example.com>" in plain(risk.message)


def test_a_shallow_clone_says_the_history_was_not_read(history: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{history}", str(clone)], check=True)
    found = past_profiles(clone / "users.yaml", "HEAD", ["bo"])
    assert (found.profiles, found.shallow) == ({}, True)
    (clone / "users.yaml").write_text(BASE + "  - {name: bo, owner: bo}\n", encoding="utf-8")
    (risk,) = owner_risks(diff.plan_against(clone / "users.yaml", "HEAD"))
    assert risk.severity == "warning"
    assert "The clone is shallow" in plain(risk.message)


def test_history_at_reads_each_matching_commit_and_its_parent(history: Path) -> None:
    found = gitrev.history_at(
        history / "users.yaml", "main", lambda line: "name: bo, owner" in line
    )
    contents = [version.content for version in found.versions]
    with_bo = (BASE + "  - {name: bo, owner: bo}\n").encode()
    # Newest first: the removal (without, then its parent with), then the addition.
    assert contents == [BASE.encode(), with_bo, with_bo, BASE.encode()]


def test_history_at_stops_after_the_newest_commits_asked_for(history: Path) -> None:
    found = gitrev.history_at(history / "users.yaml", "main", lambda line: True, commits=2)
    assert len(found.versions) == 4  # two commits, each with its parent


def test_history_at_of_a_first_commit_has_no_parent(tmp_path: Path) -> None:
    repo = tmp_path / "one"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, BASE, "ana")
    found = gitrev.history_at(repo / "users.yaml", "main", lambda line: "ana" in line)
    assert [v.content is None for v in found.versions] == [False, True]
