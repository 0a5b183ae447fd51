"""Judge the profiles a change adds: the namespace, and everything in it, may exist already.

The profile controller adopts an existing namespace whose `owner` annotation equals the
Profile's owner (kubeflow/kubeflow v1.10.0, components/profile-controller/controllers/
profile_controller.go L174-197), and with `manageNamespaces` the Namespace in out/ sets
that annotation: whatever the namespace holds (Secrets, volumes, notebooks, running
workloads) goes to the new owner. A namespace is left behind by a profile that left the
roster (its Namespace is protected from pruning), or belongs to software (`monitoring`).

Every added profile is an `owner` WARNING; HIGH when its name was a profile in the
roster's history, or is reserved by default (`monitoring`, every `-system`, ...) and
taken through policy.allowNamespaces.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.model import namespaces
from compiler.review.compare import Comparison
from compiler.review.history import RosterHistory
from compiler.review.plan.model import Code, Message, Part, People, Person, Risk
from compiler.review.thresholds import Severity


def added_profiles(comparison: Comparison, history: RosterHistory) -> Iterator[Risk]:
    """An added profile takes over its namespace, with everything already in it."""
    head = comparison.head
    manage = head.roster.settings.manage_namespaces
    for name, delta in comparison.profiles.items():
        if delta.old is not None or delta.new is None:
            continue
        owner = head.users.get(delta.new.owner)
        email = owner.email if owner else delta.new.owner
        who = People((Person(delta.new.owner, email),))
        added: Part = (
            " arrives in this cluster (the roster has it in other clusters) for "
            if name in comparison.base.elsewhere
            else " is added for "
        )
        message: list[Part] = ["profile ", Code(name), added, who, ": "]
        exists: list[Part] = (
            [" already exists in the cluster, the apply sets its owner annotation and"]
            if manage
            else [" already exists in the cluster with the owner annotation ", Code(email), ","]
        )
        message += [
            "if a namespace ",
            Code(name),
            *exists,
            " the profile controller adopts it: the namespace and everything already in it "
            "(Secrets, volumes, notebooks, running workloads) go to that owner",
        ]
        reasons, users = _why_high(comparison, name, history)
        severity: Severity = "high" if reasons else "warning"
        if history.shallow and name not in history.profiles:
            reasons.append(
                [
                    ". The clone is shallow, so the roster's older history was not read: whether ",
                    Code(name),
                    " was a profile before is unknown (check out with fetch-depth: 0)",
                ]
            )
        tail: Message = tuple(part for reason in reasons for part in reason)
        everyone = (delta.new.owner, *(user for user in users if user != delta.new.owner))
        record = ("profiles", name)
        yield Risk("owner", severity, f"profile {name}", (*message, *tail), everyone, record)


def _why_high(
    comparison: Comparison, name: str, history: RosterHistory
) -> tuple[list[list[Part]], list[str]]:
    """Say why an added profile is HIGH: re-added, reserved by default, or `-system`."""
    reasons: list[list[Part]] = []
    users: list[str] = []
    past = history.profiles.get(name)
    if past is not None:
        before = Person(past.owner, past.email or past.owner)
        reasons.append(
            [
                ". It was in the roster before (at ",
                Code(past.revision),
                ", owned by ",
                People((before,)),
                "): when a profile leaves, its namespace and data stay in the cluster, so "
                "re-adding it hands them over",
            ]
        )
        users.append(past.owner)
    if namespaces.reservation(name) == "platform":  # valid, so policy.allowNamespaces lists it
        reasons.append(
            [
                ". ",
                Code(name),
                " is a namespace cluster software runs in (reserved by default, like every name "
                "ending in -system), and policy.allowNamespaces lets this roster take it",
            ]
        )
    return reasons, users
