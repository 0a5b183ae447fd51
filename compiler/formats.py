"""The output formats of every command, and one registry of them per kind of output.

One vocabulary: `--format` takes the same four names wherever a format makes sense.
Each kind of output (problems, the plan, an explanation, the roles chart, the import
report) keeps a `Formats` registry of the writers it has, beside its writers, the way
check-jsonschema keeps REPORTER_BY_NAME; the command line offers exactly the names a
registry holds, so a format is added in one place and `--help` follows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from compiler.terminal import PLAIN, Palette


class Format(enum.StrEnum):
    """How a command writes what it found."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    MARKDOWN = "markdown"

    @property
    def description(self) -> str:
        """Say in a few words what the format is for (the same words in every `--help`)."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: Mapping[Format, str] = {
    Format.TEXT: "for people: a terminal or a log",
    Format.JSON: "for bots",
    Format.GITHUB: "annotations on the roster's lines, for GitHub Actions",
    Format.MARKDOWN: "for a pull request or a ticket",
}


@dataclass(frozen=True)
class Style:
    """What a writer may need besides its subject: colour, and a comment's size and command."""

    palette: Palette = PLAIN
    max_chars: int | None = None  # Markdown: the most characters it may take (None: default)
    command: str | None = None  # Markdown: the command that makes the whole output


Subject = TypeVar("Subject")
Writer = Callable[[Subject, Style], str]


class Deferred(Mapping[Format, Writer[Subject]]):
    """A registry's writers, imported when one is first used.

    Every command's `--format` lists its names when the command line starts (a pre-commit
    hook pays that start-up on every commit): the formats are named here, and `load`
    imports the module that writes them only when something is written.
    """

    def __init__(
        self, offered: tuple[Format, ...], load: Callable[[], Mapping[Format, Writer[Subject]]]
    ) -> None:
        self._offered = offered
        self._load = load
        self._loaded: Mapping[Format, Writer[Subject]] | None = None

    def loaded(self) -> Mapping[Format, Writer[Subject]]:
        """Import the writers (once); they must be exactly the formats named."""
        if self._loaded is None:
            writers = self._load()
            if set(writers) != set(self._offered):
                raise AssertionError(f"writers for {sorted(writers)}, named {self._offered}")
            self._loaded = writers
        return self._loaded

    def __getitem__(self, chosen: Format) -> Writer[Subject]:
        return self.loaded()[chosen]

    def __contains__(self, chosen: object) -> bool:
        return chosen in self._offered

    def __iter__(self) -> Iterator[Format]:
        return iter(self._offered)

    def __len__(self) -> int:
        return len(self._offered)


@dataclass(frozen=True)
class Formats(Generic[Subject]):
    """The formats one kind of output can be written in, each with its writer."""

    kind: str  # what is written, for messages: "the plan", "problems", ...
    writers: Mapping[Format, Writer[Subject]]

    def describe(self, default: str) -> str:
        """Say how `--format` chooses among these formats, for its help."""
        offered = "; ".join(f"{chosen} ({chosen.description})" for chosen in self._offered)
        return f"How to write {self.kind}: {offered} [default: {default}]."

    @property
    def _offered(self) -> tuple[Format, ...]:
        return tuple(chosen for chosen in Format if chosen in self.writers)

    @property
    def names(self) -> tuple[str, ...]:
        """Return the names `--format` accepts for this output, in the order they are listed."""
        return tuple(str(chosen) for chosen in self._offered)

    def choose(self, name: str) -> Format:
        """Return the format called `name` (any case); raise ValueError saying what is offered."""
        wanted = name.strip().lower()
        if wanted not in self.names:
            offered = ", ".join(self.names)
            raise ValueError(f"{name!r} is not a format of {self.kind}; choose {offered}")
        return Format(wanted)

    def write(self, chosen: Format, subject: Subject, style: Style | None = None) -> str:
        """Write `subject` in the chosen format."""
        return self.writers[chosen](subject, style or Style())
