"""Issue 12, items 1, 2, 6 and 7, attacked the way a pull-request author would attack them.

Each test builds a real git repository (branches, tags, a submodule where the attack needs
one), makes the pull request the issue describes, and runs kfroster on it as CI does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from compiler import pipeline
from compiler.output import tree
from tests.conftest import CASES, REPO, invoke
from tests.gitrepo import git

BIN = Path(sys.executable).parent
ADMIN_ROSTER = CASES / "cluster-roles" / "users.yaml"


def compile_out(roster: Path, out: Path) -> None:
    """Write out/ as `kfroster compile` would for roster (its file name goes in the header)."""
    tree.write_tree(pipeline.compile_roster(roster).files, out)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """main: the example roster with its out/, and an innocent-looking second roster merged
    earlier in team/ (step one of the attack); the working directory is the repository."""
    root = tmp_path / "roster-repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shutil.copy(REPO / "users.yaml", root / "users.yaml")
    (root / "team").mkdir()
    shutil.copy(ADMIN_ROSTER, root / "team" / "users.yaml")
    compile_out(root / "users.yaml", root / "out")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "roster")
    git(root, "switch", "-q", "-c", "pull-request")
    monkeypatch.chdir(root)
    yield root


def one_line_error(result: Result, *needles: str) -> str:
    """Return the one stderr line holding every needle; fail when there is not exactly one."""
    lines = [line for line in result.stderr.splitlines() if all(n in line for n in needles)]
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- item 1: a symlink makes the check and the plan read different files ----------------------


def test_a_roster_symlinked_to_another_roster_is_refused_by_every_command(
    repo: Path, runner: CliRunner
) -> None:
    """Step two: users.yaml points at team/users.yaml, out/ compiled from it, committed.

    Before: `compile --check` passed and `diff --base main --fail-on privilege,data,owner`
    said "No risks. No changes.": the base side read team/users.yaml at main.
    """
    (repo / "users.yaml").unlink()
    (repo / "users.yaml").symlink_to("team/users.yaml")
    compile_out(repo / "team" / "users.yaml", repo / "out")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Tidy up: one roster")

    diff = invoke(
        runner, "diff", "--base", "main", "users.yaml", "--fail-on", "privilege,data,owner"
    )
    assert diff.exit_code == 2, diff.stdout
    assert diff.stdout == ""
    assert one_line_error(diff, "users.yaml", "is a symlink").startswith("error: ")
    for args in (
        ["validate", "users.yaml"],
        ["compile", "users.yaml", "--check"],
        ["compile", "users.yaml"],
        ["explain", "root", "users.yaml"],
        ["deploy", "--flux", "users.yaml", "--check"],
    ):
        result = invoke(runner, *args)
        assert result.exit_code == 1, args
        line = one_line_error(result, "is a symlink")
        assert line.startswith("users.yaml:1:1: error: the roster is a symlink"), args
        assert line.endswith("[file-symlink]")
    assert (repo / "out").is_dir() and not (repo / "deploy").exists()


def test_a_directory_symlink_on_the_way_to_the_roster_is_refused(
    repo: Path, runner: CliRunner
) -> None:
    (repo / "kubeflow").symlink_to("team", target_is_directory=True)
    for args in (
        ["validate", "kubeflow/users.yaml"],
        ["compile", "kubeflow/users.yaml", "--check"],
    ):
        result = invoke(runner, *args)
        assert result.exit_code == 1
        line = one_line_error(result, "kubeflow/users.yaml:1:1: error:")
        assert "kubeflow (on the way to the roster) is a symlink" in line
    result = invoke(runner, "diff", "--base", "main", "kubeflow/users.yaml")
    assert result.exit_code == 2
    one_line_error(result, "kubeflow (on the way to the roster) is a symlink")


def test_an_out_directory_reached_through_a_symlink_is_refused(
    repo: Path, runner: CliRunner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / "build").symlink_to(elsewhere, target_is_directory=True)
    for args in (
        ["compile", "users.yaml", "--out", "build/out"],
        ["compile", "users.yaml", "--out", "build/out", "--check"],
        ["deploy", "--flux", "users.yaml", "--out", "build/deploy"],
    ):
        result = invoke(runner, *args)
        assert result.exit_code == 1, args
        line = one_line_error(result, "is a symlink")
        assert line.startswith("error: build/") and "build (on the way to" in line
    assert list(elsewhere.iterdir()) == []


def test_a_symlink_at_the_base_revision_is_refused_not_followed(
    repo: Path, runner: CliRunner
) -> None:
    """The base's users.yaml is a symlink blob: git would hand over the target's path."""
    git(repo, "switch", "-q", "main")
    (repo / "users.yaml").unlink()
    (repo / "users.yaml").symlink_to("team/users.yaml")
    git(repo, "commit", "-q", "-am", "point at team/")
    git(repo, "switch", "-q", "-c", "repair")
    (repo / "users.yaml").unlink()
    shutil.copy(ADMIN_ROSTER, repo / "users.yaml")
    result = invoke(runner, "diff", "--base", "main", "users.yaml")
    assert result.exit_code == 2
    assert one_line_error(result, "users.yaml", "is a symlink at main")


def test_import_never_writes_through_a_symlink(
    repo: Path, runner: CliRunner, tmp_path: Path
) -> None:
    dump = CASES / "import" / "hand-made" / "cluster.yaml"
    target = tmp_path / "victim.yaml"
    target.write_text("kept\n", encoding="utf-8")
    (repo / "imported.yaml").symlink_to(target)
    result = invoke(runner, "import", dump, "--output", "imported.yaml", "--force")
    assert result.exit_code == 1
    one_line_error(result, "imported.yaml", "is a symlink")
    assert target.read_text(encoding="utf-8") == "kept\n"


@pytest.mark.parametrize(
    "content",
    [
        "https://mallory:ghp_0123456789abcdefghijklmnopqrstuvwxyz@github.com\n",  # git
        "machine github.com login mallory password ghp_0123456789abcdefghij\n",  # netrc
        "-----BEGIN OPENSSH PRIVATE KEY-----\nghp_0123456789\n-----END OPENSSH PRIVATE KEY-----\n",
        "apiVersion: v1\nusers:\n- name: admin\n  user: {token: ghp_0123456789}\n",  # kubeconfig
        'password: "ghp_0123456789\n',  # a syntax error inside the secret
    ],
)
def test_a_file_that_is_not_a_roster_is_not_echoed(
    repo: Path, runner: CliRunner, content: str
) -> None:
    """A credential file read as a roster: the errors describe it, never repeat the secret."""
    (repo / "credentials").write_text(content, encoding="utf-8")
    for output_format in ("text", "github", "json"):
        result = invoke(runner, "validate", "--format", output_format, "credentials")
        assert result.exit_code == 1
        assert "ghp_" not in result.stdout + result.stderr


# --- item 2: a tag can replace the base --------------------------------------------------------


@pytest.fixture
def ci_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A pull request that adds a cluster admin, cloned as CI clones it, after its author
    pushed a tag named `origin/main` at the pull request's own commit."""
    origin, author, ci = tmp_path / "origin.git", tmp_path / "author", tmp_path / "ci"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(author))
    git(author, "switch", "-q", "-c", "main")
    (author / "users.yaml").write_text(ADMIN_ROSTER.read_text(encoding="utf-8"))
    git(author, "add", "-A")
    git(author, "commit", "-q", "-m", "roster")
    git(author, "push", "-q", "origin", "main")
    git(author, "switch", "-q", "-c", "pull-request")
    roster = author / "users.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8")
        + "  - {name: mallory, email: mallory@example.com, clusterRole: admin}\n"
    )
    git(author, "commit", "-q", "-am", "Fix a typo")
    git(author, "push", "-q", "origin", "pull-request")
    git(author, "tag", "origin/main")
    git(author, "push", "-q", "origin", "origin/main")
    git(tmp_path, "clone", "-q", "--branch", "pull-request", str(origin), str(ci))
    monkeypatch.chdir(ci)
    yield ci


