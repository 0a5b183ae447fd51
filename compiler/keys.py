"""Identity of a Kubernetes object, independent of its apiVersion."""

from __future__ import annotations

from typing import Any, NamedTuple

Manifest = dict[str, Any]


class ResourceKey(NamedTuple):
    """What makes two manifests the same object: group, kind, namespace and name."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Manifest) -> ResourceKey:
        """Return the key of a rendered manifest."""
        api_version: str = manifest["apiVersion"]
        group = api_version.rpartition("/")[0]
        metadata = manifest["metadata"]
        return cls(group, manifest["kind"], metadata.get("namespace", ""), metadata["name"])

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{kind} {where}{self.name}"
