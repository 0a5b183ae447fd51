"""Turn a plan into the chosen format, and write it where it was asked for."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from compiler.plan.json_plan import render_json
from compiler.plan.markdown import DEFAULT_MAX_CHARS, render_markdown
from compiler.plan.model import Plan
from compiler.plan.text import render_text
from compiler.terminal import PLAIN, Palette


def render(
    plan: Plan,
    plan_format: str,
    *,
    palette: Palette = PLAIN,
    max_chars: int = DEFAULT_MAX_CHARS,
    command: str = "kfroster diff",
) -> str:
    """Render the plan as text (coloured by palette), Markdown (within max_chars) or JSON."""
    if plan_format == "markdown":
        return render_markdown(plan, max_chars=max_chars, command=command)
    if plan_format == "json":
        return render_json(plan)
    return render_text(plan, palette=palette)


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; give a new one what open() would (0o666 less umask)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename: readers never see half."""
    directory = path.parent if str(path.parent) else Path()
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(_mode_for(path))
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