def test_a_tag_named_like_the_base_branch_is_refused(ci_clone: Path, runner: CliRunner) -> None:
    """Before: the tag won git's lookup, the plan compared the pull request with itself."""
    assert git(ci_clone, "rev-parse", "origin/main") == git(ci_clone, "rev-parse", "HEAD")
    result = invoke(runner, "diff", "--base", "origin/main", "--fail-on", "privilege")
    assert result.exit_code == 2, result.stdout
    line = one_line_error(result, "'origin/main' is ambiguous")
    assert "refs/tags/origin/main" in line and "refs/remotes/origin/main" in line
    assert result.stdout == ""

    qualified = invoke(
        runner, "diff", "--base", "refs/remotes/origin/main", "--fail-on", "privilege"
    )
    assert qualified.exit_code == 1
    assert "mallory" in qualified.stdout and "No changes." not in qualified.stdout


def test_a_full_ref_name_is_read_exactly_never_guessed(ci_clone: Path, runner: CliRunner) -> None:
    """A tag named refs/remotes/origin/x must not stand in for a branch not fetched."""
    git(ci_clone, "tag", "refs/remotes/origin/release")
    result = invoke(runner, "diff", "--base", "refs/remotes/origin/release")
    assert result.exit_code == 2
    one_line_error(result, "unknown git revision 'refs/remotes/origin/release'")


