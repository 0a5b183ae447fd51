"""Build plain data from YAML parser events: the one event → data builder of every reader.

The builder works one event at a time and keeps its own stack, so nesting is checked as
it arrives and no input gets near Python's recursion limit; aliases are never expanded.
Plain scalars resolve under the YAML 1.2 core schema (`scalars.resolve_plain`); keys stay
text as written. Where every node starts is recorded while parsing (`Frame`), so a
reader can `locate` any path later without parsing again.

What a reader refuses (tags, anchors, aliases, duplicate or complex keys, numbers too
long to read, deep nesting) and how it words that are its own: it subclasses `Builder`,
sets `max_depth` (how deep data may nest) and `located_depth` (how deep positions are
recorded: deeper nodes are located at their nearest recorded ancestor) and implements
the hooks. The builder goes on after a refusal, so one
run finds every problem, and stops only where a hook says so or at a syntax error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from compiler.yamlio.scalars import NumberTooLong, resolve_plain

try:
    # cyaml re-exports the extension's parser without declaring it.
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # no ruamel.yaml.clib (e.g. PyPy): same events, about 20x slower
    CParser = None

Position = tuple[int, int]
# Where a node starts: the parser's mark of a scalar or alias, the Frame of a collection.
Located = Any

# Markers of a mapping's state, never data.
_EXPECT_KEY: Final = object()  # waiting for its next key
_NO_KEY: Final = object()  # a refused key: its value is dropped with it


def c_parser_events(text: str) -> Generator[Event, None, None]:
    """Yield the events of text from libyaml (ruamel.yaml.clib)."""
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def pure_parser_events(text: str) -> Generator[Event, None, None]:
    """Yield the events of text from ruamel's own Python scanner and parser."""
    yield from YAML(typ="safe", pure=True).parse(text)


parser_events: Callable[[str], Generator[Event, None, None]] = (
    pure_parser_events if CParser is None else c_parser_events
)


class Frame:
    """A mapping or sequence being built, and where it and each of its keys and items start.

    Frames outlive the parse: `locate` walks them along a path. Marks are kept as the
    parser made them, and turned into a line and column only when asked.
    """

    __slots__ = ("items", "key", "key_starts", "records", "start", "starts")

    def __init__(self, items: dict[str, Any] | list[Any], start: Any, records: bool) -> None:
        self.items = items
        self.start = start
        self.records = records  # whether the positions of its keys and items are kept
        self.key: object = _EXPECT_KEY if isinstance(items, dict) else None  # of the next value
        self.key_starts: dict[str, Any] = {}  # the mark of each key (None when not recorded)
        # Parallel to items: where each scalar starts (its mark), or each collection (its frame).
        self.starts: dict[str, Located] | list[Located] = {} if isinstance(items, dict) else []


class Document:
    """One YAML document: where it starts, its data and where that data starts."""

    __slots__ = ("empty", "located", "root", "start")

    def __init__(self, start: Any) -> None:
        self.start = start  # the mark of its first line ('---' or its first node)
        self.root: Any = None
        self.located: Located = None
        self.empty = True  # holds nothing, or only an empty plain scalar


