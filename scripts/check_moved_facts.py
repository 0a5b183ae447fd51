"""Check that moving text out of the README lost no fact: run after editing README or docs/.

    python scripts/check_moved_facts.py REV

reads README.md as it was at git revision REV and the README and docs/*.md of the working
tree, and lists every number and every upstream citation (a file path, a line reference
`L123-456`, a commit id, a release tag) of the old README that the new pages do not hold,
and every old paragraph whose citations no new paragraph holds together. Exit 1 when it
finds any: restore the fact, or say in the commit why it is gone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A number as the pages write them: 1,000; 0.13; 2^63-1; 65,536; 10x.
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_CITATION = re.compile(
    r"\bL\d+(?:-\d+)?\b"  # line references
    r"|\b[0-9a-f]{8,40}\b"  # commit ids
    r"|\bv\d+\.\d+(?:\.\d+)?\b"  # release tags
    r"|\b[\w.-]+(?:/[\w.-]+)+\.(?:go|ts|js|yaml|md|py)\b"  # upstream and local files
)


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def missing(old: str, new: str) -> list[str]:
    problems = []
    # Commas in numbers move with line wrapping no more than words do; compare them whole.
    new_numbers = set(_NUMBER.findall(new))
    for number in sorted(set(_NUMBER.findall(old)) - new_numbers):
        problems.append(f"number {number}")
    new_citations = set(_CITATION.findall(new))
    for citation in sorted(set(_CITATION.findall(old)) - new_citations):
        problems.append(f"citation {citation}")
    new_sets = [set(_CITATION.findall(p)) for p in paragraphs(new)]
    for paragraph in paragraphs(old):
        cited = set(_CITATION.findall(paragraph))
        if len(cited) > 1 and not any(cited <= held for held in new_sets):
            problems.append(f"paragraph citing {sorted(cited)} is split or gone")
    return problems


def main(revision: str) -> int:
    old = subprocess.run(
        ["git", "show", f"{revision}:README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    new = "\n\n".join(page.read_text(encoding="utf-8") for page in pages)
    problems = missing(old, new)
    for problem in problems:
        print(problem)
    print(
        f"{len(set(_NUMBER.findall(old)))} numbers and {len(set(_CITATION.findall(old)))} "
        f"citations in README.md at {revision}; {len(problems)} not found in README.md + docs/"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
