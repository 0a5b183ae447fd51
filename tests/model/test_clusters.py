"""One cluster's roster: merged overrides, records kept or dropped, shared between clusters."""

from __future__ import annotations

import pytest

from compiler import pipeline
from compiler.model.clusters import Split, one_cluster
from compiler.model.roster import Roster
from compiler.pipeline import UnknownCluster

ROSTER = Roster.model_validate(
    {
        "version": 1,
        "settings": {
            "userIdPrefix": "oidc:",
            "namespaceLabels": {"istio-injection": "enabled", "team": "ml"},
            "deploy": {
                "engine": "argocd",
                "argocd": {"repoURL": "https://git.example.com/u.git", "project": "kubeflow"},
            },
        },
        "defaults": {"resourceQuota": {"hard": {"cpu": "8"}}, "limitRange": {"max": {"cpu": "2"}}},
        "clusters": [
            {
                "name": "prod",
                "settings": {
                    "namespaceLabels": {"istio-injection": "enabled"},
                    "deploy": {"argocd": {"destination": {"name": "prod"}}},
                },
                "defaults": {"resourceQuota": {"hard": {"cpu": "64"}}},
            },
            {"name": "dev"},
        ],
        "users": [
            {
                "name": "ann",
                "email": "ann@example.com",
                "clusterRole": "admin",
                "clusters": ["dev"],
            },
            {"name": "bo", "email": "bo@example.com", "clusterRole": "view"},
        ],
        "profiles": [
            {"name": "ann", "owner": "ann", "clusters": ["prod"]},
            {"name": "bo", "owner": "bo", "namespaceOwnedByProfile": ["dev"]},
            {"name": "team", "owner": "bo"},
        ],
    }
)


def test_a_cluster_setting_replaces_the_top_level_one_whole() -> None:
    prod = one_cluster(ROSTER, "prod")
    assert prod.settings.namespace_labels == {"istio-injection": "enabled"}  # no "team"
    assert prod.settings.user_id_prefix == "oidc:"  # not overridden: the top level's
    assert one_cluster(ROSTER, "dev").settings == ROSTER.settings


def test_deploy_merges_one_level_deep() -> None:
    deploy = one_cluster(ROSTER, "prod").settings.deploy
    assert deploy is not None and deploy.argocd is not None
    assert deploy.argocd.destination.name == "prod"
    assert deploy.argocd.repo_url == "https://git.example.com/u.git"  # kept
    assert deploy.argocd.project == "kubeflow"  # kept
    assert deploy.engine == "argocd"


def test_defaults_merge_key_by_key() -> None:
    prod = one_cluster(ROSTER, "prod")
    assert prod.defaults.resource_quota.hard == {"cpu": "64"}
    assert prod.defaults.limit_range.max == {"cpu": "2"}  # not overridden


def test_profiles_and_cluster_roles_are_where_they_hold() -> None:
    prod, dev = one_cluster(ROSTER, "prod"), one_cluster(ROSTER, "dev")
    assert [p.name for p in prod.profiles] == ["ann", "bo", "team"]
    assert [p.name for p in dev.profiles] == ["bo", "team"]
    assert {u.name: u.cluster_role for u in prod.users} == {"ann": None, "bo": "view"}
    assert {u.name: u.cluster_role for u in dev.users} == {"ann": "admin", "bo": "view"}
    marks = {p.name: p.namespace_owned_by_profile for p in dev.profiles}
    assert marks == {"bo": True, "team": False}
    assert {p.name: p.namespace_owned_by_profile for p in prod.profiles}["bo"] is False
    for roster in (prod, dev):
        assert roster.clusters == ()
        assert all(p.clusters is None for p in roster.profiles)
        assert all(u.clusters is None for u in roster.users)


def test_clusters_share_the_records_that_do_not_differ() -> None:
    split = Split(ROSTER)
    prod, dev = split.roster_of("prod"), split.roster_of("dev")
    team = ROSTER.profiles[2]
    assert prod.profiles[2] is team and dev.profiles[1] is team
    assert prod.users[1] is dev.users[1] is ROSTER.users[1]
    # Copied once per way it differs, each copy traced back to its record.
    assert prod.profiles[1] is not dev.profiles[0]
    assert split.originals[id(dev.profiles[0])] == id(ROSTER.profiles[1])


def test_cluster_roster_takes_a_known_name_and_says_the_closest_otherwise() -> None:
    assert pipeline.cluster_roster(ROSTER, "dev") == one_cluster(ROSTER, "dev")
    with pytest.raises(UnknownCluster, match=r"no cluster 'prd'; did you mean 'prod'\?"):
        pipeline.cluster_roster(ROSTER, "prd")
    with pytest.raises(UnknownCluster, match=r"choose one with --cluster"):
        pipeline.cluster_roster(ROSTER, None)
    alone = one_cluster(ROSTER, "dev")
    assert pipeline.cluster_roster(alone, None) is alone
    with pytest.raises(UnknownCluster, match="names no clusters"):
        pipeline.cluster_roster(alone, "dev")
