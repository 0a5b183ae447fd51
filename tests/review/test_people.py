"""Risks name people by name and email, rarest change first, and say where a cut list ends."""

from __future__ import annotations

import json
from typing import Any

from compiler.review.plan.json_plan import format_json
from compiler.review.plan.markdown import PEOPLE_PER_RISK, format_markdown
from compiler.review.plan.model import People, Person, Risk, people_parts, plain
from compiler.review.plan.text import format_text
from tests.review.test_diff import plan_of


def team(hires: int, *, extra: list[str], admin: str | None = None) -> tuple[Any, Any]:
    """Base: ana owns profile t, group g empty; head: hires join g, so do the extra users."""
    users = [{"name": "ana", "email": "ana@example.com"}]
    users += [{"name": name, "email": f"{name}@example.com"} for name in extra]
    base = {
        "version": 1,
        "policy": {"clusterWideRoles": "allow"},
        "users": users,
        "groups": [{"name": "g", "members": []}],
        "profiles": [
            {"name": "t", "owner": "ana", "contributors": [{"group": "g", "role": "edit"}]}
        ],
    }
    new = [{"name": f"h{i:04}", "email": f"h{i:04}@example.com"} for i in range(hires)]
    head = {
        **base,
        "users": [
            *({**u, "clusterRole": "admin"} if u["name"] == admin else u for u in users),
            *new,
        ],
        "groups": [{"name": "g", "members": [u["name"] for u in new] + extra}],
    }
    return base, head


def gains(head: Any, base: Any) -> Risk:
    (risk,) = [r for r in plan_of(head, base).risks if r.subject == "profile t"]
    return risk


def test_the_one_whose_change_nobody_shares_is_named_first() -> None:
    base, head = team(30, extra=["zoe"])
    risk = gains(head, base)
    assert risk.users[0] == "zoe"
    assert plain(risk.message).startswith("zoe <zoe@example.com>, h0000 <h0000@example.com>")


def test_an_administrator_among_joiners_is_named_first() -> None:
    # xi and yan share their change (they join g); zoe also becomes an administrator.
    base, head = team(30, extra=["xi", "yan", "zoe"], admin="zoe")
    assert gains(head, base).users[:4] == ("zoe", "xi", "yan", "h0000")


def test_a_comment_names_a_few_and_says_where_everyone_is() -> None:
    base, head = team(30, extra=["zoe"])
    plan = plan_of(head, base)
    comment = format_markdown(plan, command="kfroster diff --base main users.yaml")
    line = next(line for line in comment.splitlines() if "gain edit in profile" in line)
    assert line.count("@example.com") == PEOPLE_PER_RISK
    assert "`zoe <zoe@example.com>`" in line
    assert (
        "and 23 more (the job summary of the check and `kfroster diff --base main users.yaml` "
        "name everyone)" in line
    )


def test_the_job_summary_text_and_json_name_everyone() -> None:
    base, head = team(30, extra=["zoe"])
    plan = plan_of(head, base)
    summary = format_markdown(plan, max_chars=1_000_000)
    assert "h0029@example.com" in summary and "more (" not in summary
    assert "h0029 <h0029@example.com>" in " ".join(format_text(plan).split())
    (risk,) = [r for r in json.loads(format_json(plan))["risks"] if r["subject"] == "profile t"]
    assert len(risk["people"]) == 31
    assert risk["people"][0] == {"name": "zoe", "email": "zoe@example.com"}


def test_people_parts_spells_out_and_cuts() -> None:
    people = People(tuple(Person(n, f"{n}@x.io", ("group:g",) if n == "c" else ()) for n in "abc"))
    assert plain(people_parts(people)) == "a <a@x.io>, b <b@x.io> and c <c@x.io> (through group g)"
    assert plain(people_parts(people, 1, ("see the summary",))) == (
        "a <a@x.io> and 2 more (see the summary)"
    )
    assert Person("x@y.io", "x@y.io").label() == "x@y.io"
