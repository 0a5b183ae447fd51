"""Differential: every widening the compiled objects show is a risk that --fail-on can block.

For random base/head roster pairs (settings, plugins, groups, emails, profiles added,
removed and re-added), both sides are compiled and the access each grants is read out of
the OBJECTS by a small interpreter written here, independently of compiler/review/reach.py:

- RBAC: a RoleBinding or ClusterRoleBinding gives each subject its ClusterRole, in the
  namespace or everywhere (kubeflow-view < kubeflow-edit < kubeflow-admin);
- Istio: an ALLOW AuthorizationPolicy rule lets requests from each `from` principal (any
  source without `from`) that carry `header: value` into the namespace;
- Kubeflow: a Profile makes its spec.owner the namespace's admin (the profile controller's
  namespaceAdmin binding) and gives the namespace each plugin's cloud identity;
- Istio injection: a Namespace without `istio-injection: enabled` (nor ambient mode) lets
  its pods run without the proxy that enforces those policies.

Every grant the head has and the base lacks (or a stronger one) must appear as a risk that
is not information (so a `--fail-on` threshold of its kind blocks it), names the person by
name and email (or the profile, for a cloud identity), and comes from a rule that words it
in roster terms: none may fall through to the catch-all "no roster change explains it".

    HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=5000 \\
        python -m pytest tests/property/test_differential.py --hypothesis-show-statistics
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from compiler.model.keys import Manifest
from compiler.render import render_all
from compiler.review import diff
from compiler.review.history import PastProfile, RosterHistory
from compiler.review.plan.model import Plan, Risk, plain
from tests.strategies import examples

NAMES = ["ana", "bo", "cy", "di", "ed", "flo"]
PROFILES = ["p-a", "p-b", "p-c", "p-d"]
GATEWAY = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
PIPELINES = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"
RANK = {"kubeflow-view": 1, "kubeflow-edit": 2, "kubeflow-admin": 3}
HEADER = re.compile(r"^request\.headers\[(.+)\]$")


# --------------------------------------------------------------------------------------------
# The interpreter: what a set of objects grants, read from the objects alone
# --------------------------------------------------------------------------------------------


def enforced(labels: dict[str, str]) -> bool:
    """Istio's injection webhook selectors, and ambient mode (istio 1.28.0)."""
    injection = labels.get("istio-injection")
    revision = injection is None and "istio.io/rev" in labels
    return injection == "enabled" or revision or labels.get("istio.io/dataplane-mode") == "ambient"


def grants(objects: list[Manifest]) -> set[tuple[str, ...]]:
    """Return every grant of the objects as a tuple whose first item says what it is."""
    found: set[tuple[str, ...]] = set()
    for manifest in objects:
        kind, meta = manifest["kind"], manifest["metadata"]
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            scope = meta.get("namespace", "*")
            for subject in manifest["subjects"]:
                found.add(("rbac", scope, subject["name"], manifest["roleRef"]["name"]))
        elif kind == "AuthorizationPolicy":
            for rule in manifest["spec"]["rules"]:
                sources = [p for f in rule.get("from", []) for p in f["source"]["principals"]]
                for condition in rule.get("when", []):
                    header = HEADER.match(condition["key"])
                    assert header, condition
                    for value in condition["values"]:
                        for source in sources or ["*"]:
                            found.add(("mesh", meta["namespace"], source, header[1], value))
        elif kind == "Profile":
            found.add(("admin", meta["name"], manifest["spec"]["owner"]["name"]))
            for plugin in manifest["spec"].get("plugins", []):
                spec = json.dumps(plugin["spec"], sort_keys=True)
                found.add(("cloud", meta["name"], plugin["kind"], spec))
        elif kind == "Namespace" and not enforced(meta.get("labels", {})):
            found.add(("unenforced", meta["name"]))
    return found


