"""The dashboard's email checks, per release, against the upstream regexes themselves.

compiler/model/dashboard.py writes the checks as linear functions; the oracle here is the
upstream JavaScript literal, translated to Python (`\\w` is ASCII in JavaScript), and run
on short inputs only: the w3resource regex backtracks exponentially on long ones.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.model.dashboard import email_refusal
from compiler.model.roster import EMAIL_PATTERN
from tests.strategies import examples

# kubeflow/kubeflow components/centraldashboard/app/api_workgroup.ts L12:
#   v1.7.0 (cce5c880) and v1.8.0 (a1ea0e92):
#     const EMAIL_RGX = /^\w+([\.-]?\w+)*@\w+([\.-]?\w+)*(\.\w{2,3})+$/;
#   v1.9.0 (48b8643b) to v1.10.0 (90e987bf), kubeflow/dashboard main (d8424648):
#     const EMAIL_RGX = /^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}
#                        [a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
UPSTREAM = {
    "w3resource": re.compile(r"\w+([\.-]?\w+)*@\w+([\.-]?\w+)*(\.\w{2,3})+", re.ASCII),
    "whatwg": re.compile(
        r"[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
        r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
    ),
}

# Email, accepted by the 1.7/1.8 check, accepted by the 1.9+ check: evaluated once with
# node on the two JavaScript literals above (RegExp.prototype.test).
PINNED = [
    ("alice@example.com", True, True),
    ("_alice@example.com", True, True),
    ("alice_@example.com", True, True),
    ("Alice.Smith+ml@Example.COM", False, True),
    ("ALL.CAPS@EXAMPLE.ORG", True, True),
    ("123@x.io", True, True),
    ("a__b@x.io", True, True),
    ("a-b.c@x.io", True, True),
    ("a.-b@x.io", False, True),
    ("-bob@x.io", False, True),
    ("bob-@x.io", False, True),
    (".a@x.io", False, True),
    ("a.@x.io", False, True),
    ("a..b@x.io", False, True),
    ("+tag@x.io", False, True),
    ("o'neil@example.com", False, True),
    ("a@b.info", False, True),
    ("a@b.co.uk", True, True),
    ("a@b.c", False, True),
    ("a@localhost", False, True),
    ("a@xn--bcher-kva.example", False, True),
    ("a@x-y.io", True, True),
    ("a@x_y.io", True, False),
    ("a@b.c0m", True, True),
    ("a@b.i-o", False, True),
    ("{tag}@x.io", False, True),
    ("a@b@c.io", False, False),
]


@pytest.mark.parametrize(("email", "old", "new"), PINNED, ids=[row[0] for row in PINNED])
def test_the_checks_decide_as_upstream(email: str, old: bool, new: bool) -> None:
    assert (UPSTREAM["w3resource"].fullmatch(email) is not None) == old
    assert (UPSTREAM["whatwg"].fullmatch(email) is not None) == new
    assert (email_refusal(email, "w3resource") is None) == old
    assert (email_refusal(email, "whatwg") is None) == new


# Short strings over the characters that matter to either check.
SHORT = st.text(alphabet="aZ9_.-+@'", min_size=1, max_size=14)


@given(email=SHORT, check=st.sampled_from(["w3resource", "whatwg"]))
@settings(max_examples=examples(500), deadline=None)
def test_the_checks_agree_with_the_regexes(email: str, check: str) -> None:
    refusal = email_refusal(email, check)  # type: ignore[arg-type]
    assert (refusal is None) == (UPSTREAM[check].fullmatch(email) is not None), refusal
    assert refusal != "it does not match"  # every refusal names its reason


@given(email=st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda e: len(e) <= 254))
@settings(max_examples=examples(100), deadline=None)
def test_every_roster_email_passes_the_newer_check(email: str) -> None:
    # So dashboard-email only ever warns for Kubeflow 1.7 and 1.8.
    assert email_refusal(email, "whatwg") is None


def test_a_refusal_says_what_is_wrong() -> None:
    assert email_refusal("Alice.Smith+ml@Example.COM", "w3resource") == (
        "the part before the '@' has '+'"
    )
    assert email_refusal("a@b.info", "w3resource") == (
        "the domain ends in 'info', not in 2 or 3 letters or digits"
    )
    assert email_refusal("bob-@x.io", "w3resource") == "the part before the '@' ends with '-'"
