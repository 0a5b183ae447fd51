"""Istio facts kfroster relies on: which namespace labels put workloads under the mesh.

The AuthorizationPolicies that limit who reaches a profile are enforced by the Istio
proxy in front of each pod. Istio's injection webhook (istio 1.28.0,
manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml L65-84 and
L113-125) adds that sidecar to pods of namespaces labelled `istio-injection: enabled`, or
labelled `istio.io/rev` without an `istio-injection` label; in ambient mode
(`istio.io/dataplane-mode: ambient`, pkg/config/constants/constants.go L188-189) no sidecar
is needed.
"""

from __future__ import annotations

from collections.abc import Mapping

INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"
DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"
AMBIENT = "ambient"


def ambient(labels: Mapping[str, str]) -> bool:
    """Tell whether the labels put a namespace in Istio's ambient mode."""
    return labels.get(DATAPLANE_MODE_LABEL) == AMBIENT


def enforced(labels: Mapping[str, str]) -> bool:
    """Tell whether the pods of a namespace with these labels get Istio's enforcement."""
    injection = labels.get(INJECTION_LABEL)
    injected = injection == "enabled" or (injection is None and REVISION_LABEL in labels)
    return injected or ambient(labels)
