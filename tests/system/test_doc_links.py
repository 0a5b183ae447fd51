"""Every link between the README and the pages of docs/ leads somewhere: a file, a heading."""

from __future__ import annotations

import re
from pathlib import Path

from tests.system.test_doc_examples import DOCUMENTS, REPO

_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (?P<title>.+)$", re.MULTILINE)
_FENCED = re.compile(r"^(`{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    words = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return words.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCED.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set()
    for match in _HEADING.finditer(text):
        base = slug(match["title"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_the_slug_is_githubs() -> None:
    title = "`kfroster init [DIR] [--flux | --argocd --repo-url URL] [--drift] [--force]`"
    assert slug(title) == "kfroster-init-dir---flux----argocd---repo-url-url---drift---force"
    assert slug("`settings.deploy`: how Flux or Argo CD applies `out/`") == (
        "settingsdeploy-how-flux-or-argo-cd-applies-out"
    )


def test_every_relative_link_resolves() -> None:
    broken = []
    for document in DOCUMENTS:
        text = _FENCED.sub("", document.read_text(encoding="utf-8"))
        for match in _LINK.finditer(text):
            target = match["target"]
            if re.match(r"[a-z]+:", target):
                continue
            name, _, anchor = target.partition("#")
            path = (document.parent / name).resolve() if name else document
            if not path.exists() or REPO not in path.parents:
                broken.append(f"{document.relative_to(REPO)}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                broken.append(f"{document.relative_to(REPO)}: {target} (no such heading)")
    assert broken == []