class Builder(ABC):
    """Turns parser events into plain data, one document after another.

    A reader subclasses it: `max_depth` limits nesting, the hooks report what the reader
    refuses (the builder has already decided what goes into the data).
    """

    max_depth: int = 32
    # Positions of nodes inside this many collections are recorded; a reader that needs
    # only the first levels saves the memory (and the cycle collector's time) of the rest.
    located_depth: int = 32

    def __init__(self) -> None:
        self.documents: list[Document] = []
        self.stack: list[Frame] = []
        self.failed = False  # the parser stopped at a syntax error

    def run(self, text: str) -> None:
        """Read every event of text (until a hook stops the reading or the syntax breaks)."""
        handlers: dict[type[Event], Callable[[Any], bool]] = {
            ScalarEvent: self._scalar,
            MappingStartEvent: self._start,
            SequenceStartEvent: self._start,
            MappingEndEvent: self._end,
            SequenceEndEvent: self._end,
            AliasEvent: self._alias,
            DocumentStartEvent: self._document,
        }
        with closing(parser_events(text)) as events:
            try:
                for event in events:
                    handle = handlers.get(type(event))
                    if handle is not None and handle(event):
                        break
            except YAMLError as err:
                self.failed = True
                self.syntax_error(err)

    # --- hooks: what the reader refuses, and how it says so --------------------------------

    @abstractmethod
    def refuse_properties(self, event: ScalarEvent | CollectionStartEvent) -> None:
        """A node carries an anchor (event.anchor) or a tag (event.tag); it is read as if not."""

    @abstractmethod
    def refuse_alias(self, event: AliasEvent) -> None:
        """An alias; it is read as null, never expanded."""

    @abstractmethod
    def refuse_duplicate_key(self, event: ScalarEvent, first: Any) -> None:
        """A key repeats in one mapping; the entry is dropped.

        first: the mark of its first use, or None deeper than located_depth.
        """

    @abstractmethod
    def refuse_complex_key(self, event: CollectionStartEvent) -> None:
        """A list or mapping is used as a key; the entry is dropped."""

    @abstractmethod
    def refuse_depth(self, event: CollectionStartEvent) -> None:
        """A collection would nest deeper than max_depth; reading stops here."""

    @abstractmethod
    def refuse_long_number(self, event: ScalarEvent) -> None:
        """A plain integer has too many digits to convert; it is read as null."""

    @abstractmethod
    def syntax_error(self, err: YAMLError) -> None:
        """The parser stopped: err (a MarkedYAMLError when it knows where)."""

    def check_double_quoted(self, event: ScalarEvent) -> None:
        """Look at a double-quoted scalar, whose escapes can make any character."""
        del event  # every character is data unless the reader says otherwise

    def start_document(self, event: DocumentStartEvent) -> bool:
        """Look at a new document (self.documents[-1]); return True to stop reading."""
        return False

    # --- the builder -------------------------------------------------------------------------

    def _scalar(self, event: ScalarEvent) -> bool:
        # ctag is the slot behind the .tag property, read here without its cost.
        if event.anchor is not None or event.ctag is not None:
            self.refuse_properties(event)
        text: str = event.value
        style = event.style
        if style == '"':
            self.check_double_quoted(event)
        stack = self.stack
        frame = stack[-1] if stack else None
        if frame is not None and frame.key is _EXPECT_KEY:
            self._add_key(frame, text, event)
            return False
        value: Any = text
        if not style:  # quoted and block scalars are always strings
            try:
                value = resolve_plain(text)
            except NumberTooLong:
                self.refuse_long_number(event)
                value = None
        if frame is not None:
            if frame.records:
                _place(frame, event.start_mark)
            _attach(frame, value)
        else:
            document = self.documents[-1]
            document.root = value
            document.located = event.start_mark
            document.empty = text == "" and not style and event.ctag is None
        return False

    def _start(self, event: CollectionStartEvent) -> bool:
        stack = self.stack
        if len(stack) >= self.max_depth:
            self.refuse_depth(event)
            return True
        if event.anchor is not None or event.ctag is not None:
            self.refuse_properties(event)
        if stack and stack[-1].key is _EXPECT_KEY:
            self.refuse_complex_key(event)
        items: dict[str, Any] | list[Any] = {} if isinstance(event, MappingStartEvent) else []
        frame = Frame(items, event.start_mark, len(stack) < self.located_depth)
        if stack:
            if stack[-1].records:
                _place(stack[-1], frame)
        else:
            document = self.documents[-1]
            document.located = frame
            document.empty = False
        stack.append(frame)
        return False

    def _end(self, _event: CollectionEndEvent) -> bool:
        stack = self.stack
        items = stack.pop().items
        if stack:
            _attach(stack[-1], items)
        else:
            self.documents[-1].root = items
        return False

    def _alias(self, event: AliasEvent) -> bool:
        self.refuse_alias(event)
        stack = self.stack
        if stack:
            if stack[-1].records:
                _place(stack[-1], event.start_mark)
            _attach(stack[-1], None)
        else:
            document = self.documents[-1]
            document.located = event.start_mark
            document.empty = False
        return False

    def _document(self, event: DocumentStartEvent) -> bool:
        self.documents.append(Document(event.start_mark))
        return self.start_document(event)

    def _add_key(self, frame: Frame, key: str, event: ScalarEvent) -> None:
        key_starts = frame.key_starts
        if key not in key_starts:
            key_starts[key] = event.start_mark if frame.records else None
            frame.key = key
            return
        self.refuse_duplicate_key(event, key_starts[key])
        frame.key = _NO_KEY


