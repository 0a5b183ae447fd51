"""Run git in a test repository: a fixed identity and none of the machine's git configuration."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# The machine's ~/.gitconfig (signing, hooks, default branch) must not change what a test sees.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(repo: Path, *args: str) -> str:
    """Run `git -C repo ARGS...`; return its stdout (a failure raises CalledProcessError)."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout
