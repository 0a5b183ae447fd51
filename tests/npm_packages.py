"""Install a test's pinned npm packages from its lock file, once, the same way for every checker."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def npm_ci(directory: Path, needed_for: str) -> None:
    """Run `npm ci` in directory unless its lock file is installed already."""
    if (directory / "node_modules" / ".package-lock.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"{needed_for} needs Node.js and npm ({directory.name}/)")
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=directory,
        check=True,
    )