def widenings(old: set[tuple[str, ...]], new: set[tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
    """Yield the head's grants that the base does not hold, or holds weaker."""
    for grant in sorted(new - old):
        if grant[0] == "rbac":
            _, scope, subject, role = grant
            held = [g[3] for g in old if g[:3] == ("rbac", scope, subject)]
            if any(RANK.get(h, 9) >= RANK.get(role, 9) for h in held):
                continue  # view where edit was: narrower
        yield grant


# --------------------------------------------------------------------------------------------
# Rosters: a base, and a head a pull request makes of it
# --------------------------------------------------------------------------------------------

DOMAINS = st.sampled_from(["example.com", "x.io"])
ROLES = st.sampled_from(["edit", "view"])
PLUGINS = st.sampled_from(
    [
        {
            "kind": "WorkloadIdentity",
            "spec": {"gcpServiceAccount": "ml-prod@p-1.iam.gserviceaccount.com"},
        },
        {
            "kind": "WorkloadIdentity",
            "spec": {"gcpServiceAccount": "ml-dev@p-1.iam.gserviceaccount.com"},
        },
        {
            "kind": "AwsIamForServiceAccount",
            "spec": {"awsIamRole": "arn:aws:iam::123456789012:role/a"},
        },
        {
            "kind": "AwsIamForServiceAccount",
            "spec": {"awsIamRole": "arn:aws:iam::123456789012:role/a", "annotateOnly": True},
        },
    ]
)
SETTING_VALUES: dict[str, list[Any]] = {
    "userIdHeader": ["kubeflow-userid", "x-email"],
    "userIdPrefix": ["", "oidc:"],
    "ingressGatewayPrincipal": [GATEWAY, "cluster.local/ns/gw/sa/gw"],
    "pipelinesUiPrincipal": [PIPELINES, "cluster.local/ns/p-a/sa/default-editor"],
    "manageNamespaces": [True, False],
    "namespaceLabels": [
        {"istio-injection": "enabled", "team": "ml"},
        {"team": "ml"},
        {"istio-injection": "disabled"},
        {"istio.io/dataplane-mode": "ambient"},
        {"istio.io/rev": "1-28"},
    ],
}
SETTINGS = st.fixed_dictionaries(
    {}, optional={key: st.sampled_from(values) for key, values in SETTING_VALUES.items()}
)


@st.composite
def contributors(draw: st.DrawFn, users: list[str], groups: list[str]) -> list[dict[str, str]]:
    found = [{"user": u, "role": draw(ROLES)} for u in draw(st.sets(st.sampled_from(users)))]
    if groups:
        found += [{"group": g, "role": draw(ROLES)} for g in draw(st.sets(st.sampled_from(groups)))]
    return found


@st.composite
def profile(draw: st.DrawFn, name: str, users: list[str], groups: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {"name": name, "owner": draw(st.sampled_from(users))}
    people = draw(contributors(users, groups))
    record["contributors"] = [c for c in people if c.get("user") != record["owner"]]
    if draw(st.booleans()):
        record["plugins"] = [draw(PLUGINS)]
    return record


@st.composite
def rosters(draw: st.DrawFn) -> dict[str, Any]:
    users = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    groups = draw(st.lists(st.sampled_from(["g1", "g2"]), max_size=2, unique=True))
    names = draw(st.lists(st.sampled_from(PROFILES), max_size=3, unique=True))
    return {
        "version": 1,
        "settings": draw(SETTINGS),
        "policy": {"clusterWideRoles": "allow"},
        "users": [
            {
                "name": u,
                "email": f"{u}@{draw(DOMAINS)}",
                **(
                    {"clusterRole": r}
                    if (r := draw(st.sampled_from([None, None, "view", "edit", "admin"])))
                    else {}
                ),
            }
            for u in users
        ],
        "groups": [
            {"name": g, "members": draw(st.lists(st.sampled_from(users), unique=True))}
            for g in groups
        ],
        "profiles": [draw(profile(name, users, groups)) for name in names],
    }


EDITS = [
    "email", "role", "contributors", "member", "owner", "add", "remove", "plugin", "settings",
    "user",
]  # fmt: skip


@st.composite
def edited(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """Apply one to four edits of the kinds pull requests make."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(EDITS))
        event(f"edit: {edit}")
        users = [u["name"] for u in data["users"]]
        groups = [g["name"] for g in data["groups"]]
        profiles = data["profiles"]
        if edit == "email":
            user = draw(st.sampled_from(data["users"]))
            user["email"] = f"{user['name']}.new@{draw(DOMAINS)}"
        elif edit == "role":
            user = draw(st.sampled_from(data["users"]))
            user.pop("clusterRole", None)
            if role := draw(st.sampled_from([None, "view", "edit", "admin"])):
                user["clusterRole"] = role
        elif edit == "contributors" and profiles:
            record = draw(st.sampled_from(profiles))
            people = draw(contributors(users, groups))
            record["contributors"] = [c for c in people if c.get("user") != record["owner"]]
        elif edit == "member" and data["groups"]:
            group = draw(st.sampled_from(data["groups"]))
            group["members"] = draw(st.lists(st.sampled_from(users), unique=True))
        elif edit == "owner" and profiles:
            record = draw(st.sampled_from(profiles))
            record["owner"] = draw(st.sampled_from(users))
            record["contributors"] = [
                c for c in record["contributors"] if c.get("user") != record["owner"]
            ]
        elif edit == "add":
            free = [name for name in PROFILES if name not in {p["name"] for p in profiles}]
            if free:
                profiles.append(draw(profile(draw(st.sampled_from(free)), users, groups)))
        elif edit == "remove" and profiles:
            profiles.remove(draw(st.sampled_from(profiles)))
        elif edit == "plugin" and profiles:
            record = draw(st.sampled_from(profiles))
            record.pop("plugins", None)
            if draw(st.booleans()):
                record["plugins"] = [draw(PLUGINS)]
        elif edit == "settings":  # one setting to another value, or several at once
            key = draw(st.sampled_from([*SETTING_VALUES, "all"]))
            if key == "all":
                data["settings"] = draw(SETTINGS)
            else:
                values = [v for v in SETTING_VALUES[key] if v != data["settings"].get(key)]
                data["settings"][key] = draw(st.sampled_from(values))
        elif edit == "user":
            free = [name for name in NAMES if name not in users]
            if free:
                name = draw(st.sampled_from(free))
                data["users"].append({"name": name, "email": f"{name}@{draw(DOMAINS)}"})
    return data


def side(data: dict[str, Any], name: str) -> diff.Side:
    return diff.load_text(yaml.safe_dump(data, sort_keys=False), name)


# --------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------


def named(risk: Risk, plan_text: str, who: tuple[str, str] | None, profile: str | None) -> bool:
    """Tell whether a risk names the person (name and email) and the profile it is about."""
    if who is not None and (who[0] not in risk.users or who[1] not in plan_text):
        return False
    return profile is None or risk.subject == f"profile {profile}" or profile in plan_text


def person(roster: dict[str, Any], email: str) -> tuple[str, str]:
    (found,) = [u["name"] for u in roster["users"] if u["email"] == email]
    return found, email


def who_sends(roster: dict[str, Any], value: str) -> tuple[str, str]:
    """Return the person whose email a header value ends with (after the prefix)."""
    (found,) = [(u["name"], u["email"]) for u in roster["users"] if value.endswith(u["email"])]
    return found


def expected(
    grant: tuple[str, ...], head: dict[str, Any]
) -> tuple[tuple[str, str] | None, str | None]:
    """Return whom and which profile a risk must name for a widening."""
    match grant:
        case ("rbac", "*", subject, _role):
            return person(head, subject), None
        case ("rbac", namespace, subject, _role):
            return person(head, subject), namespace
        case ("mesh", namespace, _source, _header, value):
            return who_sends(head, value), namespace
        case ("admin", namespace, owner):
            return person(head, owner), namespace
        case ("cloud", namespace, *_):
            return None, namespace
    raise AssertionError(grant)


def history_of(base: dict[str, Any], gone: list[str]) -> RosterHistory:
    """The roster's history held the profiles in `gone` (owned by ana) before the base."""
    held = {p["name"] for p in base["profiles"]}
    return RosterHistory(
        {
            name: PastProfile("ana", "ana@example.com", "abc123")
            for name in gone
            if name not in held
        },
        read=True,
    )


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), base=rosters(), gone=st.lists(st.sampled_from(PROFILES), unique=True))
def test_every_widening_is_a_blocking_risk_that_names_it(
    data: st.DataObject, base: dict[str, Any], gone: list[str]
) -> None:
    head = data.draw(edited(base))
    old, new = side(base, "base"), side(head, "head")
    assume(old.checked.roster is not None and new.checked.roster is not None)
    history = history_of(base, gone)
    plan = diff.make_plan(old, new, history)
    assert plan.valid
    before = grants([m for ms in render_all(old.checked.roster).values() for m in ms])
    after = grants([m for ms in render_all(new.checked.roster).values() for m in ms])
    found = list(widenings(before, after))
    event(f"widenings: {min(len(found), 5)}")
    blocking = [risk for risk in plan.risks if risk.blocking]
    texts = {id(risk): plain(risk.message) for risk in blocking}
    for grant in found:
        if grant[0] == "unenforced":
            assert any(r.kind == "settings" and "not enforced" in texts[id(r)] for r in blocking), (
                grant,
                plan.risks,
            )
            continue
        who, profile = expected(grant, head)
        assert any(named(r, texts[id(r)], who, profile) for r in blocking), (grant, plan.risks)
    for risk in plan.risks:
        assert "no roster change explains it" not in plain(risk.message), risk
    _re_added_profiles_are_high(plan, base, head, history)
    _every_risk_is_located_at_its_record(plan, {"base": base, "head": head})


def _every_risk_is_located_at_its_record(plan: Plan, sides: dict[str, dict[str, Any]]) -> None:
    """A risk points at the line of the record it names: the head's, else the base's."""
    for risk in plan.risks:
        assert risk.location is not None, risk
        section, *rest = risk.record
        data = sides[risk.location.file]
        if section in ("users", "groups", "profiles"):
            names = [entry["name"] for entry in data[section]]
            assert rest[0] in names, risk
            head_names = [entry["name"] for entry in sides["head"][section]]
            assert (risk.location.file == "head") is (rest[0] in head_names), risk
            if len(rest) == 1:  # the record itself: its first line names it
                text = yaml.safe_dump(data, sort_keys=False).splitlines()
                assert f"name: {rest[0]}" in text[risk.location.line - 1], (risk, text)
        else:
            assert risk.location.file == "head", risk


def _re_added_profiles_are_high(
    plan: Plan, base: dict[str, Any], head: dict[str, Any], history: RosterHistory
) -> None:
    added = {p["name"] for p in head["profiles"]} - {p["name"] for p in base["profiles"]}
    for name in added:
        (risk,) = [r for r in plan.risks if r.kind == "owner" and r.subject == f"profile {name}"]
        assert (risk.severity == "high") is (name in history.profiles), risk


@given(base=rosters())
@settings(max_examples=examples(30), deadline=None)
def test_the_interpreter_sees_nothing_new_in_a_roster_against_itself(base: dict[str, Any]) -> None:
    roster = side(base, "a").checked.roster
    assume(roster is not None)
    objects = [m for ms in render_all(roster).values() for m in ms]
    assert list(widenings(grants(objects), grants(list(reversed(objects))))) == []
