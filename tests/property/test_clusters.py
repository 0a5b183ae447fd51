"""Each cluster's tree is what the equivalent one-cluster roster compiles to, byte for byte.

The equivalent roster is written here from the roster's text, as the README says a cluster
reads it, independently of compiler/model/clusters.py: every key of the cluster's
`settings` and `defaults` replaces the top-level one whole, except `settings.deploy`, whose
`flux` and `argocd` blocks merge key by key; only the profiles of that cluster; a user's
cluster-wide role only where it holds; `namespaceOwnedByProfile` true where it names the
cluster. The equivalent roster must validate, and compile into exactly the files of
out/<cluster>/ (and, for Flux, the Kustomizations of deploy/<cluster>/ pointing there).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import pipeline
from compiler.output import deploy
from compiler.problems import has_errors
from compiler.yamlio.emitter import dumps
from tests.strategies import examples, full_rosters, with_clusters


def equivalent(data: dict[str, Any], name: str) -> dict[str, Any]:
    """Write the one-cluster roster a cluster of `data` stands for."""
    (cluster,) = [c for c in data["clusters"] if c["name"] == name]
    alone = {key: copy.deepcopy(value) for key, value in data.items() if key != "clusters"}
    settings_ = dict(alone.get("settings", {}))
    for key, value in cluster.get("settings", {}).items():
        if key == "deploy":
            merged = dict(settings_["deploy"])
            for block, given_ in value.items():
                merged[block] = {**merged.get(block, {}), **given_}
            settings_["deploy"] = merged
        else:
            settings_[key] = value
    if settings_:
        alone["settings"] = settings_
    defaults = {**alone.get("defaults", {}), **cluster.get("defaults", {})}
    if defaults:
        alone["defaults"] = defaults
    for user in alone["users"]:
        where = user.pop("clusters", None)
        if where is not None and name not in where:
            user.pop("clusterRole")
    kept = []
    for profile in alone["profiles"]:
        where = profile.pop("clusters", None)
        if where is not None and name not in where:
            continue
        marked = profile.get("namespaceOwnedByProfile")
        if isinstance(marked, list):
            profile["namespaceOwnedByProfile"] = name in marked
        kept.append(profile)
    alone["profiles"] = kept
    return alone


def _checked(data: dict[str, Any]) -> pipeline.Checked:
    return pipeline.check_text(dumps(data), "users.yaml")


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), base=full_rosters())
def test_each_cluster_tree_is_the_equivalent_one_cluster_compile(
    data: st.DataObject, base: dict[str, Any]
) -> None:
    roster = data.draw(with_clusters(base))
    checked = _checked(roster)
    assert checked.roster is not None, [p for p in checked.problems if p.level == "error"]
    files = pipeline.render_files(checked.roster, "users.yaml")
    names = [cluster["name"] for cluster in roster["clusters"]]
    assert {path.split("/", 1)[0] for path in files} <= set(names)
    for name in names:
        alone = _checked(equivalent(roster, name))
        assert not has_errors(alone.problems), alone.problems
        assert alone.roster is not None
        expected = pipeline.render_files(alone.roster, "users.yaml")
        prefix = f"{name}/"
        got = {path[len(prefix) :]: text for path, text in files.items() if path.startswith(prefix)}
        assert got == expected
    setting = checked.roster.settings.deploy
    if setting is not None and setting.engine == "flux":
        written = deploy.render(checked.roster, "users.yaml")
        for name in names:
            alone_roster = _checked(equivalent(roster, name)).roster
            assert alone_roster is not None
            expected_deploy = deploy.render(alone_roster, "users.yaml")
            path = f"./{setting.path}"
            moved = {
                relative: text.replace(f"path: '{path}'", f"path: '{path}/{name}'").replace(
                    f"path: '{path}/unit-", f"path: '{path}/{name}/unit-"
                )
                for relative, text in expected_deploy.items()
            }
            prefix = f"{name}/"
            got_deploy = {p[len(prefix) :]: t for p, t in written.items() if p.startswith(prefix)}
            assert got_deploy == moved
