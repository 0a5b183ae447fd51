"""The roster's shape, as Pydantic models: the one source of truth for users.yaml.

The JSON Schema in schemas/ is generated from these models (see schema.py), so a
constraint written here is enforced by editors, by jsonschema and by Pydantic alike.
Cross-record rules (uniqueness, references, policy) live in policy.py.
"""

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic.alias_generators import to_camel

from compiler.model import characters
from compiler.model.roles import ContributorRoleName, RoleName
from compiler.text import quote

# Patterns are anchored and ASCII-only on purpose: look-alike Unicode letters in a
# name or an email would grant access to someone other than the reviewer thinks.
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# No '*' in an email, the user-id prefix or a principal: Istio reads a leading or
# trailing '*' in an AuthorizationPolicy value as a wildcard (`*@example.com`).
# The local part is an RFC 5321 dot-string (section 4.1.2: atoms of RFC 5322 `atext`
# joined by single dots), without quoted strings and '*': `.a`, `a.` and `a..b` are
# addresses no identity provider issues.
_EMAIL_ATOM_CHARACTER = r"[A-Za-z0-9!#$%&'+/=?^_`{|}~-]"
EMAIL_PATTERN = (
    rf"^{_EMAIL_ATOM_CHARACTER}+(\.{_EMAIL_ATOM_CHARACTER}+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
DOMAIN_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$"
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
# At most one '/': `requests.nvidia.com/gpu`, `count/jobs.batch`.
RESOURCE_NAME_PATTERN = (
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
LABEL_KEY_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
# An HTTP header name (RFC 9110 token); it is embedded in `request.headers[...]`.
HEADER_PATTERN = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
# Printable ASCII without spaces or '*' (the ranges skip 0x2A): the prefix is
# concatenated with an email in a header match.
PREFIX_PATTERN = r"^[!-)+-~]*$"
PRINCIPAL_PATTERN = r"^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$"
# PriorityClass names, the only values a quota scope selector takes.
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
GCP_SERVICE_ACCOUNT_PATTERN = (
    r"^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9.]+\.iam\.gserviceaccount\.com$"
)
AWS_IAM_ROLE_PATTERN = r"^arn:aws[-a-z]*:iam::[0-9]{12}:role/[-A-Za-z0-9_+=,.@/]{1,512}$"
# The Kubeflow releases whose behaviour kfroster knows (see releases.py), with an
# optional patch level: "1.10", "1.10.2".
KUBEFLOW_VERSION_PATTERN = r"^1\.(7|8|9|10|11)(\.(0|[1-9][0-9]{0,2}))?$"
# settings.deploy. Paths are relative, in segments of letters, digits and '_' joined by
# single '-' or '.': no '..', no hidden directory, and nothing Argo CD's Git generator
# would read as a glob.
RELATIVE_PATH_PATTERN = r"^[A-Za-z0-9_]+([-.][A-Za-z0-9_]+)*(/[A-Za-z0-9_]+([-.][A-Za-z0-9_]+)*)*$"
_HOST = r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*"
_URL_USER = r"[A-Za-z0-9_][-A-Za-z0-9_.]*"
_URL_PATH = r"(/[-A-Za-z0-9._~%+@]*)*"
# https://host/path, ssh://git@host/path or git@host:path. No password (a credential would
# sit in the repository), no plain http (anyone on the way could change what the engine
# reads), and no '{' or '}': the ApplicationSet is a Go template, which would evaluate them.
REPO_URL_PATTERN = (
    rf"^((https|ssh)://({_URL_USER}@)?{_HOST}(:[0-9]{{1,5}})?{_URL_PATH}"
    rf"|{_URL_USER}@{_HOST}:[-A-Za-z0-9._~%+@/]+)$"
)
# What a Flux GitRepository clones: REPO_URL_PATTERN's URL form only, as its CRD admits
# only http, https and ssh URLs (source-controller GitRepository v1 spec.url pattern
# ^(http|https|ssh)://.*$, in @kubernetes-models/flux-cd 3.0.1 = source-controller v1.8.3).
FLUX_GIT_URL_PATTERN = rf"^(https|ssh)://({_URL_USER}@)?{_HOST}(:[0-9]{{1,5}})?{_URL_PATH}$"
# A cluster's API server as Argo CD names it (Application spec.destination.server).
CLUSTER_SERVER_PATTERN = rf"^https://{_HOST}(:[0-9]{{1,5}})?{_URL_PATH}$"
# A cluster registered in Argo CD by name (`argocd cluster add` takes the kubeconfig
# context's name: in-cluster, gke_project_zone_name, arn:aws:eks:...:cluster/name).
CLUSTER_NAME_PATTERN = r"^[A-Za-z0-9]([-A-Za-z0-9_.:/@]*[A-Za-z0-9])?$"
# A branch, tag or commit: words joined by single '-', '.' or '/', so never '..' or '//'.
GIT_REVISION_PATTERN = r"^[A-Za-z0-9_]+([-./][A-Za-z0-9_]+)*$"
# The pattern of Flux's Kustomization spec.interval (kustomize-controller
# api/v1/kustomization_types.go L66 at 186fb3b2).
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"

_LABEL_PREFIX_MAX = 253
# kustomize build is quadratic in objects: 999 units (the most three digits can name) of
# at most 1,000 objects carry about 200,000 people, at 5 objects each and units half full.
MAX_APPLY_UNITS = 999
_LABEL_NAME_MAX = 63
# 200,000 people at about 5 objects each; past that, a roster is a mistake or an attack.
DEFAULT_MAX_OBJECTS = 1_000_000
# Kustomization and Application names are the deploy name and "-unit-NNN", at most 63.
MAX_DEPLOY_NAME = 63 - len("-unit-000")
IN_CLUSTER = "https://kubernetes.default.svc"
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
MIN_INTERVAL_SECONDS = 60


def _check_label_key_parts(key: str) -> str:
    """Refuse a label key whose prefix or name is too long, which a pattern cannot express."""
    prefix, _, name = key.rpartition("/")
    shown = key if len(key) <= 60 else f"{key[:30]}...{key[-27:]}"
    if len(prefix) > _LABEL_PREFIX_MAX:
        raise ValueError(
            f"the prefix of label key {shown!r} is {len(prefix)} characters long, more than "
            f"{_LABEL_PREFIX_MAX}; shorten it"
        )
    if len(name) > _LABEL_NAME_MAX:
        raise ValueError(
            f"the name of label key {shown!r} (after the '/') is {len(name)} characters long, "
            f"more than {_LABEL_NAME_MAX}; shorten it"
        )
    return key


def _at_least_a_minute(duration: str) -> str:
    """Refuse an interval under a minute, which a pattern cannot express."""
    seconds = sum(
        float(amount) * _SECONDS[unit] for amount, unit in _DURATION_PART.findall(duration)
    )
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(
            f"{duration!r} is shorter than a minute: at every interval Flux builds its units "
            "again and dry-runs every object in them, and 0 would stop it undoing drift at all; "
            "write 1m or more"
        )
    return duration


def _trimmed(value: object) -> object:
    """Refuse text with whitespace around it, before its pattern is tried.

    jsonschema matches patterns with Python's `re`, whose `$` also matches before a
    final line break, and a `|` block scalar ends with one: this says so plainly.
    """
    if isinstance(value, str) and value != value.strip():
        raise ValueError(f"got {quote(value)}: it {characters.why_not_ascii(value)}")
    return value


def _whole(example: str) -> BeforeValidator:
    """Refuse a float where a whole number belongs (`2.0` reads as a float in YAML)."""

    def refuse_float(value: object) -> object:
        if isinstance(value, float):
            raise ValueError(f"must be {example}; got the number {value!r}")
        return value

    return BeforeValidator(refuse_float)


Trimmed = BeforeValidator(_trimmed)
DnsLabel = Annotated[StrictStr, Field(pattern=DNS_LABEL_PATTERN, max_length=63), Trimmed]
Email = Annotated[StrictStr, Field(pattern=EMAIL_PATTERN, max_length=254), Trimmed]
Domain = Annotated[StrictStr, Field(pattern=DOMAIN_PATTERN, max_length=253), Trimmed]
ResourceName = Annotated[StrictStr, Field(pattern=RESOURCE_NAME_PATTERN, max_length=253), Trimmed]
# A quantity may be written as a whole number (`pods: 50`) or a string (`memory: 32Gi`).
# Floats are refused: `cpu: 0.5` would be rendered through float formatting; write "500m".
Quantity = Annotated[
    Annotated[StrictInt, Field(ge=0)]
    | Annotated[StrictStr, Field(pattern=QUANTITY_PATTERN, max_length=64), Trimmed],
    _whole('a whole number or a quoted Kubernetes quantity such as "500m" or 32Gi'),
]
ResourceList = dict[ResourceName, Quantity]
LabelKey = Annotated[
    StrictStr,
    Field(pattern=LABEL_KEY_PATTERN, max_length=317),
    AfterValidator(_check_label_key_parts),
    Trimmed,
]
LabelValue = Annotated[StrictStr, Field(pattern=LABEL_VALUE_PATTERN, max_length=63), Trimmed]
GcpServiceAccount = Annotated[
    StrictStr, Field(pattern=GCP_SERVICE_ACCOUNT_PATTERN, max_length=253), Trimmed
]

RelativePath = Annotated[StrictStr, Field(pattern=RELATIVE_PATH_PATTERN, max_length=255), Trimmed]
DnsSubdomain = Annotated[StrictStr, Field(pattern=DNS_SUBDOMAIN_PATTERN, max_length=253), Trimmed]

# A contributor names a user or a group, never both: how the schema says so.
CONTRIBUTOR_SUBJECT: list[JsonValue] = [{"required": ["user"]}, {"required": ["group"]}]
# An Argo CD destination names its cluster by name or by server, never both: Argo CD
# refuses both (util/argo/argo.go L1102 at argo-cd 37ee0097).
DESTINATION_CLUSTER: list[JsonValue] = [{"required": ["name"]}, {"required": ["server"]}]

# Names of clusters of the roster (`clusters[].name`); unique within one list.
ClusterNames = tuple[DnsLabel, ...]
Engine = Literal["flux", "argocd"]
# Istio serves both for AuthorizationPolicy from 1.17 on; KFAM itself writes v1beta1.
AuthorizationPolicyApiVersion = Literal["security.istio.io/v1beta1", "security.istio.io/v1"]

DEFAULT_NAMESPACE_LABELS: dict[str, str] = {
    "app.kubernetes.io/part-of": "kubeflow-profile",
    "istio-injection": "enabled",
    "katib.kubeflow.org/metrics-collector-injection": "enabled",
    "pipelines.kubeflow.org/enabled": "true",
    "serving.kubeflow.org/inferenceservice": "enabled",
}


class Model(BaseModel):
    """Base of every roster model: camelCase keys, nothing unknown, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        use_attribute_docstrings=True,
    )


UserIdHeader = Annotated[StrictStr, Field(pattern=HEADER_PATTERN, max_length=128), Trimmed]
UserIdPrefix = Annotated[StrictStr, Field(pattern=PREFIX_PATTERN, max_length=128), Trimmed]
Principal = Annotated[StrictStr, Field(pattern=PRINCIPAL_PATTERN, max_length=253), Trimmed]
NamespaceLabels = dict[LabelKey, LabelValue]
ApplyUnits = Annotated[
    StrictInt, Field(ge=1, le=MAX_APPLY_UNITS), _whole("a whole number such as 2")
]
KubeflowVersion = Annotated[
    StrictStr, Field(pattern=KUBEFLOW_VERSION_PATTERN, max_length=16), Trimmed
]
Interval = Annotated[
    StrictStr,
    Field(pattern=DURATION_PATTERN, max_length=32),
    AfterValidator(_at_least_a_minute),
    Trimmed,
]


class FluxSourceRef(Model):
    """The Flux source the Kustomizations read out/ from."""

    # What Kustomization v1 reads since Flux 2.0 (kustomize-controller
    # api/v1/reference_types.go L29 at v1.0.0).
    kind: Literal["GitRepository", "OCIRepository", "Bucket"] = "GitRepository"
    """The source's kind."""
    name: DnsSubdomain = "flux-system"
    """The source object; `flux bootstrap` names the repository it reconciles flux-system."""
    namespace: DnsLabel | None = None
    """Its namespace, when it is not the Kustomizations' own."""


class FluxGitRepository(Model):
    """A Git repository for Flux to read out/ from, when it is not the one `flux bootstrap`
    made: compile writes the GitRepository into deploy/, named like sourceRef."""

    url: Annotated[StrictStr, Field(pattern=FLUX_GIT_URL_PATTERN, max_length=2048), Trimmed]
    """The URL Flux clones this repository from (https:// or ssh://)."""
    branch: Annotated[StrictStr, Field(pattern=GIT_REVISION_PATTERN, max_length=255), Trimmed] = (
        "main"
    )
    """The branch Flux applies: the reviewed one."""
    secret_name: DnsSubdomain | None = None
    """The Secret (in the GitRepository's namespace) with the credentials of a private
    repository, as `flux create secret git` makes it."""


class FluxDeploy(Model):
    """What only Flux reads: how often it reconciles, and where from."""

    interval: Interval = "10m"
    """Every Kustomization's spec.interval: how often Flux applies its unit again to undo
    drift (a new revision of the source is applied at once). At least 1m."""
    source_ref: FluxSourceRef = Field(default_factory=FluxSourceRef)
    git_repository: FluxGitRepository | None = None
    """Also write the GitRepository sourceRef names, for a roster repository that is not
    the one Flux bootstrapped from (kfroster init --git-url sets it)."""

    @model_validator(mode="after")
    def _git_repository_is_the_source(self) -> "FluxDeploy":
        if self.git_repository is not None and self.source_ref.kind != "GitRepository":
            raise ValueError("gitRepository needs sourceRef.kind GitRepository: it is that source")
        return self


class ArgoCDDestination(Model):
    """The cluster the Applications apply to: by its name in Argo CD, or its API server."""

    model_config = ConfigDict(json_schema_extra={"oneOf": DESTINATION_CLUSTER})

    name: Annotated[StrictStr, Field(pattern=CLUSTER_NAME_PATTERN, max_length=253), Trimmed] | (
        None
    ) = None
    server: (
        Annotated[StrictStr, Field(pattern=CLUSTER_SERVER_PATTERN, max_length=2048), Trimmed] | None
    ) = None

    @model_validator(mode="after")
    def _one_cluster(self) -> "ArgoCDDestination":
        if (self.name is None) == (self.server is None):
            raise ValueError("a destination names exactly one of 'name' or 'server'")
        return self


class ArgoCDDeploy(Model):
    """What only Argo CD reads: the repository it clones, and the cluster it applies to."""

    repo_url: (
        Annotated[StrictStr, Field(pattern=REPO_URL_PATTERN, max_length=2048), Trimmed] | None
    ) = Field(default=None, alias="repoURL")
    """The URL Argo CD clones this repository from; required with engine argocd."""
    target_revision: Annotated[
        StrictStr, Field(pattern=GIT_REVISION_PATTERN, max_length=255), Trimmed
    ] = "HEAD"
    """The branch, tag or commit Argo CD applies: the reviewed branch."""
    project: DnsSubdomain = "default"
    """The AppProject of the Applications."""
    destination: ArgoCDDestination = Field(
        default_factory=lambda: ArgoCDDestination(server=IN_CLUSTER)
    )
    """Default: the cluster Argo CD runs in."""


class Deploy(Model):
    """How Flux or Argo CD applies out/: `kfroster compile` writes their manifests from it."""

    engine: Engine
    """flux: one Kustomization per apply unit; argocd: one ApplicationSet over the units."""
    directory: RelativePath = "deploy"
    """Where the manifests are written, relative to the roster's directory."""
    path: RelativePath = "out"
    """Where out/ is inside the repository the engine reads: what the manifests point at."""
    name: Annotated[
        StrictStr, Field(pattern=DNS_LABEL_PATTERN, max_length=MAX_DEPLOY_NAME), Trimmed
    ] = "kubeflow-users"
    """The ApplicationSet's name, or the prefix of every Kustomization and Application."""
    namespace: DnsLabel | None = None
    """The namespace of the objects written; default flux-system or argocd."""
    flux: FluxDeploy | None = None
    """Flux only."""
    argocd: ArgoCDDeploy | None = None
    """Argo CD only; it needs at least repoURL."""
    drift_reader: StrictBool = False
    """Also write the read-only identity the scheduled drift workflow reads the cluster with:
    a ServiceAccount, its token Secret, and a ClusterRole to get and list exactly the kinds
    `kfroster drift` reads (kfroster init --drift sets it)."""


class Settings(Model):
    """Installation details that every profile shares."""

    user_id_header: UserIdHeader = "kubeflow-userid"
    """HTTP header carrying the authenticated user's id, as the Istio ingress sets it."""
    user_id_prefix: UserIdPrefix = ""
    """Prefix in front of the email in that header (for example `accounts.google.com:`)."""
    ingress_gateway_principal: Principal = (
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    )
    """Istio principal of the ingress gateway that forwards users' requests."""
    pipelines_ui_principal: Principal = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"
    """Istio principal of the Kubeflow Pipelines UI, which calls into namespaces for users."""
    manage_namespaces: StrictBool = True
    """Emit each profile's Namespace, so GitOps tools create it before what lives in it."""
    namespace_labels: NamespaceLabels = Field(
        default_factory=lambda: dict(DEFAULT_NAMESPACE_LABELS)
    )
    """Labels of managed namespaces; the default is the set the profile controller applies."""
    apply_units: ApplyUnits = 1
    """How many directories out/ is split into, each applied by one Flux Kustomization or
    Argo CD Application; 1 writes everything straight under out/."""
    default_workload_identity: GcpServiceAccount | None = None
    """The profile controller's `-workload-identity` (its default WorkloadIdentity): written
    into every Profile that has no WorkloadIdentity plugin of its own, as the controller
    would append it, so GitOps and the controller agree on `spec.plugins`."""
    kubeflow_version: KubeflowVersion | None = None
    """The cluster's Kubeflow release, "1.7" to "1.11" (a patch level such as "1.10.2" too):
    it decides the shape of contributor AuthorizationPolicies (1.7: no `from` clause) and
    which emails the dashboard can add or remove. Unset: 1.8 or later."""
    authorization_policy_api_version: AuthorizationPolicyApiVersion = "security.istio.io/v1beta1"
    """The apiVersion of contributor AuthorizationPolicies: v1beta1 (what KFAM writes) or v1
    (served from Istio 1.17 on)."""
    deploy: Deploy | None = None
    """How Flux or Argo CD applies out/; when set, `kfroster compile` also writes the
    manifests that do it, and `compile --check` checks them."""


class Policy(Model):
    """Organisation rules the roster must obey."""

    email_domains: tuple[Domain, ...] = ()
    """When set, every user's email must be in one of these domains."""
    cluster_wide_roles: Literal["allow", "warn", "deny"] = "warn"
    """What to do with a cluster-wide edit or view role, which reaches every namespace."""
    max_quota: ResourceList = Field(default_factory=dict)
    """No profile's resource quota may exceed these."""
    reserved_namespaces: tuple[DnsLabel, ...] = ()
    """Namespaces that may never be a profile, in addition to the built-in list."""
    max_objects: Annotated[StrictInt, Field(ge=1), _whole("a whole number such as 1000000")] = (
        DEFAULT_MAX_OBJECTS
    )
    """The most objects the roster may compile to; a group granted to many profiles
    multiplies fast, and every stage (compile, diff, the engine) pays for each object."""
    allow_namespaces: tuple[DnsLabel, ...] = ()
    """Namespaces reserved by default (monitoring, kserve, every `*-system`, ...) that a
    profile may take on purpose; Kubernetes', Kubeflow's and Istio's own never can."""


QuotaScope = Literal[
    "BestEffort",
    "CrossNamespacePodAffinity",
    "NotBestEffort",
    "NotTerminating",
    "PriorityClass",
    "Terminating",
    "VolumeAttributesClass",
]


class ScopeRequirement(Model):
    """One requirement of a ResourceQuota scope selector."""

    scope_name: QuotaScope
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[
        Annotated[StrictStr, Field(pattern=DNS_SUBDOMAIN_PATTERN, max_length=253), Trimmed], ...
    ] = ()


class ScopeSelector(Model):
    """A ResourceQuota scope selector."""

    match_expressions: tuple[ScopeRequirement, ...] = ()


class ResourceQuota(Model):
    """The profile's ResourceQuota spec; `{}` means no quota."""

    hard: ResourceList = Field(default_factory=dict)
    scopes: tuple[QuotaScope, ...] = ()
    scope_selector: ScopeSelector | None = None

    @property
    def is_empty(self) -> bool:
        """Tell whether this quota limits nothing."""
        return not self.hard and not self.scopes and self.scope_selector is None


class LimitRange(Model):
    """The container limits of the profile's LimitRange `kf-limit-range`; `{}` means none."""

    default: ResourceList = Field(default_factory=dict)
    """Limits given to containers that set none."""
    default_request: ResourceList = Field(default_factory=dict)
    """Requests given to containers that set none."""
    max: ResourceList = Field(default_factory=dict)
    min: ResourceList = Field(default_factory=dict)
    max_limit_request_ratio: ResourceList = Field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Tell whether this LimitRange sets nothing."""
        return not (
            self.default
            or self.default_request
            or self.max
            or self.min
            or self.max_limit_request_ratio
        )


class Defaults(Model):
    """What every profile gets unless it says otherwise."""

    resource_quota: ResourceQuota = Field(default_factory=ResourceQuota)
    limit_range: LimitRange = Field(default_factory=LimitRange)


class ClusterFluxDeploy(Model):
    """A cluster's overrides of settings.deploy.flux: each key given replaces the top-level one."""

    interval: Interval | None = None
    """This cluster's Kustomizations' spec.interval."""
    source_ref: FluxSourceRef | None = None
    """The Flux source in this cluster that holds the repository."""


class ClusterArgoCDDeploy(Model):
    """A cluster's overrides of settings.deploy.argocd: where its Applications apply."""

    project: DnsSubdomain | None = None
    """The AppProject of this cluster's Applications."""
    destination: ArgoCDDestination | None = None
    """The cluster, as Argo CD knows it: by name or by API server."""


class ClusterDeploy(Model):
    """A cluster's overrides of settings.deploy, merged into it one level deep.

    The engine, the directories and the names are the roster's: one review, one layout.
    """

    flux: ClusterFluxDeploy | None = None
    """Flux only: what differs in this cluster (its own Flux applies deploy/<cluster>/)."""
    argocd: ClusterArgoCDDeploy | None = None
    """Argo CD only: where this cluster's Applications apply."""


class ClusterSettings(Model):
    """A cluster's settings: each key given replaces the top-level one, whole.

    `namespaceLabels` given is the whole set of labels; `deploy` merges one level deep.
    """

    user_id_header: UserIdHeader | None = None
    user_id_prefix: UserIdPrefix | None = None
    ingress_gateway_principal: Principal | None = None
    pipelines_ui_principal: Principal | None = None
    manage_namespaces: StrictBool | None = None
    namespace_labels: NamespaceLabels | None = None
    """The whole set of labels of this cluster's managed namespaces."""
    apply_units: ApplyUnits | None = None
    default_workload_identity: GcpServiceAccount | None = None
    kubeflow_version: KubeflowVersion | None = None
    """This cluster's Kubeflow release."""
    authorization_policy_api_version: AuthorizationPolicyApiVersion | None = None
    deploy: ClusterDeploy | None = None
    """Overrides of settings.deploy: this cluster's Flux options or Argo CD destination."""


class ClusterDefaults(Model):
    """A cluster's defaults: each key given replaces the top-level one, whole."""

    resource_quota: ResourceQuota | None = None
    limit_range: LimitRange | None = None


class Cluster(Model):
    """A Kubernetes cluster the roster compiles a tree of its own for: out/<name>/."""

    name: DnsLabel
    """The cluster's name in the roster and its directory under out/: a DNS-1123 label."""
    settings: ClusterSettings = Field(default_factory=ClusterSettings)
    """What differs from the top-level settings in this cluster."""
    defaults: ClusterDefaults = Field(default_factory=ClusterDefaults)
    """What differs from the top-level defaults in this cluster."""


class User(Model):
    """A person who signs in to Kubeflow."""

    name: DnsLabel
    """Short unique name, used in object names: a DNS-1123 label."""
    email: Email
    """The email the identity provider sends; unique, compared case-insensitively."""
    cluster_role: RoleName | None = None
    """A role in every namespace of the cluster, through a ClusterRoleBinding."""
    clusters: ClusterNames | None = None
    """The clusters where the cluster-wide role holds (default: every cluster). Only the role:
    what the user holds in profiles follows the profiles."""


class Group(Model):
    """A roster-side team: contributing a group grants each member."""

    name: DnsLabel
    members: tuple[DnsLabel, ...] = ()


class Contributor(Model):
    """Someone granted a role in a profile's namespace: one user or one group."""

    model_config = ConfigDict(json_schema_extra={"oneOf": CONTRIBUTOR_SUBJECT})

    user: DnsLabel | None = None
    group: DnsLabel | None = None
    role: ContributorRoleName

    @model_validator(mode="after")
    def _one_subject(self) -> "Contributor":
        if (self.user is None) == (self.group is None):
            raise ValueError("a contributor names exactly one of 'user' or 'group'")
        return self


class WorkloadIdentitySpec(Model):
    """Google Cloud Workload Identity for the namespace's default-editor account."""

    gcp_service_account: GcpServiceAccount


class WorkloadIdentity(Model):
    """The profile controller's WorkloadIdentity plugin."""

    kind: Literal["WorkloadIdentity"]
    spec: WorkloadIdentitySpec


class AwsIamSpec(Model):
    """AWS IAM role for the namespace's default-editor account."""

    aws_iam_role: Annotated[StrictStr, Field(pattern=AWS_IAM_ROLE_PATTERN), Trimmed]
    annotate_only: StrictBool = False


class AwsIamForServiceAccount(Model):
    """The profile controller's AwsIamForServiceAccount plugin."""

    kind: Literal["AwsIamForServiceAccount"]
    spec: AwsIamSpec


Plugin = Annotated[WorkloadIdentity | AwsIamForServiceAccount, Field(discriminator="kind")]


class Profile(Model):
    """A Kubeflow profile: a namespace, its owner, quota, limits and contributors."""

    name: DnsLabel
    """The namespace's name: a DNS-1123 label, unique, not reserved."""
    owner: DnsLabel
    """The name of the user who owns the profile."""
    resource_quota: ResourceQuota | None = None
    """Replaces `defaults.resourceQuota`; `{}` means no quota."""
    limit_range: LimitRange | None = None
    """Replaces `defaults.limitRange`; `{}` means no LimitRange."""
    contributors: tuple[Contributor, ...] = ()
    plugins: tuple[Plugin, ...] = ()
    namespace_owned_by_profile: StrictBool | ClusterNames = False
    """The namespace has an ownerReference to its Profile (the profile controller created it,
    before kfroster): deleting the Profile deletes the namespace and its data, so the Profile
    and its LimitRange are never pruned. `true` in every cluster, or the clusters where it
    holds. `kfroster import` writes it; remove it only once that ownerReference is gone."""
    clusters: ClusterNames | None = None
    """The clusters the profile exists in (default: every cluster)."""


class Roster(Model):
    """The whole users.yaml."""

    version: Literal[1]
    """Format version of this file."""
    settings: Settings = Field(default_factory=Settings)
    policy: Policy = Field(default_factory=Policy)
    defaults: Defaults = Field(default_factory=Defaults)
    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    profiles: tuple[Profile, ...] = ()
    clusters: Annotated[tuple[Cluster, ...], Field(min_length=1)] = ()
    """The clusters compiled from this roster, each into out/<name>/; without it, one
    cluster, into out/."""
