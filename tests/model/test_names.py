"""Object names kfroster derives: the KFAM contributor name must be KFAM's, exactly.

KFAM deletes a contributor by the name it recomputes from the email, so a name that
differs by one character leaves a contributor the dashboard cannot remove, or lets it
remove someone else's binding. The oracle is tests/kfam.py (upstream's getBindingName,
transcribed from the Go source).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.model import names
from compiler.model.roster import EMAIL_PATTERN
from tests.kfam import binding_name
from tests.strategies import examples

# Email, role, and the name upstream's own getBindingName computed for them: this table
# was checked once against the real Go function (kubeflow/dashboard
# components/access-management/kfam/bindings.go L61-78 at d84246482d86, compiled with Go
# 1.19 outside the repository and fed each row). Some emails here are ones the roster
# refuses (`.a@x.io`, `ü@x.io`): the name is still KFAM's, for what a cluster may hold.
PINNED = [
    ("alice@example.com", "edit", "user-alice-example-com-clusterrole-edit"),
    ("_alice@example.com", "edit", "user-alice-example-com-clusterrole-edit"),
    ("alice_@example.com", "edit", "user-alice-example-com-clusterrole-edit"),
    ("_alice_@example.com", "edit", "user-alice-example-com-clusterrole-edit"),
    (".a@x.io", "edit", "user-a-x-io-clusterrole-edit"),
    ("a.@x.io", "edit", "user-a-x-io-clusterrole-edit"),
    ("a..b@x.io", "edit", "user-a-b-x-io-clusterrole-edit"),
    ("Alice.Smith+ml@Example.COM", "edit", "user-alice-smith-ml-example-com-clusterrole-edit"),
    ("-bob@x.io", "edit", "user-bob-x-io-clusterrole-edit"),
    ("bob-@x.io", "edit", "user-bob-x-io-clusterrole-edit"),
    ("+tag@x.io", "edit", "user-tag-x-io-clusterrole-edit"),
    ("tag+@x.io", "edit", "user-tag-x-io-clusterrole-edit"),
    ("123@x.io", "edit", "user-123-x-io-clusterrole-edit"),
    ("0@x.io", "edit", "user-0-x-io-clusterrole-edit"),
    ("9to5@x.io", "edit", "user-9to5-x-io-clusterrole-edit"),
    ("a__b@x.io", "edit", "user-a-b-x-io-clusterrole-edit"),
    ("a--b@x.io", "edit", "user-a-b-x-io-clusterrole-edit"),
    ("a-b@x.io", "edit", "user-a-b-x-io-clusterrole-edit"),
    ("a_b@x.io", "edit", "user-a-b-x-io-clusterrole-edit"),
    ("ALL.CAPS@EXAMPLE.ORG", "edit", "user-all-caps-example-org-clusterrole-edit"),
    ("A@B.CO", "edit", "user-a-b-co-clusterrole-edit"),
    ("__@x.io", "edit", "user-x-io-clusterrole-edit"),
    ("-@x.io", "edit", "user-x-io-clusterrole-edit"),
    ("_-_@x.io", "edit", "user-x-io-clusterrole-edit"),
    ("a+b-c_d@sub.example.co.uk", "edit", "user-a-b-c-d-sub-example-co-uk-clusterrole-edit"),
    ("o'neil@example.com", "edit", "user-o-neil-example-com-clusterrole-edit"),
    ("{tag}@x.io", "edit", "user-tag-x-io-clusterrole-edit"),
    ("a/b=c?d@x.io", "edit", "user-a-b-c-d-x-io-clusterrole-edit"),
    ("a#b$c%d&e!f@x.io", "edit", "user-a-b-c-d-e-f-x-io-clusterrole-edit"),
    ("~user@x.io", "edit", "user-user-x-io-clusterrole-edit"),
    ("`user`@x.io", "edit", "user-user-x-io-clusterrole-edit"),
    ("a|b^c@x.io", "edit", "user-a-b-c-x-io-clusterrole-edit"),
    ("1.2.3@4.5.io", "edit", "user-1-2-3-4-5-io-clusterrole-edit"),
    ("a.b.c.d.e@x-y.io", "edit", "user-a-b-c-d-e-x-y-io-clusterrole-edit"),
    (
        "xn--bcher-kva@xn--bcher-kva.example",
        "edit",
        "user-xn-bcher-kva-xn-bcher-kva-example-clusterrole-edit",
    ),
    ("ü@x.io", "edit", "user-x-io-clusterrole-edit"),
    ("_alice@example.com", "view", "user-alice-example-com-clusterrole-view"),
    ("Bob.Smith@Example.com", "view", "user-bob-smith-example-com-clusterrole-view"),
]


@pytest.mark.parametrize(("email", "role", "expected"), PINNED, ids=[row[0] for row in PINNED])
def test_the_oracle_matches_what_upstream_computed(email: str, role: str, expected: str) -> None:
    assert binding_name(email, role) == expected


@pytest.mark.parametrize(("email", "role", "expected"), PINNED, ids=[row[0] for row in PINNED])
def test_kfam_name_matches_what_upstream_computed(email: str, role: str, expected: str) -> None:
    assert names.kfam_name(email, role) == expected  # type: ignore[arg-type]


# Every email the roster accepts: drawn from the roster's own pattern, at its length limit.
ROSTER_EMAILS = st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda e: len(e) <= 254)


@given(email=ROSTER_EMAILS, role=st.sampled_from(["edit", "view"]))
@example(email="_alice@example.com", role="edit")
@example(email="a-@x.io", role="view")
@settings(max_examples=examples(200), deadline=None)
def test_kfam_name_is_upstreams_for_every_roster_email(email: str, role: str) -> None:
    name = names.kfam_name(email, role)  # type: ignore[arg-type]
    assert name == binding_name(email, role)
    # And it is a name Kubernetes takes: lower-case letters, digits, single '-' inside.
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name


def test_emails_differing_only_in_separators_at_the_ends_share_a_name() -> None:
    # The clash the dashboard's delete turns into removing the wrong person's access.
    assert names.kfam_name("_alice@x.io", "edit") == names.kfam_name("alice@x.io", "edit")
    assert names.kfam_name("alice-@x.io", "edit") == names.kfam_name("alice@x.io", "edit")
    assert names.kfam_name("alice@x.io", "edit") != names.kfam_name("alice@x.io", "view")


def test_unique_label_counts_on_and_keeps_within_a_label() -> None:
    assert names.unique_label("alice", set()) == ("alice", 2)
    assert names.unique_label("alice", {"alice", "alice-2"}) == ("alice-3", 4)
    long = "a" * 63
    name, _ = names.unique_label(long, {long})
    assert name == "a" * 61 + "-2"
    assert len(name) == names.MAX_LABEL
    # Counting on from where the caller stopped: the taken names before it are not tried again.
    assert names.unique_label("bob", {"bob", "bob-7"}, first=7) == ("bob-8", 9)
