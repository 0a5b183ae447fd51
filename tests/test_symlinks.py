"""compiler.symlinks: which symlinks on the way to a path kfroster refuses, and which it follows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.review import gitrev
from compiler.symlinks import SymlinkRefused, find_symlink, refuse_symlinks
from tests.gitrepo import git


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory: a plain directory (no repository) inside tmp_path."""
    root = tmp_path / "work"
    (root / "real").mkdir(parents=True)
    (root / "real" / "users.yaml").write_text("version: 1\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_real_paths_and_missing_tails_pass(work: Path) -> None:
    assert find_symlink(Path("real/users.yaml")) is None
    assert find_symlink(work / "real" / "users.yaml") is None
    assert find_symlink(Path("real/not-yet/out")) is None
    assert find_symlink(Path("real/../real/users.yaml")) is None


def test_the_path_itself_is_refused_wherever_it_is(work: Path, tmp_path: Path) -> None:
    (work / "link.yaml").symlink_to("real/users.yaml")
    assert find_symlink(Path("link.yaml")) == Path("link.yaml")
    outside = tmp_path / "outside.yaml"
    outside.symlink_to(work / "real" / "users.yaml")
    assert find_symlink(outside) == outside


def test_a_directory_link_inside_the_working_directory_is_refused(work: Path) -> None:
    (work / "team").symlink_to("real", target_is_directory=True)
    assert find_symlink(Path("team/users.yaml")) == Path("team")
    assert find_symlink(work / "team" / "users.yaml") == work / "team"
    with pytest.raises(SymlinkRefused) as caught:
        refuse_symlinks(Path("team/users.yaml"), "the roster", "use the file")
    assert str(caught.value) == (
        "team/users.yaml: team (on the way to the roster) is a symlink; use the file"
    )


def test_dot_dot_is_the_parent_of_the_real_directory(work: Path) -> None:
    (work / "team").symlink_to("real", target_is_directory=True)
    assert find_symlink(Path("real/../team/users.yaml")) == Path("real/../team")


def test_links_of_the_machine_above_the_repository_are_followed(work: Path, tmp_path: Path) -> None:
    """Like /tmp -> /private/tmp: outside the working directory and any git working tree."""
    (tmp_path / "machine").symlink_to(work.parent, target_is_directory=True)
    assert find_symlink(tmp_path / "machine" / "work" / "real" / "users.yaml") is None


def test_a_link_inside_any_git_working_tree_is_refused(work: Path, tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    (repository / "real").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    (repository / "team").symlink_to("real", target_is_directory=True)
    assert find_symlink(repository / "team" / "users.yaml") == repository / "team"


def test_inside_guards_a_directory_that_is_no_repository_yet(tmp_path: Path) -> None:
    target = tmp_path / "new-repository"
    target.mkdir()
    (target / ".github").symlink_to(tmp_path, target_is_directory=True)
    path = target / ".github" / "workflows" / "x.yml"
    assert find_symlink(path) is None  # outside the working directory and any repository
    assert find_symlink(path, inside=target) == target / ".github"


def test_a_roster_read_at_a_revision_through_a_machine_link(tmp_path: Path) -> None:
    """The repository reached through a link above it is read at the path inside it."""
    repository = tmp_path / "repository"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    (repository / "users.yaml").write_text("version: 1\n", encoding="utf-8")
    git(repository, "add", "users.yaml")
    git(repository, "commit", "-q", "-m", "r")
    (tmp_path / "via").symlink_to(repository, target_is_directory=True)
    assert gitrev.read_at(tmp_path / "via" / "users.yaml", "main") == b"version: 1\n"
