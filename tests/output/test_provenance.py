"""Which kfroster `kfroster init` pins: read from PEP 610's direct_url.json, or refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from compiler.output import provenance
from compiler.output.provenance import Pin, Unpinnable
from tests.conftest import invoke

COMMIT = "3f1c2b9e" * 5
SHA256 = "ab" * 32


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, Pin("kfroster==1.2.3")),
        (
            {
                "url": "https://git.example.com/kfroster.git",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "v1.2.3"},
            },
            # The commit, never the tag someone could move.
            Pin(f"kfroster @ git+https://git.example.com/kfroster.git@{COMMIT}"),
        ),
        (
            {
                "url": "https://git.example.com/mono.git",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
                "subdirectory": "tools/kfroster",
            },
            Pin(
                f"kfroster @ git+https://git.example.com/mono.git@{COMMIT}#subdirectory=tools/kfroster"
            ),
        ),
        (
            {
                "url": "https://files.example.com/kfroster-1.2.3-py3-none-any.whl",
                "archive_info": {"hashes": {"sha256": SHA256, "md5": "00"}},
            },
            Pin(
                f"kfroster @ https://files.example.com/kfroster-1.2.3-py3-none-any.whl#sha256={SHA256}"
            ),
        ),
        (
            {
                "url": "https://files.example.com/kfroster-1.2.3.tar.gz",
                "archive_info": {"hash": f"sha256={SHA256}"},  # the deprecated spelling
            },
            Pin(f"kfroster @ https://files.example.com/kfroster-1.2.3.tar.gz#sha256={SHA256}"),
        ),
        (
            {"url": "https://files.example.com/kfroster.whl", "archive_info": {}},
            Pin("kfroster @ https://files.example.com/kfroster.whl"),
        ),
    ],
)
def test_the_pin_names_exactly_what_was_installed(
    direct_url: dict[str, Any] | None, expected: Pin
) -> None:
    assert provenance.from_direct_url(direct_url, "1.2.3") == expected


def test_a_file_url_is_pinned_with_a_warning_that_ci_cannot_reach_it() -> None:
    pin = provenance.from_direct_url(
        {"url": "file:///tmp/kfroster", "vcs_info": {"vcs": "git", "commit_id": COMMIT}}, "1"
    )
    assert pin.requirement == f"kfroster @ git+file:///tmp/kfroster@{COMMIT}"
    assert pin.note is not None and "CI cannot install it" in pin.note


@pytest.mark.parametrize("editable", [True, False])
def test_a_local_directory_cannot_be_pinned_for_anyone_else(editable: bool) -> None:
    record = {"url": "file:///home/me/kfroster", "dir_info": {"editable": editable}}
    with pytest.raises(Unpinnable, match="--kfroster REQUIREMENT"):
        provenance.from_direct_url(record, "1.2.3")


def test_the_development_install_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """This checkout is installed editable: init says why and writes nothing."""
    result = invoke(runner, "init", tmp_path / "new", "--flux")
    assert result.exit_code == 2
    assert "kfroster was installed from an editable install" in result.stderr
    assert "Pass --kfroster REQUIREMENT" in result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("requests==2.0", "installs requests, not kfroster"),
        ("--index-url https://evil.example.com/simple", "is not one pip requirement"),
        ("-e .", "is not one pip requirement"),
        ("kfroster==1\n--extra-index-url https://evil.example.com", "is not one pip requirement"),
        ("kfroster ==", "--kfroster:"),
    ],
)
def test_kfroster_takes_one_requirement_naming_kfroster(
    runner: CliRunner, tmp_path: Path, given: str, message: str
) -> None:
    """A requirements file line can be a pip option (another index, an editable path)."""
    result = invoke(runner, "init", tmp_path / "new", "--kfroster", given)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "new").exists()


def test_kfroster_overrides_and_lands_in_the_one_requirements_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    pin = f"KFroster @ git+https://git.example.com/kfroster.git@{COMMIT}"
    result = invoke(runner, "init", tmp_path, "--kfroster", pin)
    assert result.exit_code == 0, result.stderr
    assert f"CI and the pre-commit hooks install {pin}" in result.stderr
    text = (tmp_path / ".kfroster/requirements.txt").read_text(encoding="utf-8")
    assert text.endswith(f"\n{pin}\n")
