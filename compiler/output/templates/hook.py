"""Run kfroster for this repository's pre-commit hooks: `python .kfroster/hook.py COMMAND ...`.

The kfroster it runs is the one requirements.txt beside this file pins, the same file CI
installs from: one place says which kfroster checks this roster. pre-commit keys a hook's
environment on its configuration, not on a file's content, so this script installs that
requirement into the hook's environment itself, and again whenever the file changes.
Written by `kfroster init`; it needs only Python's standard library.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().with_name("requirements.txt")
# Inside the hook's environment: what was installed there, by the digest of the file.
MARKER = Path(sys.prefix) / "kfroster-requirements.sha256"


def install(digest: str) -> None:
    """Install the pinned kfroster into this environment, replacing any other."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    # pip keeps an installed kfroster of the same version, whatever commit it came from.
    subprocess.run([*pip, "uninstall", "--yes", "kfroster"], check=False, capture_output=True)
    done = subprocess.run([*pip, "install", "--requirement", str(REQUIREMENTS)], check=False)
    if done.returncode != 0:
        sys.exit(f"kfroster hook: could not install {REQUIREMENTS} (pip exit {done.returncode})")
    MARKER.write_text(digest + "\n", encoding="utf-8")


def main(arguments: list[str]) -> int:
    # It installs into the Python that runs it: only the environment pre-commit made for the
    # hook (pre-commit sets PRE_COMMIT=1 for hooks; run.py L417 at pre-commit v4.7.0).
    if os.environ.get("PRE_COMMIT") != "1" or sys.prefix == sys.base_prefix:
        sys.exit("kfroster hook: runs only as a pre-commit hook (it installs into its Python)")
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not MARKER.is_file() or MARKER.read_text(encoding="utf-8").strip() != digest:
        install(digest)
    kfroster = shutil.which("kfroster", path=str(Path(sys.executable).parent))
    if kfroster is None:
        sys.exit(f"kfroster hook: {REQUIREMENTS} installed no kfroster command")
    return subprocess.run([kfroster, *arguments], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
