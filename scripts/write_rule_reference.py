"""Rewrite docs/rules.md from the rules' docstrings (run after changing a rule).

    python scripts/write_rule_reference.py

A test fails while docs/rules.md differs from what this writes; review the change like code.
"""

from __future__ import annotations

from pathlib import Path

from compiler.output.files import write_atomically
from compiler.rule_reference import reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"

if __name__ == "__main__":
    write_atomically(DOCS, reference())
    print(f"wrote {DOCS}")
