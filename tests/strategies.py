"""Hypothesis strategies: valid rosters, as plain data ready to dump as users.yaml."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

_LABEL = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
_LOCAL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+'-]{0,10}[A-Za-z0-9]", fullmatch=True)
_DOMAIN = st.sampled_from(["example.com", "Example.COM", "ml.example.org", "x.io"])
_CPU = st.sampled_from(["100m", "500m", "1", "2", "8", 4, "1.5"])
_MEMORY = st.sampled_from(["256Mi", "1Gi", "32Gi", "1e9", "500M", 1073741824])
_COUNT = st.sampled_from(["10", "50", 3, "1k"])


def _resources() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "cpu": _CPU,
            "memory": _MEMORY,
            "pods": _COUNT,
            "requests.nvidia.com/gpu": st.sampled_from(["0", "1", "4"]),
        },
    )


@st.composite
def _limit_range(draw: st.DrawFn) -> dict[str, Any]:
    # Ordered per resource: min <= defaultRequest <= default <= max.
    cpu = ["10m", "100m", "500m", "2"]
    memory = ["16Mi", "256Mi", "1Gi", "8Gi"]
    fields = ["min", "defaultRequest", "default", "max"]
    chosen = draw(st.sets(st.sampled_from(fields)))
    return {
        field: {"cpu": cpu[i], "memory": memory[i]}
        for i, field in enumerate(fields)
        if field in chosen
    }


@st.composite
def rosters(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a valid roster: unique names and emails, references that resolve."""
    names = draw(st.lists(_LABEL, min_size=1, max_size=8, unique=True))
    locals_ = draw(st.lists(_LOCAL, min_size=len(names), max_size=len(names), unique_by=str.lower))
    users = []
    for name, local in zip(names, locals_, strict=True):
        user: dict[str, Any] = {"name": name, "email": f"{local}@{draw(_DOMAIN)}"}
        role = draw(st.sampled_from([None, None, "admin", "edit", "view"]))
        if role:
            user["clusterRole"] = role
        users.append(user)
    group_names = draw(st.lists(_LABEL.map(lambda s: f"g-{s}"), max_size=3, unique=True))
    groups = [
        {"name": g, "members": draw(st.lists(st.sampled_from(names), max_size=4, unique=True))}
        for g in group_names
    ]
    profile_names = draw(st.lists(_LABEL.map(lambda s: f"p-{s}"), max_size=5, unique=True))
    profiles = []
    for profile_name in profile_names:
        owner = draw(st.sampled_from(names))
        profile: dict[str, Any] = {"name": profile_name, "owner": owner}
        contributors = []
        for other in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
            if other != owner:
                contributors.append(
                    {"user": other, "role": draw(st.sampled_from(["edit", "view"]))}
                )
        for group in (
            draw(st.lists(st.sampled_from(group_names), max_size=2, unique=True))
            if group_names
            else []
        ):
            contributors.append({"group": group, "role": draw(st.sampled_from(["edit", "view"]))})
        if contributors:
            profile["contributors"] = contributors
        if draw(st.booleans()):
            profile["resourceQuota"] = {"hard": draw(_resources())}
        if draw(st.booleans()):
            profile["limitRange"] = draw(_limit_range())
        profiles.append(profile)
    roster: dict[str, Any] = {
        "version": 1,
        "policy": {"clusterWideRoles": "allow"},
        "users": users,
        "groups": groups,
        "profiles": profiles,
    }
    if draw(st.booleans()):
        roster["defaults"] = {
            "resourceQuota": {"hard": draw(_resources())},
            "limitRange": draw(_limit_range()),
        }
    if draw(st.booleans()):
        roster["settings"] = {
            "manageNamespaces": draw(st.booleans()),
            "userIdPrefix": draw(st.sampled_from(["", "accounts.google.com:", "oidc:"])),
        }
    return roster
