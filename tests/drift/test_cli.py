"""`kfroster drift` on the command line: streams, exit codes, --fail-on, formats, budgets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compiler import cli
from compiler.drift.present import FORMAT, MARKER
from tests.conftest import invoke
from tests.drift.test_drift import ROSTER, dump, in_sync
from tests.fake_cluster import cluster_role_binding, contributor, role_binding, user


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A roster, a cluster in sync with it, and the same cluster with drift of every severity."""
    roster = tmp_path / "users.yaml"
    roster.write_text(ROSTER, encoding="utf-8")
    clean = tmp_path / "clean.json"
    clean.write_text(dump(in_sync(ROSTER), "json"), encoding="utf-8")
    drifted = tmp_path / "drifted.yaml"
    manifests = [
        *in_sync(ROSTER),
        cluster_role_binding("eve-admin", "cluster-admin", user("eve@example.com")),
        *contributor("mallory@example.com", namespace="team"),
    ]
    drifted.write_text(dump(manifests), encoding="utf-8")
    return {"roster": roster, "clean": clean, "drifted": drifted}


def test_in_sync_exits_0_with_the_report_on_stdout(
    runner: CliRunner, files: dict[str, Path]
) -> None:
    result = invoke(runner, "drift", files["clean"], "--roster", files["roster"])
    assert result.exit_code == 0
    assert "Drift: none (0 granted, 0 missing, 0 changed, 0 unmanaged, 2 info)." in result.stdout
    assert result.stderr == ""


def test_drift_exits_1(runner: CliRunner, files: dict[str, Path]) -> None:
    result = invoke(runner, "drift", files["drifted"], "--roster", files["roster"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[4].startswith("CRITICAL granted   ")


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        ("granted", 1),
        ("missing", 0),
        ("granted:critical", 1),
        ("unmanaged:high,missing", 0),
        ("critical", 1),
        ("CRITICAL , missing", 1),
        ("changed:warning", 0),
    ],
)
def test_fail_on_selects_what_fails(
    runner: CliRunner, files: dict[str, Path], fail_on: str, code: int
) -> None:
    result = invoke(
        runner, "drift", files["drifted"], "--roster", files["roster"], "--fail-on", fail_on
    )
    assert result.exit_code == code


