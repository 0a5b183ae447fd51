"""What a rendered Kubernetes object is, and the key that identifies it across rosters."""

from typing import Any, NamedTuple

# A plain dict, keys in the order they are to be written: apiVersion, kind, metadata, body.
Manifest = dict[str, Any]


class ResourceKey(NamedTuple):
    """Identity of an object in a cluster: group, kind, namespace ('' when cluster-scoped), name.

    The API version is left out on purpose: `v1beta1` and `v1` of the same kind are the
    same stored object, so a version bump is a change of that object, not a replacement.
    """

    group: str
    kind: str
    namespace: str
    name: str

    def describe(self) -> str:
        """Write the key as a reviewer reads it: `RoleBinding team/user-x` or `Profile alice`."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


def group_of(api_version: str) -> str:
    """Return the API group of an apiVersion (`rbac.authorization.k8s.io/v1`); '' for core."""
    group, slash, _version = api_version.rpartition("/")
    return group if slash else ""


def key_of(manifest: Manifest) -> ResourceKey:
    """Return the ResourceKey of a rendered manifest."""
    metadata = manifest["metadata"]
    return ResourceKey(
        group_of(manifest["apiVersion"]),
        manifest["kind"],
        metadata.get("namespace", ""),
        metadata["name"],
    )
