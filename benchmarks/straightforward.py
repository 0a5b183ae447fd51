"""The straightforward way to do kfroster's work, as the baseline of benchmarks/run.py.

ruamel.yaml's round-trip `YAML()` loads the roster, Pydantic validates it, kfroster's
own renderers build the same manifests, and the round-trip dumper writes every file
again on every run (it has no way to tell what changed), then deletes stale files.
The diff loads, renders and compares both rosters. Only the YAML layer and the
incremental writing differ from kfroster, so the ratio measures exactly those.

    python benchmarks/straightforward.py validate ROSTER
    python benchmarks/straightforward.py compile ROSTER OUT
    python benchmarks/straightforward.py diff OLD NEW
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruamel.yaml import YAML

from compiler.model.keys import Manifest
from compiler.model.roster import Roster
from compiler.render import render_all


def load(path: Path) -> Roster:
    """Load a roster with the round-trip loader and validate it with the models."""
    data = YAML().load(path.read_text(encoding="utf-8"))
    return Roster.model_validate(data)


def write(files: dict[str, tuple[Manifest, ...]], out: Path, roster_name: str) -> None:
    """Write every file again with the round-trip dumper, then delete the stale ones.

    Files are overwritten in place rather than under a deleted out/: on ext4 without a
    journal, creating files soon after deleting as many is slow (see run.py's
    measure_cold), which would flatter kfroster's ratio for a reason outside both.
    """
    yaml = YAML()
    yaml.explicit_start = True
    for relative, manifests in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as stream:
            stream.write(f"# Generated from {roster_name}.\n")
            yaml.dump_all(list(manifests), stream)
    for stale in sorted(set(out.rglob("*.yaml")) - {out / relative for relative in files}):
        stale.unlink()


def main() -> None:
    """Run one of validate, compile or diff."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["validate", "compile", "diff"])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path, nargs="?")
    args = parser.parse_args()
    roster = load(args.first)
    if args.command == "compile":
        write(render_all(roster), args.second, args.first.name)
    elif args.command == "diff":
        old, new = render_all(roster), render_all(load(args.second))
        changed = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
        sys.stdout.write(f"{len(changed)} files differ\n")


if __name__ == "__main__":
    main()
