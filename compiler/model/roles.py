"""The roles a roster grants, and the one order of what each allows: view < edit < admin < owner.

Two spellings of the same words live here, side by side, for two readers:

- `RoleName` and `ContributorRoleName` are the `Literal`s the roster models use. Pydantic
  writes them into the JSON Schema as plain `enum`s of strings, and mypy narrows on them;
  an `Enum` in the models would put a `$defs` entry in the schema and turn every role the
  models hold into an enum member, changing what each stage compares and prints.
- `Role` is the order. Every stage that asks "is this more than that?" (the plan's risks,
  `explain`, `import` keeping the strongest of several bindings, groups merged into one
  contributor) asks it here, and nowhere else.

The kubeflow-* ClusterRoles aggregate into each other (admin ⊇ edit ⊇ view: their
`aggregate-to-*` labels, explain/roles/chart.py). An owner holds kubeflow-admin in the
profile's namespace (the controller's namespaceAdmin RoleBinding) and, on top of it, is the
one the dashboard lets manage contributors: more than admin there.
"""

from __future__ import annotations

import enum
import functools
from typing import Final, Literal, get_args

# The roles a ClusterRole grants: cluster-wide (users[].clusterRole) or to a contributor.
RoleName = Literal["admin", "edit", "view"]
ContributorRoleName = Literal["edit", "view"]


@functools.total_ordering
class Role(enum.Enum):
    """A role, ordered by what it allows; its value is how the roster and the plan spell it."""

    VIEW = "view"
    EDIT = "edit"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """Return how much the role allows: 1 for view, up to 4 for owner (0 is no role)."""
        return _RANK[self.value]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank < other.rank


# Members in definition order are weakest first; `None` is no role at all.
_RANK: Final[dict[str | None, int]] = {
    None: 0,
    **{role.value: number for number, role in enumerate(Role, start=1)},
}


def rank(role: str | None) -> int:
    """Return how much a role, by its roster spelling, allows: 0 for none, then by `Role`."""
    return _RANK[role]


def stronger(role: str | None, than: str | None) -> bool:
    """Tell whether `role` allows more than `than` (either may be no role: None)."""
    return _RANK[role] > _RANK[than]


# Weakest first. Sorting by rank also ties the Literals to the enum: a name the enum does
# not know stops the import here.
CLUSTER_ROLES: Final[tuple[RoleName, ...]] = tuple(sorted(get_args(RoleName), key=rank))
CONTRIBUTOR_ROLES: Final[tuple[ContributorRoleName, ...]] = tuple(
    sorted(get_args(ContributorRoleName), key=rank)
)
