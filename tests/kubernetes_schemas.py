"""The schemas compiled manifests must pass, shared by test_kubernetes.py and test_fuzz.py.

Built-in kinds: the Kubernetes OpenAPI schemas packaged in kubernetes-validate, in strict
mode (the API server prunes unknown fields, so a typo would vanish silently). Profile and
AuthorizationPolicy: the closed schemas under tests/schemas/.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
# The version kubernetes-validate's own CLI defaults to: the newest one it packages.
KUBERNETES_VERSION = kubernetes_validate.latest_version()
BUILTIN_KINDS = frozenset({"Namespace", "LimitRange", "RoleBinding", "ClusterRoleBinding"})
SCHEMA_FILES = {
    "Profile": "profile.schema.json",
    "AuthorizationPolicy": "authorizationpolicy.schema.json",
}
KINDS = BUILTIN_KINDS | SCHEMA_FILES.keys()


@cache
def validator(kind: str) -> jsonschema.Draft7Validator:
    """Return the checked Draft 7 validator of tests/schemas/ for a kind."""
    schema = json.loads((SCHEMAS / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(root)"


def schema_errors(kind: str, manifest: Any) -> list[str]:
    """Return every violation of a kind's tests/schemas/ schema as `path: message`, sorted."""
    return sorted(
        f"{_where(error)}: {error.message}" for error in validator(kind).iter_errors(manifest)
    )


@cache
def builtin_validator(kind: str, api_version: str) -> jsonschema.Draft202012Validator:
    """Return kubernetes-validate's strict validator of a built-in kind, built once.

    kubernetes_validate.validate() reads the schema files again on every call (15 ms);
    this builds the same validator from the same files, for the thousands of manifests a
    fuzz run checks. test_fuzz.py checks both agree.
    """
    # As kubernetes-validate names its files: rbac.authorization.k8s.io/v1 -> rbac-v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    directory = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
    schema = schema_contents(f"{directory}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    definitions = schema_contents(f"{directory}/_definitions.json", KUBERNETES_VERSION)
    registry: Registry[Any] = Resource.from_contents(definitions) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


def builtin_errors(manifest: dict[str, Any]) -> list[str]:
    """Return every violation of the strict Kubernetes schema of a built-in object, sorted."""
    found = builtin_validator(manifest["kind"], manifest["apiVersion"]).iter_errors(manifest)
    return sorted(
        f"Kubernetes {KUBERNETES_VERSION} strict schema: {_where(e)}: {e.message}" for e in found
    )


def manifest_errors(manifest: Any) -> list[str]:
    """Return what the schema of its kind finds wrong with a compiled manifest."""
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    if kind in BUILTIN_KINDS:
        return builtin_errors(manifest)
    if kind in SCHEMA_FILES:
        return schema_errors(kind, manifest)
    return [f"not an object of a known kind ({sorted(KINDS)}): {str(manifest)[:80]}"]
