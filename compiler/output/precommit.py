"""Add kfroster's hooks to a repository's existing .pre-commit-config.yaml, keeping its text.

The existing file is kept byte for byte: kfroster's `repo: local` entry is inserted as text
at the end of its `repos:` list, indented like the entries already there, and the result is
read back to prove it holds exactly the old configuration plus that entry. What cannot be
merged that way (no block `repos:` list, hooks of the same ids that differ, YAML that does
not read) is left alone, and the caller prints the entry for a person to add.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

_MARK = "# kfroster: the roster's checks (written by `kfroster init`)"


@dataclass(frozen=True)
class Merged:
    """The outcome of adding kfroster's hooks to an existing configuration."""

    text: str | None  # the new text; None when nothing is to be written
    present: bool = False  # the hooks are there already, exactly
    why: str = ""  # why it was not merged (text and present both unset)


def entry(ours: str) -> str:
    """Return kfroster's `repos:` entry of its own configuration, as a block to add by hand."""
    lines = ours.splitlines()
    start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("- repo:"))
    return "\n".join(lines[start:]) + "\n"


def merge(existing: str, ours: str) -> Merged:
    """Return `existing` with kfroster's hooks (the first entry of `ours`) added, or why not."""
    try:
        document = _read(existing)
    except YAMLError as err:
        return Merged(None, why=f"it is not YAML pre-commit reads ({_first_line(err)})")
    mine = _read(ours)["repos"][0]
    if not isinstance(document, CommentedMap) or not isinstance(
        document.get("repos"), CommentedSeq
    ):
        return Merged(None, why="it has no 'repos:' list")
    repos: CommentedSeq = document["repos"]
    if repos.fa.flow_style() or not repos:
        return Merged(None, why="its 'repos:' list is not written one entry per line")
    wanted = {hook["id"]: _plain(hook) for hook in mine["hooks"]}
    found = {
        hook.get("id"): _plain(hook)
        for repo in repos
        if isinstance(repo, dict)
        for hook in repo.get("hooks") or []
        if isinstance(hook, dict) and hook.get("id") in wanted
    }
    if found == wanted:
        return Merged(None, present=True)
    if found:
        ids = ", ".join(sorted(str(hook_id) for hook_id in found))
        return Merged(None, why=f"it has hooks {ids} configured otherwise")
    merged = _insert(existing, document, repos, entry(ours))
    if merged is None:
        return Merged(None, why="the entry could not be placed at the end of 'repos:'")
    # Proof: the same configuration as before, plus exactly kfroster's entry.
    after = _plain(_read(merged))
    before = _plain(document)
    if after.get("repos") != [*before["repos"], _plain(mine)] or {
        key: value for key, value in after.items() if key != "repos"
    } != {key: value for key, value in before.items() if key != "repos"}:
        return Merged(None, why="adding the entry as text would change what the file says")
    return Merged(merged)


def _insert(text: str, document: CommentedMap, repos: CommentedSeq, block: str) -> str | None:
    """Insert `block` (indented for a dash at column 2) after the last entry of `repos`."""
    lines = text.splitlines(keepends=True)
    first_line: int = repos.lc.item(0)[0]
    dash = lines[first_line].find("-")
    if dash < 0 or lines[first_line][:dash].strip():
        return None
    shift = dash - 2
    moved = []
    for line in block.splitlines():
        if shift < 0 and line[:-shift].strip():
            return None
        moved.append((" " * shift + line if shift >= 0 else line[-shift:]) + "\n")
    # Where the list ends: before the next top-level key, or at the end of the file.
    keys = list(document)
    after = keys.index("repos") + 1
    end: int = document.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    # Comments and blank lines right above the next key belong to it.
    while end > first_line and (not lines[end - 1].strip() or lines[end - 1].lstrip()[:1] == "#"):
        end -= 1
    head = "".join(lines[:end])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + " " * max(dash, 0) + _MARK + "\n" + "".join(moved) + "".join(lines[end:])


def _read(text: str) -> Any:
    return YAML().load(text)


def _plain(node: Any) -> Any:
    """Return a YAML node as plain dicts, lists and scalars, for comparison."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
