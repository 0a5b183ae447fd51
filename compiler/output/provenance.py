"""Which kfroster is running, as a pip requirement that installs exactly it on another machine.

`kfroster init` pins the scaffold's CI and pre-commit hooks to it, so out/ is checked by the
kfroster that compiled it. How it was installed comes from PEP 610's direct_url.json in the
installed distribution's metadata (https://packaging.python.org/en/latest/specifications/
direct-url-data-structure/): a VCS checkout at a commit, an archive (with its hash when the
installer recorded one), or a local directory; without direct_url.json it came from an index.
A local directory (editable or not) names nothing another machine can install.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

import compiler
from compiler.problems import CompilerError

DISTRIBUTION = "kfroster"


class Unpinnable(CompilerError):
    """The running kfroster cannot be named as a requirement another machine installs."""


@dataclass(frozen=True)
class Pin:
    """A pip requirement line for kfroster, and what its reader should know about it."""

    requirement: str
    note: str | None = None  # e.g. a file: URL that resolves on this machine only


def running() -> Pin:
    """Return the requirement that installs the kfroster running now; raise Unpinnable."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise Unpinnable(_unpinnable("kfroster runs from source, not installed")) from None
    text = distribution.read_text("direct_url.json")
    pin = from_direct_url(None if text is None else json.loads(text), distribution.version)
    # An installed kfroster shadowed by a source tree on sys.path would describe other code.
    located = Path(str(distribution.locate_file("compiler/__init__.py")))
    if not _same_file(located, Path(compiler.__file__)):
        raise Unpinnable(_unpinnable(f"kfroster runs from {Path(compiler.__file__).parent.parent}"))
    return pin


def from_direct_url(direct_url: dict[str, Any] | None, version: str) -> Pin:
    """Return the requirement for a kfroster installed as PEP 610 `direct_url` records it
    (None: from a package index, at `version`); raise Unpinnable for a local directory."""
    if direct_url is None:
        return Pin(f"{DISTRIBUTION}=={version}")
    url = str(direct_url.get("url", ""))
    subdirectory = direct_url.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    if "dir_info" in direct_url:
        how = "an editable install" if direct_url["dir_info"].get("editable") else "a directory"
        raise Unpinnable(_unpinnable(f"kfroster was installed from {how} ({url})"))
    if "vcs_info" in direct_url:
        vcs = direct_url["vcs_info"]
        pinned = f"{vcs['vcs']}+{url}@{vcs['commit_id']}{fragment}"
    elif "archive_info" in direct_url:
        digest = _archive_hash(direct_url["archive_info"])
        if digest is not None:
            fragment = f"#{digest}" + (f"&subdirectory={subdirectory}" if subdirectory else "")
        pinned = urlunsplit(urlsplit(url)._replace(fragment="")) + fragment
    else:
        raise Unpinnable(_unpinnable(f"unknown install record for {url}"))
    note = None
    if urlsplit(url).scheme == "file":
        note = (
            f"{url} is a path on this machine: CI cannot install it; "
            "pass --kfroster with a requirement CI can reach"
        )
    return Pin(f"{DISTRIBUTION} @ {pinned}", note)


def checked(requirement: str) -> str:
    """Return a --kfroster requirement, or raise ValueError for one that is not one pip
    requirement naming kfroster (a line of a requirements file can also be a pip option)."""
    text = requirement.strip()
    if "\n" in text or "\r" in text or text.startswith("-"):
        raise ValueError(f"--kfroster: {requirement!r} is not one pip requirement")
    try:
        parsed = Requirement(text)
    except InvalidRequirement as err:
        raise ValueError(f"--kfroster: {err}") from None
    if canonicalize_name(parsed.name) != DISTRIBUTION:
        raise ValueError(f"--kfroster: {text!r} installs {parsed.name}, not kfroster")
    return text


def _archive_hash(archive: dict[str, Any]) -> str | None:
    """Return `name=hex` of the strongest hash recorded for an archive, if any."""
    hashes = dict(archive.get("hashes") or {})
    legacy = archive.get("hash")  # "<algorithm>=<hex>", deprecated by `hashes`
    if isinstance(legacy, str) and "=" in legacy:
        name, value = legacy.split("=", 1)
        hashes.setdefault(name, value)
    for name in ("sha512", "sha384", "sha256"):
        if name in hashes:
            return f"{name}={hashes[name]}"
    return None


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve() and first.is_file()
    except OSError:
        return False


def _unpinnable(why: str) -> str:
    return (
        f"{why}: another machine cannot install the same kfroster, so the scaffold's CI and "
        "pre-commit hooks cannot be pinned to it. Pass --kfroster REQUIREMENT (e.g. "
        '"kfroster @ git+https://git.example.com/kfroster.git@<full commit>"), or run '
        "init from a kfroster installed from Git, a wheel or a package index"
    )
