"""Group expansion and effective roles, which both the rules and the renderers rely on."""

from __future__ import annotations

from compiler import pipeline
from compiler.model.resolve import RosterIndex, grants

ROSTER = """\
version: 1
policy: {clusterWideRoles: allow}
users:
  - {name: owner, email: owner@example.com}
  - {name: zed, email: Zed@example.com}
  - {name: amy, email: amy@example.com}
groups:
  - {name: readers, members: [owner, zed, amy]}
  - {name: writers, members: [amy]}
profiles:
  - name: team
    owner: owner
    contributors:
      - {group: readers, role: view}
      - {group: writers, role: edit}
      - {user: zed, role: view}
"""


def test_grants_expand_groups_keep_the_strongest_role_and_skip_the_owner() -> None:
    roster = pipeline.check_text(ROSTER, "users.yaml").roster
    assert roster is not None
    found = grants(roster.profiles[0], RosterIndex.build(roster))
    assert [(g.user.name, g.role, g.sources) for g in found] == [
        ("amy", "edit", ("group:readers", "group:writers")),
        ("zed", "view", ("direct", "group:readers")),
    ]
