"""What a live object holds beyond its manifest: the comparison import and drift share."""

from __future__ import annotations

import pytest

from compiler.importer.live import MISSING, differences, owner_reference


@pytest.mark.parametrize(
    ("want", "have"),
    [("1000m", "1"), ("1Gi", "1024Mi"), ("0.5", "500m"), ("50", 50), ("2", "2000m")],
)
def test_a_quantity_written_otherwise_is_the_same_amount(want: str, have: object) -> None:
    manifest = {"spec": {"limits": [{"type": "Container", "default": {"cpu": want}}]}}
    live = {"spec": {"limits": [{"type": "Container", "default": {"cpu": have}}]}}
    assert list(differences(manifest, live)) == []


def test_other_amounts_and_other_fields_differ() -> None:
    assert list(differences({"spec": {"hard": {"cpu": "1"}}}, {"spec": {"hard": {"cpu": "2"}}}))
    # Only fields under quantity maps compare by amount: a name stays a name.
    assert list(differences({"metadata": {"name": "1000m"}}, {"metadata": {"name": "1"}}))


def test_what_the_live_object_adds_is_no_difference_and_what_it_lacks_is_missing() -> None:
    manifest = {"metadata": {"labels": {"a": "b"}}}
    live = {"metadata": {"labels": {"a": "b", "c": "d"}, "uid": "x"}, "status": {}}
    assert list(differences(manifest, live)) == []
    assert list(differences(manifest, {"metadata": {}})) == [
        (("metadata", "labels", "a"), "b", MISSING)
    ]


def test_the_owner_reference_is_the_one_to_a_profile() -> None:
    body = {
        "metadata": {
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "1"},
                {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "name": "team", "uid": "2"},
            ]
        }
    }
    assert owner_reference(body) == (1, "2", "team")
    assert owner_reference({"metadata": {"ownerReferences": "nonsense"}}) is None
