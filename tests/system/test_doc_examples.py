"""The shell examples of README.md and docs/ are true: the offline ones run, as shown.

The convention (docs/development.md, "Tested examples"): every shell block (```sh,
```console, ```shell, ```bash, or any block whose first line is a `$ ` command) says in
its info string whether it runs `offline` (no cluster, no network: this test runs it) or
is `illustrative` (it needs a cluster, the network or a GitHub runner: nobody runs it
here). In an offline block, a line starting `$ ` is a command (continued by a trailing
backslash or a here-document) and the lines after it are what it prints, stdout and
stderr together; a line holding only `…` stands for any number of lines, and `…` inside
a line for any text on that line. A ```diff offline block is a change the reader makes:
it is applied with `git apply` where the previous commands left the shell.

Each document runs in one shell, block after block (a `cd` lasts into the next block, as
in a reader's terminal), in a scratch directory holding copies of the bundled users.yaml,
schemas/, out/ and tests/cases/, with this environment's kfroster first on PATH. It is no
Git repository: an example that needs one makes it.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler import pipeline

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
SHELLS = frozenset({"sh", "console", "shell", "bash"})
MARKS = frozenset({"offline", "illustrative"})
# What the scratch repository holds: the files the examples name.
SCRATCH_COPIES = ("users.yaml", "schemas", "out", "tests/cases")
_FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>[A-Za-z_]+)\1")
_ELLIPSIS = "…"
# Separates the output of one command from the next in the shell's combined output.
_SEPARATOR = "\x1e"


@dataclass(frozen=True)
class Block:
    """One fenced block of a document: its language, marks, text and first line."""

    path: Path
    line: int
    language: str
    marks: frozenset[str]
    body: str

    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


@dataclass(frozen=True)
class Step:
    """A command of an offline block, or a diff to apply, and the output it must print."""

    block: Block
    command: str
    expected: tuple[str, ...]


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        words = match["info"].split()
        language = words[0] if words else ""
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(path, line, language, frozenset(words[1:]), match["body"]))
    return found


def is_shell(block: Block) -> bool:
    """A shell block, or one that shows a shell session whatever its language says."""
    return block.language in SHELLS or block.body.startswith("$ ")


def shell_blocks() -> list[Block]:
    return [b for path in DOCUMENTS for b in blocks(path) if is_shell(b)]


def steps(block: Block) -> list[Step]:
    """Split an offline block into commands and their shown output."""
    if block.language == "diff":
        patch = block.body
        return [Step(block, f"git apply <<'KFROSTER_PATCH'\n{patch}KFROSTER_PATCH", ())]
    found: list[Step] = []
    lines = block.body.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        assert line.startswith("$ "), f"{block.where()}: output before any command: {line!r}"
        command = [line[2:]]
        index += 1
        while command[-1].endswith("\\") and index < len(lines):
            command.append(lines[index])
            index += 1
        heredoc = _HEREDOC.search(command[0])
        if heredoc:
            while index < len(lines):
                command.append(lines[index])
                index += 1
                if command[-1] == heredoc["word"]:
                    break
        output = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        found.append(Step(block, "\n".join(command), tuple(output)))
    return found


def pattern(expected: tuple[str, ...]) -> re.Pattern[str]:
    """A regular expression for shown output: `…` elides lines or text within a line."""
    parts = []
    for line in expected:
        if line.strip() == _ELLIPSIS:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            text = "[^\n]*?".join(re.escape(piece) for piece in line.rstrip().split(_ELLIPSIS))
            parts.append(text + r"\n")
    return re.compile("".join(parts), re.S)


def normalised(output: str) -> str:
    lines = [line.rstrip() for line in output.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def scratch_repository(root: Path) -> dict[str, str]:
    """Fill ROOT with the bundled files and return the examples' environment."""
    for name in SCRATCH_COPIES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    home = root.parent / "home"
    home.mkdir()
    return {
        "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "NO_COLOR": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Docs Example",
        "GIT_AUTHOR_EMAIL": "docs@example.com",
        "GIT_COMMITTER_NAME": "Docs Example",
        "GIT_COMMITTER_EMAIL": "docs@example.com",
    }


def run_steps(all_steps: list[Step], root: Path, env: dict[str, str]) -> list[str]:
    """Run every step in one shell, in order; return each step's combined output."""
    script = ["exec 2>&1"]
    for number, step in enumerate(all_steps):
        script.append(f"printf '{_SEPARATOR}%s\\n' {number}")
        script.append(step.command)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "\n".join(script) + "\n"],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    chunks = done.stdout.split(_SEPARATOR)[1:]
    assert len(chunks) == len(all_steps), done.stdout[-2000:]
    return [chunk.split("\n", 1)[1] if "\n" in chunk else "" for chunk in chunks]


def offline_documents() -> list[Path]:
    return [p for p in DOCUMENTS if any("offline" in b.marks for b in blocks(p))]


def test_every_shell_example_says_whether_it_runs_offline() -> None:
    unmarked = [b.where() for b in shell_blocks() if len(b.marks & MARKS) != 1]
    assert unmarked == [], "mark each shell block `offline` or `illustrative`"
    assert [b.where() for b in shell_blocks() if "offline" in b.marks]


@pytest.mark.parametrize("path", offline_documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_offline_examples_print_what_they_show(path: Path, tmp_path: Path) -> None:
    root = tmp_path / "repository"
    root.mkdir()
    env = scratch_repository(root)
    offline = [b for b in blocks(path) if "offline" in b.marks]
    assert all(b.language in SHELLS | {"diff"} for b in offline), [b.where() for b in offline]
    all_steps = [step for block in offline for step in steps(block)]
    outputs = run_steps(all_steps, root, env)
    wrong = []
    for step, output in zip(all_steps, outputs, strict=True):
        actual = normalised(output)
        if not pattern(step.expected).fullmatch(actual):
            shown = "".join(line + "\n" for line in step.expected)
            diff = difflib.unified_diff(
                shown.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                "shown",
                "printed",
            )
            wrong.append(f"{step.block.where()}: $ {step.command}\n{''.join(diff)}")
    assert wrong == [], "\n".join(wrong)


def test_the_roster_reference_is_a_valid_roster() -> None:
    """docs/roster.md shows every key in one roster: it must pass validation."""
    [reference, *_] = [b for b in blocks(REPO / "docs" / "roster.md") if b.language == "yaml"]
    checked = pipeline.check_text(reference.body, "users.yaml")
    errors = [p for p in checked.problems if p.level == "error"]
    assert checked.roster is not None
    assert errors == []