def test_fail_on_a_high_threshold_passes_a_warning(
    runner: CliRunner, files: dict[str, Path], tmp_path: Path
) -> None:
    # A grant the roster makes anyway (a second binding for bob) is only a warning.
    manifests = [
        *in_sync(ROSTER),
        role_binding("bob-too", "kubeflow-view", user("bob@example.com")),
    ]
    duplicate = tmp_path / "duplicate.yaml"
    duplicate.write_text(dump(manifests), encoding="utf-8")
    args = ("drift", duplicate, "--roster", files["roster"])
    assert invoke(runner, *args).exit_code == 1
    assert invoke(runner, *args, "--fail-on", "high").exit_code == 0
    assert invoke(runner, *args, "--fail-on", "warning").exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "info"], "unknown threshold 'info'"),
        (["--fail-on", "privilege"], "unknown threshold 'privilege'"),
        (["--fail-on", ","], "unknown threshold ''"),
        (["--adopt", "--revoke"], "choose --adopt or --revoke"),
        (["--format", "yaml"], "'yaml' is not a format of the drift report"),
    ],
)
def test_usage_errors_exit_2(
    runner: CliRunner, files: dict[str, Path], args: list[str], message: str
) -> None:
    result = invoke(runner, "drift", files["clean"], "--roster", files["roster"], *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_unreadable_input_exits_2_with_its_problem_on_stderr(
    runner: CliRunner, files: dict[str, Path], tmp_path: Path
) -> None:
    result = invoke(runner, "drift", tmp_path / "absent.yaml", "--roster", files["roster"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "absent.yaml:1:1: error: cannot read: No such file or directory [import-unreadable]" in (
        result.stderr
    )


def test_a_roster_with_errors_exits_2(
    runner: CliRunner, files: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(ROSTER.replace("owner: alice", "owner: nobody"), encoding="utf-8")
    result = invoke(runner, "drift", files["clean"], "--roster", broken)
    assert result.exit_code == 2
    assert "broken.yaml:" in result.stderr and "error" in result.stderr
    assert result.stdout == ""


def test_stdin_is_read_for_a_dash(runner: CliRunner, files: dict[str, Path]) -> None:
    text = files["drifted"].read_text(encoding="utf-8")
    result = invoke(runner, "drift", "-", "--roster", files["roster"], input=text)
    assert result.exit_code == 1
    assert "<stdin>:" in result.stdout


def test_json_is_a_stable_document(runner: CliRunner, files: dict[str, Path]) -> None:
    first = invoke(runner, "drift", files["drifted"], "--roster", files["roster"], "-f", "json")
    again = invoke(runner, "drift", files["drifted"], "--roster", files["roster"], "-f", "json")
    assert first.stdout == again.stdout
    document = json.loads(first.stdout)
    assert document["format"] == FORMAT == "kfroster-drift/1"
    assert document["drift"] is True
    assert document["summary"] == {
        "granted": 2,
        "missing": 0,
        "changed": 0,
        "unmanaged": 0,
        "info": 2,
    }
    assert [e["severity"] for e in document["entries"]] == ["critical", "high", "info", "info"]
    mallory = document["entries"][1]
    assert mallory["adoption"] == {
        "kind": "contributor",
        "email": "mallory@example.com",
        "profile": "team",
        "role": "edit",
    }
    assert mallory["roster"] == {"path": ["profiles", 0], "line": 9, "col": 5}


def test_the_markdown_report_fits_one_comment_most_severe_first(
    runner: CliRunner, files: dict[str, Path], tmp_path: Path
) -> None:
    # 3,000 people granted outside the roster: far more than one comment holds.
    manifests = in_sync(ROSTER)
    for number in range(3000):
        manifests += contributor(f"person{number:04d}@example.com", namespace="team")
    manifests.append(cluster_role_binding("eve-admin", "cluster-admin", user("eve@example.com")))
    big = tmp_path / "big.json"
    big.write_text(dump(manifests, "json"), encoding="utf-8")
    result = invoke(runner, "drift", big, "--roster", files["roster"], "--format", "markdown")
    assert result.exit_code == 1
    text = result.stdout
    assert len(text) <= 65_536
    assert text.splitlines()[0] == MARKER
    assert text.index("eve@example.com") < text.index("person0000@example.com")
    assert "✂️ Cut to fit in a comment:" in text and "drift entries not shown" in text
    smaller = invoke(
        runner, "drift", big, "--roster", files["roster"], "-f", "markdown", "--max-chars", "5000"
    )
    assert len(smaller.stdout) <= 5000
    assert "eve@example.com" in smaller.stdout


def test_github_annotations_point_at_the_dump(runner: CliRunner, files: dict[str, Path]) -> None:
    result = invoke(runner, "drift", files["drifted"], "--roster", files["roster"], "-f", "github")
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"::error file={files['drifted']},line=")
    assert "title=kfroster drift%3A granted (critical)::User eve@example.com" in first


@pytest.mark.parametrize(("dump_name", "code"), [("clean", 0), ("drifted", 1)])
def test_the_installed_command_flushes_everything_before_it_ends_the_process(
    runner: CliRunner, files: dict[str, Path], tmp_path: Path, dump_name: str, code: int
) -> None:
    # `kfroster drift` ends with os._exit (the cluster it read is never freed): whatever it
    # wrote to the pipes must still all arrive, with drift's exit code.
    manifests = [
        *in_sync(ROSTER),
        *(
            cluster_role_binding(f"view-{n}", "kubeflow-view", user(f"u{n}@example.com"))
            for n in range(300 if dump_name == "drifted" else 0)
        ),
    ]
    dumped = tmp_path / "dumped.yaml"
    dumped.write_text(dump(manifests), encoding="utf-8")
    args = ["drift", str(dumped), "--roster", str(files["roster"]), "--format", "json"]
    if dump_name == "drifted":
        args += ["--max-chars", "2000000"]
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        capture_output=True,
        text=True,
        check=False,
        env=buffered,
    )
    expected = invoke(runner, *args)
    assert cli._HELD_UNTIL_EXIT == []  # in a process that goes on, nothing is held
    assert (done.returncode, expected.exit_code) == (code, code)
    assert len(done.stdout) > (65_536 if dump_name == "drifted" else 0)  # more than a pipe holds
    assert done.stdout == expected.stdout
    assert done.stderr == expected.stderr
