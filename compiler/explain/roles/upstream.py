"""The chart's upstream data: Kubeflow's aggregated ClusterRoles, vendored as YAML.

kubeflow-roles.yaml, beside this module, holds the ClusterRoles of kubeflow/manifests that
take part in the `rbac.authorization.kubeflow.org/aggregate-to-…` aggregation (their
labels, aggregationRule and rules), at the commit its header names. It is written by
scripts/refresh_kubeflow_roles.py from a checkout and never edited by hand; this module
reads it and says where it came from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final
from urllib.parse import urlsplit

VENDORED_FILE: Final = "kubeflow-roles.yaml"
# The core API group is the empty string in RBAC; the chart spells it "core" for reading.
CORE: Final = "core"

_HEADER_FIELD: Final = re.compile(r"# (source|commit): (\S+)")


@dataclass(frozen=True)
class Rule:
    """One PolicyRule: these verbs on these resources of these API groups."""

    groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class UpstreamRole:
    """One upstream ClusterRole: its labels, what its aggregationRule selects, its rules."""

    name: str
    labels: Mapping[str, str]
    selectors: tuple[Mapping[str, str], ...]  # the matchLabels of its aggregationRule
    collects: bool  # has an aggregationRule: the API server fills its rules
    rules: tuple[Rule, ...]

    def matches(self, selector: Mapping[str, str]) -> bool:
        """Tell whether a matchLabels selector selects this role, as the API server does."""
        return all(self.labels.get(key) == value for key, value in selector.items())


@dataclass(frozen=True)
class Vendored:
    """The vendored roles and the repository and commit they were taken from."""

    repository: str  # https://github.com/kubeflow/manifests
    commit: str
    roles: tuple[UpstreamRole, ...]

    def describe(self) -> str:
        """Name the source as the chart prints it: `kubeflow/manifests <commit>`."""
        return f"{urlsplit(self.repository).path.strip('/')} {self.commit}"


@functools.cache
def vendored() -> Vendored:
    """Read the vendored file (once): its header's source and commit, and every role."""
    # Imported here: the YAML reader is not needed to list `kfroster roles --format` names.
    from compiler.yamlio import events  # noqa: PLC0415

    text = resources.files(__package__).joinpath(VENDORED_FILE).read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        found = _HEADER_FIELD.fullmatch(line)
        if found:
            header[found.group(1)] = found.group(2)
    roles = tuple(_role(document) for document in events.load_all(text))
    return Vendored(header["source"], header["commit"], roles)


def _role(document: Mapping[str, Any]) -> UpstreamRole:
    metadata = document["metadata"]
    aggregation = document.get("aggregationRule")
    selectors = () if aggregation is None else aggregation["clusterRoleSelectors"]
    return UpstreamRole(
        name=metadata["name"],
        labels=metadata.get("labels", {}),
        selectors=tuple(selector["matchLabels"] for selector in selectors),
        collects=aggregation is not None,
        rules=tuple(
            Rule(
                tuple(CORE if group == "" else group for group in rule["apiGroups"]),
                tuple(rule["resources"]),
                tuple(rule["verbs"]),
            )
            for rule in document["rules"]
        ),
    )
