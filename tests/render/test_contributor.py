"""Contributor pairs take the shape KFAM writes in the roster's Kubeflow release."""

from __future__ import annotations

import pytest

from compiler.model.releases import release
from compiler.model.roster import Settings, User
from compiler.render.contributor import render_contributor

ANN = User.model_validate({"name": "ann", "email": "ann@example.com"})
PRINCIPALS = [
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
    "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
]
WHEN = [{"key": "request.headers[kubeflow-userid]", "values": ["ann@example.com"]}]


@pytest.mark.parametrize(
    ("version", "has_from", "email_check"),
    [
        ("1.7", False, "w3resource"),
        ("1.7.1", False, "w3resource"),
        ("1.8", True, "w3resource"),
        ("1.8.1", True, "w3resource"),
        ("1.9", True, "whatwg"),
        ("1.10.2", True, "whatwg"),
        ("1.11", True, "whatwg"),
        (None, True, "whatwg"),
    ],
)
def test_each_release_renders_kfams_policy_shape(
    version: str | None, has_from: bool, email_check: str
) -> None:
    settings = Settings.model_validate({} if version is None else {"kubeflowVersion": version})
    assert release(version).dashboard_email_check == email_check
    binding, policy = render_contributor("team", ANN, "edit", settings)
    (rule,) = policy["spec"]["rules"]
    if has_from:
        assert rule == {"from": [{"source": {"principals": PRINCIPALS}}], "when": WHEN}
    else:
        assert rule == {"when": WHEN}
    # The release changes nothing else: the binding, names and annotations are KFAM's.
    latest_binding, latest_policy = render_contributor("team", ANN, "edit", Settings())
    assert binding == latest_binding
    assert {k: v for k, v in policy.items() if k != "spec"} == {
        k: v for k, v in latest_policy.items() if k != "spec"
    }


def test_the_policy_api_version_is_the_settings() -> None:
    for api_version in ("security.istio.io/v1beta1", "security.istio.io/v1"):
        settings = Settings.model_validate({"authorizationPolicyApiVersion": api_version})
        binding, policy = render_contributor("team", ANN, "view", settings)
        assert policy["apiVersion"] == api_version
        assert binding["apiVersion"] == "rbac.authorization.k8s.io/v1"
    assert Settings().authorization_policy_api_version == "security.istio.io/v1beta1"