# --- item 6: files the engine applies escape the check ------------------------------------------


def entries(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every name under root but .git: mode, inode and mtime, read without following links."""
    found = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts:
            continue
        info = path.lstat()
        found[path.relative_to(root).as_posix()] = (info.st_mode, info.st_ino, info.st_mtime_ns)
    return found


@pytest.fixture
def committed(repo: Path) -> Path:
    """The roster repository with nothing but its roster, out/ and team/ committed."""
    shutil.rmtree(repo / "team")
    git(repo, "commit", "-q", "-am", "one roster")
    return repo


def test_a_submodule_under_out_is_foreign(committed: Path, tmp_path: Path) -> None:
    """Argo CD initialises submodules and applies their files; a fresh clone shows an empty
    directory. Before: `compile --check` passed in the clone."""
    extra = tmp_path / "extra"
    extra.mkdir()
    git(extra, "init", "-q", "-b", "main")
    binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
    (extra / "admin.yaml").write_text(binding, encoding="utf-8")
    git(extra, "add", "-A")
    git(extra, "commit", "-q", "-m", "binding")
    git(
        committed,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(extra),
        "out/extra",
    )
    git(committed, "commit", "-q", "-m", "Vendor a dashboard")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--branch", "pull-request", str(committed), str(clone))
    assert list((clone / "out" / "extra").iterdir()) == []
    before = entries(clone)
    for args, code in ((["--check"], 1), ([], 1)):
        done = subprocess.run(
            [str(BIN / "kfroster"), "compile", "users.yaml", *args],
            cwd=clone,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == code, done.stderr
        assert "out/extra/" in done.stderr
    assert entries(clone) == before

    git(clone, "-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init")
    done = subprocess.run(
        [str(BIN / "kfroster"), "compile", "users.yaml", "--check"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "foreign  out/extra/" in done.stderr


def test_check_never_restores_a_moved_out_and_fails(committed: Path, runner: CliRunner) -> None:
    """`git mv out .out.kfroster-old`: before, --check renamed it back and said up to date."""
    git(committed, "mv", "out", ".out.kfroster-old")
    git(committed, "commit", "-q", "-m", "Move the manifests")
    before = entries(committed)
    result = invoke(runner, "compile", "users.yaml", "--check")
    assert result.exit_code == 1
    assert entries(committed) == before
    assert not (committed / "out").exists()
    line = one_line_error(result, ".out.kfroster-old")
    assert "out/ is missing" in line and "kfroster compile" in line
    deploy = invoke(runner, "deploy", "--flux", "users.yaml", "--out", "out", "--check")
    assert deploy.exit_code == 1
    assert entries(committed) == before


def test_compile_puts_a_moved_out_back_and_writes_it(committed: Path, runner: CliRunner) -> None:
    """What the check's message tells a user to do restores out/ and then compiles it."""
    git(committed, "mv", "out", ".out.kfroster-old")
    assert invoke(runner, "compile", "users.yaml").exit_code == 0
    assert invoke(runner, "compile", "users.yaml", "--check").exit_code == 0
    assert not (committed / ".out.kfroster-old").exists()


def test_an_empty_directory_in_out_is_foreign_and_never_deleted(
    committed: Path, runner: CliRunner
) -> None:
    (committed / "out" / "vendor" / "empty").mkdir(parents=True)
    check = invoke(runner, "compile", "users.yaml", "--check")
    assert check.exit_code == 1
    assert "  foreign  out/vendor/" in check.stderr.splitlines()
    write = invoke(runner, "compile", "users.yaml")
    assert write.exit_code == 1
    assert (committed / "out" / "vendor" / "empty").is_dir()
