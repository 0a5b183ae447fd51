"""The one order of roles: what each allows, as every stage compares it."""

from __future__ import annotations

from itertools import pairwise
from typing import get_args

import pytest

from compiler.explain.roles.chart import ALL_VERBS, chart
from compiler.model.roles import (
    CLUSTER_ROLES,
    CONTRIBUTOR_ROLES,
    ContributorRoleName,
    Role,
    RoleName,
    rank,
    stronger,
)


def test_roles_are_ordered_view_edit_admin_owner() -> None:
    assert sorted(Role, reverse=True) == [Role.OWNER, Role.ADMIN, Role.EDIT, Role.VIEW]
    assert Role.VIEW < Role.EDIT < Role.ADMIN < Role.OWNER
    assert max(Role("edit"), Role("view")) is Role.EDIT
    assert [rank(None), *(rank(role.value) for role in Role)] == [0, 1, 2, 3, 4]


def test_a_role_is_not_comparable_with_its_spelling() -> None:
    with pytest.raises(TypeError):
        _ = Role.VIEW < "edit"  # type: ignore[operator]


@pytest.mark.parametrize(
    ("role", "than", "expected"),
    [
        ("edit", "view", True),
        ("view", "edit", False),
        ("view", "view", False),
        ("view", None, True),
        (None, "view", False),
        ("admin", "edit", True),
        ("owner", "admin", True),
    ],
)
def test_stronger(role: str | None, than: str | None, expected: bool) -> None:
    assert stronger(role, than) is expected


def test_the_roster_literals_name_roles_of_the_enum_weakest_first() -> None:
    assert set(get_args(RoleName)) == set(CLUSTER_ROLES)
    assert set(get_args(ContributorRoleName)) == set(CONTRIBUTOR_ROLES)
    assert CLUSTER_ROLES == ("view", "edit", "admin")
    assert CONTRIBUTOR_ROLES == ("view", "edit")


def test_the_order_is_the_one_the_upstream_roles_aggregate_in() -> None:
    """A role ranked higher allows at least what a lower one does, on every resource."""
    for row in chart():
        for lower, higher in pairwise(CLUSTER_ROLES):
            below, above = row.verbs[lower], row.verbs[higher]
            assert ALL_VERBS in above or below <= above, (row.group, row.resource, higher)
