"""Read what kubectl prints (a List, typed lists, several documents) into located objects.

Only plain YAML or JSON is read: tags, anchors and aliases, duplicate keys and invalid
UTF-8 are refused, each problem located, and nothing is read from such input at all.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from compiler.model.keys import Manifest, ResourceKey, group_of
from compiler.problems import CompilerError, Problem
from compiler.render.common import MANAGED_BY

try:
    # cyaml re-exports the extension's parser without declaring it.
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # no ruamel.yaml.clib: same events, slower
    CParser = None

# The rules of problems that stop the import: input that cannot be read.
INPUT_RULES: Final = ("import-unreadable", "import-yaml", "import-not-an-object")
_MAX_DEPTH: Final = 100
# Lists and their items sit this deep at most; deeper mappings need no line.
_LOCATED_DEPTH: Final = 4


@dataclass(frozen=True)
class ClusterObject:
    """One Kubernetes object read from the input, and where it was read."""

    group: str
    kind: str
    namespace: str
    name: str
    body: Manifest
    file: str
    line: int

    @property
    def key(self) -> ResourceKey:
        """Return what identifies this object in the cluster."""
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    def describe(self) -> str:
        """Name the object the way kubectl does: `RoleBinding team/bob-edit`."""
        return self.key.describe()

    def labels(self) -> dict[str, str]:
        """Return the object's labels (only those with text values)."""
        return _text_map(mapping_of(self.body.get("metadata")).get("labels"))

    def annotations(self) -> dict[str, str]:
        """Return the object's annotations (only those with text values)."""
        return _text_map(mapping_of(self.body.get("metadata")).get("annotations"))

    def finding(self, rule: str, message: str) -> Problem:
        """Return a warning located at this object."""
        return Problem(self.file, self.line, 1, rule, f"{self.describe()}: {message}", "warning")


