"""Properties of plans: nothing from a roster and itself; the shortcut renders what a full
render would; Markdown stays within budget and balanced; hostile strings stay inert.

"Inert" is checked with a real CommonMark parser: a plan full of hostile names must parse
into exactly the same structure as the same plan with harmless names, and roster strings
may only appear inside code.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import replace
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from compiler.model.keys import ResourceKey
from compiler.problems import Problem
from compiler.render import render_objects
from compiler.review import diff
from compiler.review.compare import diff_objects, field_changes
from compiler.review.plan.markdown import MARKER, MIN_MAX_CHARS, format_markdown, size
from compiler.review.plan.model import (
    ABSENT,
    OBJECT_ACTIONS,
    RISK_KINDS,
    Code,
    Fact,
    FieldChange,
    ObjectChange,
    Plan,
    Risk,
    SubjectChange,
)
from compiler.review.plan.text import format_text
from compiler.review.thresholds import SEVERITIES
from tests.strategies import rosters

_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _side(data: dict[str, Any], name: str) -> diff.Side:
    return diff.load_text(_text(data), name)


def _shuffled(roster: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    data = copy.deepcopy(roster)
    for key in ("users", "groups", "profiles"):
        rng.shuffle(data.get(key, []))
    for group in data.get("groups", []):
        rng.shuffle(group["members"])
    for profile in data.get("profiles", []):
        rng.shuffle(profile.get("contributors", []))
    return data


@_SETTINGS
@given(roster=rosters(), seed=st.integers(0, 2**32))
def test_a_roster_against_itself_plans_nothing(roster: dict[str, Any], seed: int) -> None:
    base = _side(roster, "a")
    assume(base.checked.roster is not None)
    for head in (base, _side(_shuffled(roster, seed), "b")):
        plan = diff.make_plan(base, head)
        assert plan.valid
        assert (plan.changes, plan.objects, plan.risks) == ((), (), ())


# --------------------------------------------------------------------------------------------
# Rendering only what may differ gives the same changes as rendering everything
# --------------------------------------------------------------------------------------------


@st.composite
def edited(draw: st.DrawFn, roster: dict[str, Any]) -> dict[str, Any]:
    """Apply one to three roster edits of the kinds pull requests make."""
    data = copy.deepcopy(roster)
    names = [user["name"] for user in data["users"]]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["email", "role", "quota", "contributors", "member", "owner", "drop", "prefix"]
            )
        )
        users, profiles, groups = data["users"], data["profiles"], data["groups"]
        if kind == "email":
            draw(st.sampled_from(users))["email"] = f"new-{draw(st.integers(0, 99))}@x.io"
        elif kind == "role":
            user = draw(st.sampled_from(users))
            role = draw(st.sampled_from([None, "admin", "edit", "view"]))
            user.pop("clusterRole", None)
            if role:
                user["clusterRole"] = role
        elif kind == "quota" and profiles:
            quota = {"hard": {"cpu": draw(st.sampled_from(["1", "2", "16"]))}}
            draw(st.sampled_from(profiles))["resourceQuota"] = quota
        elif kind == "contributors" and profiles:
            draw(st.sampled_from(profiles)).pop("contributors", None)
        elif kind == "member" and groups:
            group = draw(st.sampled_from(groups))
            group["members"] = sorted({*group["members"], draw(st.sampled_from(names))})
        elif kind == "owner" and profiles:
            draw(st.sampled_from(profiles))["owner"] = draw(st.sampled_from(names))
        elif kind == "drop" and profiles:
            profiles.remove(draw(st.sampled_from(profiles)))
        elif kind == "prefix":
            data["settings"] = {"userIdPrefix": draw(st.sampled_from(["", "oidc:"]))}
    return data


@_SETTINGS
@given(data=st.data(), roster=rosters())
def test_partial_render_finds_the_same_changes_as_a_full_render(
    data: st.DataObject, roster: dict[str, Any]
) -> None:
    head = data.draw(edited(roster))
    old, new = _side(roster, "a").checked.roster, _side(head, "b").checked.roster
    assume(old is not None and new is not None)
    assert old is not None and new is not None
    partial = diff_objects(*diff.render_pair(old, new))
    full = diff_objects(render_objects(old), render_objects(new))
    assert partial == full


# --------------------------------------------------------------------------------------------
# Markdown: budget, balance, inert strings
# --------------------------------------------------------------------------------------------

HOSTILE_EXAMPLES = [
    "<script>alert(1)</script>",
    "</details><details open>",
    "```\n# owned",
    "`` ` ``",
    "@octocat please merge",
    "[click](https://evil.example)",
    "*bold* _it_ ~~x~~ | a | b |",
    "<!-- kfroster:plan -->",
    "line\nbreak\r\n> [!NOTE]",
    "\u202egnp.exe\u200b",
    "&lt;b&gt; &amp;",
    "\\`escaped\\`",
    " padded ",
    "",
]
hostile = st.one_of(
    st.sampled_from(HOSTILE_EXAMPLES),
    st.text(alphabet=st.sampled_from(list("`*_[]<>|&@#!\\\n\r ~-:/() ab\u202e")), max_size=40),
    st.text(max_size=30),
)


@st.composite
def plans(draw: st.DrawFn, strings: st.SearchStrategy[str] = hostile) -> Plan:
    """Draw a plan of any size whose every roster string comes from `strings`."""
    texts = st.lists(strings, min_size=1, max_size=3)

    def fact() -> Fact:
        return Fact(
            ("access", draw(strings)),
            draw(st.one_of(st.none(), strings)),
            draw(st.one_of(st.none(), strings)),
            tuple(f"group:{g}" for g in draw(texts)),
        )

    def field() -> FieldChange:
        old = draw(st.one_of(st.just(ABSENT), strings))
        new = draw(st.one_of(st.just(ABSENT), strings)) if old is not ABSENT else draw(strings)
        return FieldChange(("metadata", "labels", draw(strings)), old, new)

    def obj() -> ObjectChange:
        key = ResourceKey("rbac.authorization.k8s.io", "RoleBinding", draw(strings), draw(strings))
        action = draw(st.sampled_from(OBJECT_ACTIONS))
        fields = (
            tuple(field() for _ in range(draw(st.integers(0, 3)))) if action == "change" else ()
        )
        return ObjectChange(key, action, "rbac.authorization.k8s.io/v1", fields)

    changes = tuple(
        SubjectChange(
            draw(st.sampled_from(["user", "group", "profile", "settings", "other"])),
            draw(strings),
            draw(st.sampled_from(["added", "changed", "removed"])),
            tuple(fact() for _ in range(draw(st.integers(0, 4)))),
            tuple(obj() for _ in range(draw(st.integers(0, 6)))),
        )
        for _ in range(draw(st.integers(0, 12)))
    )
    risks = tuple(
        Risk(
            draw(st.sampled_from(RISK_KINDS)),
            draw(st.sampled_from(SEVERITIES)),
            f"profile {draw(strings)}",
            ("someone ", Code(draw(strings)), " gains ", Code(draw(strings))),
            tuple(draw(texts)),
        )
        for _ in range(draw(st.integers(0, 12)))
    )
    problems = tuple(
        Problem(draw(strings), 1, 1, "rule", draw(strings), "warning")
        for _ in range(draw(st.integers(0, 2)))
    )
    objects = tuple(sorted({o for c in changes for o in c.objects}, key=lambda o: o.key))
    return Plan(draw(strings), draw(strings), changes, objects, risks, problems)


def assert_balanced(markdown: str) -> None:
    """Check that every code fence closes and every <details> closes, outside fences."""
    fence = ""
    depth = 0
    for line in markdown.splitlines():
        run = re.match(r"`{3,}", line)
        if fence:
            if run and line.strip() == run.group(0) and len(run.group(0)) >= len(fence):
                fence = ""
            continue
        if run:
            fence = run.group(0)
            continue
        # Ours open at the start of a line and close on a line of their own; a roster string
        # holding the tags is inside code, never at the start of a line.
        depth += line.startswith("<details>") - (line == "</details>")
        assert depth >= 0, markdown
    assert fence == "", markdown
    assert depth == 0, markdown


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), budget=st.integers(MIN_MAX_CHARS, 12_000))
def test_markdown_stays_within_budget_and_balanced(plan: Plan, budget: int) -> None:
    markdown = format_markdown(plan, max_chars=budget, command="kfroster diff --base main")
    assert size(markdown) <= budget
    assert markdown.startswith(MARKER + "\n")
    assert_balanced(markdown)
    full = format_markdown(plan, max_chars=10_000_000)
    if full != markdown:
        assert "Cut to fit in a comment" in markdown
    if plan.risks:  # the first risk always makes it into the comment
        assert "> - **" in markdown


_PARSER = MarkdownIt("commonmark", {"html": True})
_OUR_TAGS = re.compile(r"</?(details|summary|code|b)>")


def _structure(markdown: str) -> list[tuple[str, str]]:
    """Token types, with the text of prose tokens: what GitHub would make of the comment."""
    found: list[tuple[str, str]] = []
    for token in _PARSER.parse(markdown):
        if token.type == "html_block":
            leftover = _OUR_TAGS.sub("", token.content.replace("<!-- kfroster:plan -->", ""))
            assert "<" not in leftover and ">" not in leftover, token.content
            found.append((token.type, ""))
        for child in token.children or []:
            kept = child.content if child.type == "text" else ""
            found.append((child.type, kept))
        if token.children is None:
            found.append((token.type, ""))
    return found


def _harmless(plan: Plan) -> Plan:
    """Return the same plan with every roster string replaced by a harmless one.

    Equal strings stay equal and distinct ones distinct (the plan compares some of them);
    the empty string stays empty (it is shown as a word, not as code).
    """
    names: dict[str, str] = {"": ""}

    def _tame(text: str) -> str:
        return names.setdefault(text, f"name{len(names)}")

    def value(item: Any) -> Any:
        return _tame(item) if isinstance(item, str) else item

    def obj(change: ObjectChange) -> ObjectChange:
        key = change.key._replace(
            namespace=_tame(change.key.namespace), name=_tame(change.key.name)
        )
        fields = tuple(
            FieldChange(tuple(value(p) for p in f.path), value(f.old), value(f.new))
            for f in change.fields
        )
        return replace(change, key=key, fields=fields)

    changes = tuple(
        replace(
            change,
            name=_tame(change.name),
            facts=tuple(
                Fact(
                    tuple(value(p) for p in f.path[1:]) and (f.path[0], *map(value, f.path[1:])),
                    value(f.old),
                    value(f.new),
                    tuple(f"group:{_tame(v.removeprefix('group:'))}" for v in f.via),
                )
                for f in change.facts
            ),
            objects=tuple(obj(o) for o in change.objects),
        )
        for change in plan.changes
    )
    risks = tuple(
        replace(
            risk,
            message=tuple(Code(_tame(p.text)) if isinstance(p, Code) else p for p in risk.message),
            users=tuple(map(_tame, risk.users)),
        )
        for risk in plan.risks
    )
    problems = tuple(
        replace(p, file=_tame(p.file), message=_tame(p.message)) for p in plan.problems
    )
    objects = tuple(obj(o) for o in plan.objects)
    return Plan(_tame(plan.base), _tame(plan.head), changes, objects, risks, problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans())
def test_hostile_strings_cannot_change_the_markdown_structure(plan: Plan) -> None:
    bad = _structure(format_markdown(plan, max_chars=10_000_000))
    good = _structure(format_markdown(_harmless(plan), max_chars=10_000_000))
    # The same tokens, and the same prose: a roster string never lands in a text token, so
    # it can make no link, no emphasis, no mention and no HTML.
    assert bad == good
    assert not {kind for kind, _ in bad} & {"link_open", "image", "html_inline"}


def test_hostile_roster_strings_stay_in_code_end_to_end() -> None:
    # What validation lets through: backticks, pipes and braces in emails, any printable
    # ASCII in the user-id prefix.
    base: dict[str, Any] = {
        "version": 1,
        "policy": {"clusterWideRoles": "allow"},
        "users": [{"name": "eve", "email": "a`b#c|_{x}~@example.com"}],
        "profiles": [{"name": "eve", "owner": "eve"}],
    }
    head = copy.deepcopy(base)
    head["settings"] = {"userIdPrefix": "<b>@org/team`[x](y)"}
    head["users"][0]["email"] = "z|_y_{x}`@example.com"
    head["users"].append({"name": "mal", "email": "m`@example.com", "clusterRole": "admin"})
    head["profiles"][0]["contributors"] = [{"user": "mal", "role": "edit"}]
    plan = diff.make_plan(_side(base, "users.yaml@main"), _side(head, "users.yaml"))
    markdown = format_markdown(plan)
    assert_balanced(markdown)
    for token in _PARSER.parse(markdown):
        for child in token.children or []:
            if child.type == "text":
                assert "`" not in child.content and "@org" not in child.content
                assert "a`b" not in child.content
            assert child.type not in ("link_open", "image", "html_inline")
    assert plan.valid and plan.risks
    assert "``m`@example.com``" in markdown
    assert "``z|_y_{x}`@example.com``" in markdown
    assert "``<b>@org/team`[x](y)``" in markdown
    assert json.loads(json.dumps(plan.risks[0].users))


def test_text_plan_shows_control_characters_visibly() -> None:
    plan = Plan(
        "a",
        "b",
        risks=(Risk("data", "high", "x", ("profile ", Code("ev\x1b[31mil\u202e"), " leaves")),),
    )
    text = format_text(plan)
    assert "\x1b" not in text and "\u202e" not in text
    assert "ev\\u001b[31mil\\u202e" in text


# Scalars as manifests hold them; never 0 or 1 beside a bool, which Python finds equal.
_SCALARS = st.none() | st.booleans() | st.integers(2, 10**6) | st.text(max_size=4)
_MANIFEST_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("abcde"), inner, max_size=4)
    ),
    max_leaves=20,
)
_MANIFESTS = st.dictionaries(st.sampled_from("abcde"), _MANIFEST_VALUES, max_size=5)


def _deepdiff_changes(old: dict[str, Any], new: dict[str, Any]) -> set[tuple[Any, ...]]:
    """What DeepDiff alone reports for a whole pair: the reference for field_changes."""
    from deepdiff import DeepDiff  # noqa: PLC0415

    report = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)
    absent = lambda value: ABSENT if type(value).__name__ == "NotPresent" else value  # noqa: E731
    return {
        (tuple(level.path(output_format="list")), repr(absent(level.t1)), repr(absent(level.t2)))
        for levels in report.values()
        for level in levels
    }


@settings(max_examples=300, deadline=None)
@given(old=_MANIFESTS, new=_MANIFESTS)
def test_field_changes_agree_with_deepdiff_on_the_whole_object(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    # field_changes compares mappings itself and hands only lists to DeepDiff.
    found = field_changes(old, new)
    assert {(c.path, repr(c.old), repr(c.new)) for c in found} == _deepdiff_changes(old, new)
