"""Every risk of a plan points at the roster line of the record that causes it."""

from __future__ import annotations

from compiler.review import diff
from compiler.review.locate import locate_risks
from compiler.review.plan.model import Location, Plan, Risk

BASE = """\
version: 1
settings:
  userIdPrefix: ""
policy:
  clusterWideRoles: allow
defaults:
  resourceQuota:
    hard: {cpu: "8"}
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
profiles:
  - name: alice
    owner: alice
  - name: bob
    owner: bob
    resourceQuota:
      hard: {cpu: "4"}
"""


def plan(head: str) -> Plan:
    return diff.make_plan(diff.load_text(BASE, "base.yaml"), diff.load_text(head, "head.yaml"))


def located(found: Plan, subject: str) -> tuple[Location | None, tuple[str, ...]]:
    (risk,) = [risk for risk in found.risks if risk.subject == subject]
    return risk.location, risk.record


def test_a_cluster_role_is_located_at_the_users_clusterrole_key() -> None:
    head = BASE.replace(
        "  - {name: bob, email: bob@example.com}",
        "  - {name: carol, email: carol@example.com}\n"
        "  - {name: bob, email: bob@example.com, clusterRole: admin}",
    )
    location, record = located(plan(head), "cluster-wide role")
    assert record == ("users", "bob", "clusterRole")
    assert location == Location("head.yaml", 12, 54)  # the value, as validation locates
    assert head.splitlines()[11][53:].startswith("admin}")


def test_a_removed_profile_is_located_in_the_base() -> None:
    head = BASE.replace("  - name: alice\n    owner: alice\n", "")
    location, _ = located(plan(head), "profile alice")
    assert location == Location("base.yaml", 13, 5)
    assert BASE.splitlines()[12] == "  - name: alice"


def test_a_quota_is_located_where_it_is_written_the_profile_or_the_defaults() -> None:
    own = BASE.replace('hard: {cpu: "4"}', 'hard: {cpu: "2"}')
    location, record = located(plan(own), "profile bob")
    assert record == ("profiles", "bob", "resourceQuota")
    assert location is not None and own.splitlines()[location.line - 1].strip().startswith("hard")
    default = BASE.replace('hard: {cpu: "8"}', 'hard: {cpu: "1"}')
    location, record = located(plan(default), "profile alice")
    assert record == ("defaults", "resourceQuota")
    assert location is not None and location.line == 8


def test_a_setting_is_located_at_its_value_in_the_head() -> None:
    stricter = BASE.replace("clusterWideRoles: allow", "clusterWideRoles: warn")
    found = diff.make_plan(diff.load_text(stricter, "base.yaml"), diff.load_text(BASE, "head.yaml"))
    location, record = located(found, "policy.clusterWideRoles")
    assert record == ("policy", "clusterWideRoles")
    assert location == Location("head.yaml", 5, 21)
    assert BASE.splitlines()[4][20:] == "allow"


def test_a_risk_without_a_record_has_no_location() -> None:
    side = diff.load_text(BASE, "users.yaml")
    risk = Risk("settings", "warning", "deploy Kustomization flux-system/x", ("deploy/ adds x",))
    (found,) = locate_risks([risk], ("users.yaml@main", side.checked), ("users.yaml", side.checked))
    assert found.location is None


def test_a_record_neither_side_has_is_not_located() -> None:
    side = diff.load_text(BASE, "users.yaml")
    risk = Risk("privilege", "high", "cluster-wide role", ("x",), record=("users", "nobody"))
    (found,) = locate_risks([risk], ("base", side.checked), ("head", side.checked))
    assert found.location is None