def _place(frame: Frame, located: Located) -> None:
    """Record where the frame's next value starts (its data is attached when it ends)."""
    starts = frame.starts
    if isinstance(starts, list):
        starts.append(located)
    elif isinstance(frame.key, str):  # not a refused or complex key
        starts[frame.key] = located


def _attach(frame: Frame, value: Any) -> None:
    items = frame.items
    if isinstance(items, list):
        items.append(value)
        return
    key = frame.key
    if key is _EXPECT_KEY:
        # A list, mapping or alias used as a key, already refused: drop the entry.
        frame.key = _NO_KEY
        return
    frame.key = _EXPECT_KEY
    if isinstance(key, str):  # not _NO_KEY
        items[key] = value


def mark_position(mark: Any) -> Position:
    """Return the 1-based (line, column) of a parser mark."""
    return mark.line + 1, mark.column + 1


def position(located: Located) -> Position:
    """Return the 1-based (line, column) where a node starts."""
    return mark_position(located.start if isinstance(located, Frame) else located)


def child(located: Located, part: str | int) -> Located:
    """Return where the item or value `part` of a collection starts; None if it has none."""
    if not isinstance(located, Frame):
        return None  # a scalar has no children
    starts = located.starts
    if isinstance(starts, dict):
        return starts.get(part) if isinstance(part, str) else None
    if isinstance(part, int) and 0 <= part < len(starts):
        return starts[part]
    return None


def locate(located: Located, path: Sequence[str | int], *, key: bool = False) -> Position:
    """Return the (line, col) of the node at path, or of its deepest existing ancestor.

    key: of the last part's key rather than its value (for a mapping entry).
    """
    if located is None:
        return 1, 1
    last = len(path) - 1
    for depth, part in enumerate(path):
        if key and depth == last and isinstance(located, Frame) and isinstance(part, str):
            found = located.key_starts.get(part)
            if found is not None and part in located.starts:
                return mark_position(found)
        inner = child(located, part)
        if inner is None:
            break
        located = inner
    return position(located)


class _Trusted(Builder):
    """Reads YAML that kfroster ships or vendors: anything beyond plain data is a mistake."""

    max_depth = 100

    def _refuse(self, event: Any, what: str) -> None:
        line, col = mark_position(event.start_mark)
        raise ValueError(f"line {line}, column {col}: {what}")

    def refuse_properties(self, event: ScalarEvent | CollectionStartEvent) -> None:
        self._refuse(event, "an anchor or tag")

    def refuse_alias(self, event: AliasEvent) -> None:
        self._refuse(event, "an alias")

    def refuse_duplicate_key(self, event: ScalarEvent, first: Any) -> None:
        self._refuse(event, f"the key {event.value!r} again")

    def refuse_complex_key(self, event: CollectionStartEvent) -> None:
        self._refuse(event, "a list or mapping as a key")

    def refuse_depth(self, event: CollectionStartEvent) -> None:
        self._refuse(event, f"nesting deeper than {self.max_depth} levels")

    def refuse_long_number(self, event: ScalarEvent) -> None:
        self._refuse(event, "a number too long to read")

    def syntax_error(self, err: YAMLError) -> None:
        raise ValueError(str(err)) from err


def load_all(text: str) -> list[Any]:
    """Return the data of every non-empty document of text, which must be plain YAML.

    For YAML that kfroster ships or a maintainer vendors, not for user input: the first
    anchor, tag, alias, duplicate key or syntax error raises ValueError.
    """
    builder = _Trusted()
    builder.run(text)
    return [document.root for document in builder.documents if document.root is not None]
