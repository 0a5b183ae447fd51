"""yamlio.events: the one event → data builder, its hooks, documents and recorded positions."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

from compiler.yamlio import events


class Recorder(events.Builder):
    """A reader that refuses nothing itself and records every hook call as (hook, line, col)."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self.max_depth = max_depth
        self.calls: list[tuple[str, int, int]] = []

    def note(self, hook: str, event: Any) -> None:
        self.calls.append((hook, *events.mark_position(event.start_mark)))

    def refuse_properties(self, event: ScalarEvent | CollectionStartEvent) -> None:
        self.note("properties", event)

    def refuse_alias(self, event: AliasEvent) -> None:
        self.note("alias", event)

    def refuse_duplicate_key(self, event: ScalarEvent, first: Any) -> None:
        self.note(f"duplicate of line {first.line + 1 if first else None}", event)

    def refuse_complex_key(self, event: CollectionStartEvent) -> None:
        self.note("complex key", event)

    def refuse_depth(self, event: CollectionStartEvent) -> None:
        self.note("depth", event)

    def refuse_long_number(self, event: ScalarEvent) -> None:
        self.note("long number", event)

    def syntax_error(self, err: YAMLError) -> None:
        self.calls.append(("syntax", 0, 0))


def build(text: str, max_depth: int = 32) -> Recorder:
    builder = Recorder(max_depth)
    builder.run(text)
    return builder


def test_a_reader_must_say_what_it_refuses() -> None:
    class Lenient(events.Builder):
        pass

    with pytest.raises(TypeError):
        Lenient()  # type: ignore[abstract]


def test_refused_nodes_are_reported_in_order_and_reading_goes_on() -> None:
    builder = build("a: &x 1\nb: !t 2\n? [k]\n: v\nc: *x\na: 3\nd: " + "9" * 5000 + "\ne: 4\n")
    assert builder.calls == [
        ("properties", 1, 4),
        ("properties", 2, 4),
        ("complex key", 3, 3),
        ("alias", 5, 4),
        ("duplicate of line 1", 6, 1),
        ("long number", 7, 4),
    ]
    # Anchors and tags are ignored, aliases and long numbers read as null, refused keys dropped.
    assert builder.documents[0].root == {"a": 1, "b": 2, "c": None, "d": None, "e": 4}


def test_nesting_deeper_than_max_depth_stops_reading() -> None:
    builder = build("a: [[[x]]]\nb: 1\n", max_depth=3)
    assert builder.calls == [("depth", 1, 6)]
    assert not builder.failed


def test_documents_keep_their_start_root_and_emptiness() -> None:
    builder = build("a: 1\n---\n---\n# c\nx\n--- ''\n")
    documents = builder.documents
    assert [events.mark_position(d.start)[0] for d in documents] == [1, 2, 3, 6]
    assert [d.root for d in documents] == [{"a": 1}, None, "x", ""]
    assert [d.empty for d in documents] == [False, True, False, False]


def test_a_syntax_error_is_handed_to_the_reader() -> None:
    builder = build("a: [\n")
    assert builder.failed and builder.calls == [("syntax", 0, 0)]


def test_positions_are_recorded_for_every_node_and_key() -> None:
    builder = build("top:\n  list:\n  - a\n  - {b: 1}\n")
    root = builder.documents[0].located
    assert events.locate(root, ("top", "list", 1, "b")) == (4, 9)
    assert events.locate(root, ("top", "list", 1, "b"), key=True) == (4, 6)
    assert events.locate(root, ("top", "list", 0)) == (3, 5)
    assert events.locate(root, ("top", "missing", 3)) == (2, 3)  # the deepest that exists
    assert events.locate(None, ("top",)) == (1, 1)
    assert events.child(events.child(root, "top"), 0) is None  # a mapping has no items


def test_positions_deeper_than_located_depth_fall_back_to_their_ancestor() -> None:
    builder = Recorder(max_depth=32)
    builder.located_depth = 1
    builder.run("top:\n  inner:\n    x: 1\n    x: 2\n")
    root = builder.documents[0].located
    assert events.locate(root, ("top",)) == (2, 3)
    assert events.locate(root, ("top", "inner", "x")) == (2, 3)  # not recorded below top
    assert builder.calls == [("duplicate of line None", 4, 5)]
    assert builder.documents[0].root == {"top": {"inner": {"x": 1}}}