class ClusterInputInvalid(CompilerError):
    """The input is not kubectl output that can be read; nothing is imported from it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s)")


def read_inputs(paths: Sequence[str], stdin: IO[bytes]) -> list[tuple[str, bytes]]:
    """Read every input file ('-' is stdin) as (display name, bytes); raise if one is unreadable."""
    inputs: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for path in paths:
        if path == "-":
            inputs.append(("<stdin>", stdin.read()))
            continue
        try:
            inputs.append((path, Path(path).read_bytes()))
        except OSError as err:
            reason = err.strerror or str(err)
            problems.append(Problem(path, 1, 1, "import-unreadable", f"cannot read: {reason}"))
    if problems:
        raise ClusterInputInvalid(problems)
    return inputs


def read_objects(content: bytes | str, name: str) -> list[ClusterObject]:
    """Parse kubectl output: a `List`, typed lists, several documents, or one object.

    Only plain YAML (or JSON) is read: tags, anchors and aliases, duplicate keys and
    invalid UTF-8 are refused, each problem located; raises ClusterInputInvalid.
    """
    problems: list[Problem] = []
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = content.count(b"\n", 0, err.start) + 1
            col = err.start - (content.rfind(b"\n", 0, err.start) + 1) + 1
            message = "not UTF-8 text; save kubectl's output as it prints it"
            raise ClusterInputInvalid([Problem(name, line, col, "import-yaml", message)]) from None
    else:
        text = content
    builder = _Builder(name, problems)
    builder.run(text)
    if problems:
        raise ClusterInputInvalid(problems)  # the data read so far would only add noise
    collector = _Collector(name, builder.lines, problems)
    for document, line in builder.documents:
        if document is not None:  # None: an empty document between '---' lines
            collector.collect(document, line, None)
    if problems:
        raise ClusterInputInvalid(problems)
    return collector.objects


@dataclass
class _Collector:
    """Turns documents and list items into located objects, flattening Lists."""

    name: str
    lines: Mapping[int, int]
    problems: list[Problem]
    objects: list[ClusterObject] = field(default_factory=list)

    def refuse(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, 1, "import-not-an-object", message))

    def collect(self, value: Any, line: int, item_of: tuple[str, str] | None) -> None:
        """Add the object at line (a List adds each item)."""
        if not isinstance(value, dict):
            self.refuse(line, "expected a Kubernetes object here")
            return
        if item_of is not None:
            # Typed lists (RoleBindingList, …) leave kind and apiVersion out of their items.
            value.setdefault("apiVersion", item_of[0])
            value.setdefault("kind", item_of[1])
        api_version, kind = value.get("apiVersion"), value.get("kind")
        items = value.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            typed = kind != "List" and isinstance(api_version, str)
            inner = (str(api_version), kind.removesuffix("List")) if typed else None
            for item in items:
                self.collect(item, self.lines.get(id(item), line), inner)
            return
        metadata = mapping_of(value.get("metadata"))
        name, namespace = metadata.get("name"), metadata.get("namespace", "")
        if not (
            isinstance(api_version, str)
            and isinstance(kind, str)
            and isinstance(name, str)
            and isinstance(namespace, str)
        ):
            self.refuse(
                line,
                "not a Kubernetes object: apiVersion, kind and metadata.name must be text; "
                "give kfroster import what `kubectl get … -o yaml` prints",
            )
            return
        self.objects.append(
            ClusterObject(group_of(api_version), kind, namespace, name, value, self.name, line)
        )


_EXPECT_KEY: Final = object()


def _events(text: str) -> Generator[Event, None, None]:
    if CParser is None:
        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


class _Frame:
    """A mapping or list being built and, for a mapping, the key its next value gets."""

    __slots__ = ("items", "key", "seen")

    def __init__(self, items: dict[str, Any] | list[Any]) -> None:
        self.items = items
        self.key: object = _EXPECT_KEY if isinstance(items, dict) else None
        self.seen: set[str] = set()


class _Builder:
    """Builds plain data from YAML events: every document with its line, and item lines.

    Event-based and iterative: libyaml's events are several times faster than composing
    nodes, no input comes near the recursion limit, and aliases are never expanded.
    """

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        self.documents: list[tuple[Any, int]] = []
        self.lines: dict[int, int] = {}  # id(mapping) -> line, for the shallow mappings
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.start = 1

    def run(self, text: str) -> None:
        """Read every event of text, reporting what kubectl output never holds."""
        with closing(_events(text)) as events:
            try:
                for event in events:
                    if self.handle(event):
                        break
            except MarkedYAMLError as err:
                mark = err.problem_mark or err.context_mark
                line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                reason = (err.problem or err.context or "invalid YAML").strip()
                message = f"YAML syntax error: {reason}"
                self.problems.append(Problem(self.name, line, col, "import-yaml", message))
            except YAMLError as err:
                self.problems.append(Problem(self.name, 1, 1, "import-yaml", f"YAML error: {err}"))

    def refuse(self, event: Event, message: str) -> None:
        mark = event.start_mark
        problem = Problem(self.name, mark.line + 1, mark.column + 1, "import-yaml", message)
        self.problems.append(problem)

    def handle(self, event: Event) -> bool:
        """Take one event; return True to stop reading."""
        kind = type(event)
        if kind is ScalarEvent:
            self.scalar(event)  # type: ignore[arg-type]
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            return self.start_collection(event)  # type: ignore[arg-type]
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            self.attach(self.stack.pop().items)
        elif kind is AliasEvent:
            self.refuse(event, "YAML aliases are not kubectl output")
            self.attach(None)
        elif kind is DocumentStartEvent:
            self.root, self.start = None, event.start_mark.line + 1
        elif kind is DocumentEndEvent:
            self.documents.append((self.root, self.start))
        return False

    def scalar(self, event: ScalarEvent) -> None:
        # ctag is the slot behind the .tag property, read here without its cost.
        if event.anchor is not None or event.ctag is not None:
            self.refuse(event, "YAML tags, anchors and aliases are not kubectl output")
        stack = self.stack
        if stack and stack[-1].key is _EXPECT_KEY:
            frame = stack[-1]
            if event.value in frame.seen:
                self.refuse(event, f"duplicate key {event.value!r} in this mapping")
            frame.seen.add(event.value)
            frame.key = event.value
            return
        # Quoted and block scalars are text; plain ones follow the YAML 1.2 core schema.
        self.attach(event.value if event.style else _resolve(event.value))

    def start_collection(self, event: CollectionStartEvent) -> bool:
        if event.anchor is not None or event.tag is not None:
            self.refuse(event, "YAML tags, anchors and aliases are not kubectl output")
        stack = self.stack
        if len(stack) >= _MAX_DEPTH:
            self.refuse(event, f"nested more than {_MAX_DEPTH} levels deep (reading stopped)")
            return True
        if stack and stack[-1].key is _EXPECT_KEY:
            self.refuse(event, "a list or mapping cannot be a key (reading stopped)")
            return True
        items: dict[str, Any] | list[Any] = {} if isinstance(event, MappingStartEvent) else []
        if isinstance(items, dict) and len(stack) <= _LOCATED_DEPTH:
            self.lines[id(items)] = event.start_mark.line + 1
        stack.append(_Frame(items))
        return False

    def attach(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.items, list):
            frame.items.append(value)
        else:
            frame.items[str(frame.key)] = value
            frame.key = _EXPECT_KEY


_KEYWORDS: Final[Mapping[str, object]] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
_INT: Final = re.compile(r"[-+]?[0-9]{1,18}").fullmatch
_FLOAT: Final = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?").fullmatch


def _resolve(text: str) -> object:
    """Return a plain scalar's value under the YAML 1.2 core schema (kubectl's output)."""
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    if text[0] in "0123456789+-.":
        if _INT(text):
            return int(text)
        if _FLOAT(text):
            return float(text)
    return text


def mapping_of(value: object) -> dict[str, Any]:
    """Return value if it is a mapping, else an empty one: cluster data is read defensively."""
    return value if isinstance(value, dict) else {}


def _text_map(value: object) -> dict[str, str]:
    return {k: v for k, v in mapping_of(value).items() if isinstance(v, str)}


def is_managed(obj: ClusterObject) -> bool:
    """Tell whether kfroster applied this object (it carries kfroster's managed-by label)."""
    labels = obj.labels()
    return all(labels.get(key) == value for key, value in MANAGED_BY.items())
