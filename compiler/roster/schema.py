"""The roster's JSON Schema: generated from the models, and checked against a loaded roster."""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, Protocol

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from compiler.model import characters, roster
from compiler.problems import Problem, did_you_mean, path_text
from compiler.roster.source import Source
from compiler.text import clip, quote

SCHEMA_PATH = "schemas/users.schema.json"
SCHEMA_ID = "https://kfroster.dev/schemas/users.schema.json"

# What each pattern means, in words a newcomer can act on; rule ids name the format.
_PATTERN_MEANINGS: dict[str, tuple[str, str]] = {
    roster.DNS_LABEL_PATTERN: (
        "dns-label",
        "a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a "
        "letter or digit",
    ),
    roster.EMAIL_PATTERN: (
        "email",
        "an email address in plain ASCII, like alice@example.com",
    ),
    roster.DOMAIN_PATTERN: ("domain", "a lower-case DNS domain such as example.com"),
    roster.DNS_SUBDOMAIN_PATTERN: (
        "dns-subdomain",
        "a DNS-1123 subdomain such as high-priority: lower-case letters, digits, '-' and '.'",
    ),
    roster.QUANTITY_PATTERN: (
        "quantity",
        'a Kubernetes quantity such as 8, "500m", 32Gi or 1e3',
    ),
    roster.RESOURCE_NAME_PATTERN: (
        "resource-name",
        "a Kubernetes resource name such as cpu, memory, pods or requests.nvidia.com/gpu",
    ),
    roster.LABEL_KEY_PATTERN: ("label-key", "a Kubernetes label key such as example.com/team"),
    roster.LABEL_VALUE_PATTERN: (
        "label-value",
        "a Kubernetes label value: letters, digits, '-', '_' and '.', starting and ending "
        "with a letter or digit",
    ),
    roster.HEADER_PATTERN: ("header-name", "an HTTP header name such as kubeflow-userid"),
    roster.PREFIX_PATTERN: (
        "user-id-prefix",
        "printable ASCII without spaces, newlines or '*'",
    ),
    roster.PRINCIPAL_PATTERN: (
        "principal",
        "an exact Istio principal such as cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
    ),
    roster.GCP_SERVICE_ACCOUNT_PATTERN: (
        "gcp-service-account",
        "a Google service account email such as name@project.iam.gserviceaccount.com",
    ),
    roster.AWS_IAM_ROLE_PATTERN: (
        "aws-iam-role",
        "an AWS IAM role ARN such as arn:aws:iam::123456789012:role/name",
    ),
    roster.KUBEFLOW_VERSION_PATTERN: (
        "kubeflow-version",
        'a Kubeflow release kfroster knows, "1.7" to "1.11", with or without its patch '
        'level (such as "1.10.2")',
    ),
    roster.RELATIVE_PATH_PATTERN: (
        "relative-path",
        "a relative path such as deploy or clusters/prod/out: letters, digits and '_', "
        "joined by single '-' or '.', in parts separated by '/'",
    ),
    roster.REPO_URL_PATTERN: (
        "repo-url",
        "a Git repository URL such as https://git.example.com/team/users.git or "
        "git@git.example.com:team/users.git",
    ),
    roster.CLUSTER_SERVER_PATTERN: (
        "cluster-server",
        "the https:// URL of a cluster's API server, such as https://kubernetes.default.svc",
    ),
    roster.CLUSTER_NAME_PATTERN: (
        "cluster-name",
        "the name of a cluster in Argo CD, such as in-cluster: letters, digits and - _ . : / @",
    ),
    roster.GIT_REVISION_PATTERN: (
        "git-revision",
        "a branch, tag or commit such as main, v1.2.0 or release/2024: letters, digits and "
        "'_', joined by single '-', '.' or '/'",
    ),
    roster.DURATION_PATTERN: ("duration", "a duration such as 10m, 1h or 1h30m"),
}

_JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


class _RosterSchemaGenerator(GenerateJsonSchema):
    """Pydantic's generator, adjusted for a file people write by hand."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        # `None` defaults mean "absent"; a roster never writes null explicitly.
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        generated = super().default_schema(schema)
        if generated.get("default", 0) is None:
            del generated["default"]
        return generated


def _tidy(node: Any) -> Any:
    """Shape pydantic's output for draft-07 validators and editors."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    tidy = {
        key: _tidy(value)
        for key, value in node.items()
        # Titles are derived from field names and only add noise in editors' hovers;
        # `discriminator` is OpenAPI, not JSON Schema (oneOf already says it all).
        if key not in ("title", "discriminator")
    }
    if "$ref" in tidy:
        tidy["$ref"] = tidy["$ref"].replace("#/$defs/", "#/definitions/")
    patterns = tidy.pop("patternProperties", None)
    if patterns:
        # A dict keyed by a pattern: unknown keys must fail, not pass unchecked.
        ((pattern, value_schema),) = patterns.items()
        names = tidy.setdefault("propertyNames", {})
        names["pattern"] = pattern
        tidy["additionalProperties"] = value_schema
    return tidy


@cache
def roster_schema() -> dict[str, Any]:
    """Generate the roster's JSON Schema from the roster."""
    generated = roster.Roster.model_json_schema(
        by_alias=True, schema_generator=_RosterSchemaGenerator, mode="validation"
    )
    definitions = generated.pop("$defs", {})
    body = _tidy(generated)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "kfroster roster (users.yaml)",
        **{key: value for key, value in body.items() if key != "description"},
        "description": "Kubeflow users, profiles and permissions, compiled by kfroster.",
        "definitions": {name: _tidy(definitions[name]) for name in sorted(definitions)},
    }


def dumps_schema() -> str:
    """Return the schema as the text committed in schemas/users.schema.json."""
    return json.dumps(roster_schema(), indent=2, ensure_ascii=False) + "\n"


@cache
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(roster_schema())


def check(source: Source) -> list[Problem]:
    """Check the loaded roster against the JSON Schema; return every problem, located."""
    problems: list[Problem] = []
    for error in _validator().iter_errors(source.data):
        problems.extend(_problems_for(error, source))
    return sorted(set(problems))


def _types(expected: Any) -> str:
    """Name the JSON types a value may have: "a string", "a list or a mapping"."""
    types = expected if isinstance(expected, list) else [expected]
    return " or ".join(_JSON_TYPES.get(str(t), str(t)) for t in types)


def _type_fix(path: Sequence[str | int], expected: Any, instance: Any) -> str:
    """Suggest how to write a value of the wrong type: "; …", or ""."""
    if not path:
        return f"; {_ROOT_FIX}"
    if instance is None and isinstance(path[-1], int):
        return "; write the item after its '-', or remove the '-'"
    if instance is None:
        return "; write a value after the ':', or remove the key"
    if expected == "string" and isinstance(instance, int | float) and path[-1] == _VERSION_KEY:
        return '; write the release in quotes, like "1.10": unquoted, YAML reads 1.10 as 1.1'
    if expected == "string" and isinstance(instance, int | float):
        return "; put it in quotes if it is meant as text"
    return ""


def _describe(value: Any, *, quoting: bool = True) -> str:
    """Describe a value for a message; quote text only when quoting (never the whole file)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "empty (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return quote(value) if quoting else "text"
    if not quoting:
        return "a number"
    if isinstance(value, float):
        return f"the number {value!r}"
    return f"the number {clip(str(value), 40)}"


class Locate(Protocol):
    """Make a located problem: at the error's node, or at another path."""

    def __call__(
        self, rule: str, message: str, located: Sequence[str | int] = ..., *, key: bool = ...
    ) -> Problem: ...


# Mappings that name exactly one of two keys (a oneOf of two `required`): rule and keys.
_EXACTLY_ONE = {
    json.dumps(roster.CONTRIBUTOR_SUBJECT): ("contributor-subject", "'user' or 'group'"),
    json.dumps(roster.DESTINATION_CLUSTER): ("destination-cluster", "'name' or 'server'"),
}
_VERSION_KEY = "kubeflowVersion"  # a release number, which YAML reads as a float unquoted
_ROOT_FIX = (
    "a roster is a mapping of sections that starts with 'version: 1' at the left margin, "
    "followed by users:, profiles: and the other sections"
)
_WILDCARD_RISKS = {
    "email": "so '*@example.com' would admit everyone at example.com",
    "user-id-prefix": "so the match would admit people other than the contributor",
    "principal": "so every matching workload could send requests as any contributor",
}
_LOWER_DIGITS = string.ascii_lowercase + string.digits
_LETTERS_DIGITS = string.ascii_letters + string.digits
# The characters each format allows, to name the first one that does not belong.
_ALLOWED_CHARS = {
    "dns-label": frozenset(_LOWER_DIGITS + "-"),
    "dns-subdomain": frozenset(_LOWER_DIGITS + "-."),
    "domain": frozenset(_LOWER_DIGITS + "-."),
    "label-value": frozenset(_LETTERS_DIGITS + "-_."),
    "label-key": frozenset(_LETTERS_DIGITS + "-_./"),
    "resource-name": frozenset(_LETTERS_DIGITS + "-_./"),
    "header-name": frozenset(_LETTERS_DIGITS + "!#$%&'*+.^_`|~-"),
    "principal": frozenset(_LETTERS_DIGITS + "-_./"),
    "relative-path": frozenset(_LETTERS_DIGITS + "-_./"),
    "git-revision": frozenset(_LETTERS_DIGITS + "-_./"),
    "cluster-name": frozenset(_LETTERS_DIGITS + "-_.:/@"),
}
_LOWER_CASE_FORMATS = frozenset({"dns-label", "dns-subdomain", "domain"})
# Formats whose values start and end with a letter or digit.
_ALPHANUMERIC_ENDS = frozenset({"dns-label", "dns-subdomain", "label-value", "principal"})
_EMAIL_LOCAL_CHARS = frozenset(_LETTERS_DIGITS + ".!#$%&'+/=?^_`{|}~-")
_EMAIL_DOMAIN_CHARS = frozenset(_LETTERS_DIGITS + "-.")


def _pattern_reason(rule: str, value: Any) -> str:
    """Say what is wrong with a value that does not match its pattern: ": it …", or ""."""
    if not isinstance(value, str):
        return ""
    reason = characters.why_not_ascii(value)
    if reason is not None and rule in ("email", "domain") and "only ASCII" in reason:
        reason += _ascii_domain_hint(value.rpartition("@")[2])
    if reason is None and "*" in value and rule in _WILDCARD_RISKS:
        reason = (
            "contains '*', which Istio reads as a wildcard in the AuthorizationPolicy, "
            f"{_WILDCARD_RISKS[rule]}; write the exact value"
        )
    if reason is None:
        reason = _FORMAT_REASONS.get(rule, _character_reason)(rule, value)
    return f": it {reason}" if reason else ""


def _ascii_domain_hint(domain: str) -> str:
    """Offer the xn-- form of an internationalised domain that has no ASCII look-alike."""
    if domain.isascii() or any(characters.ascii_lookalike(c) for c in domain):
        return ""
    try:
        encoded = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return f" (an internationalised domain is written in its xn-- form: {encoded})"


def _character_reason(rule: str, value: str) -> str | None:
    """Name the first character the format does not allow, or a bad first or last one."""
    if not value:
        return "is empty"
    if rule in _LOWER_CASE_FORMATS and value != value.lower():
        return f"has upper-case letters; write {quote(value.lower())}"
    allowed = _ALLOWED_CHARS.get(rule)
    if allowed is not None:
        odd = next((char for char in value if char not in allowed), None)
        if odd is not None:
            return f"contains {odd!r}, which is not allowed here"
    if rule in _ALPHANUMERIC_ENDS:
        for end, char in (("starts", value[0]), ("ends", value[-1])):
            if not char.isalnum():
                return f"{end} with {char!r}; start and end with a letter or digit"
    return None


def _email_reason(_rule: str, email: str) -> str | None:
    local, at, domain = email.rpartition("@")
    if not at:
        return "has no '@'"
    if "@" in local:
        return "has more than one '@'"
    if not local:
        return "has nothing before the '@'"
    odd = next((char for char in local if char not in _EMAIL_LOCAL_CHARS), None)
    if odd is not None:
        return f"contains {odd!r}, which is not allowed before the '@'"
    dots = _misplaced_dots(local)
    if dots is not None:
        return (
            f"{dots}; before the '@' a '.' only joins two words (an RFC 5321 dot-atom), so "
            "no identity provider sends this address: write it as yours does"
        )
    odd = next((char for char in domain if char not in _EMAIL_DOMAIN_CHARS), None)
    if odd is not None:
        return f"has {odd!r} in its domain, which is not allowed there"
    return _domain_parts_reason(domain)


def _misplaced_dots(local: str) -> str | None:
    """Say where the local part of an email has a '.' it cannot have, or return None."""
    if local.startswith("."):
        return "starts with '.'"
    if local.endswith("."):
        return "has a '.' right before the '@'"
    if ".." in local:
        return "has '..' before the '@'"
    return None


def _domain_reason(_rule: str, domain: str) -> str | None:
    if "*" in domain:
        return "contains '*': list each domain exactly, there are no wildcards"
    return _character_reason("domain", domain) or _domain_parts_reason(domain)


def _domain_parts_reason(domain: str) -> str | None:
    if "." not in domain:
        return (
            f"has the domain {quote(domain)} without a '.'; write the full domain, like example.com"
        )
    for part in domain.split("."):
        if not part:
            return "has a domain with an empty part (a '.' at either end, or '..'); remove it"
        if part[0] == "-" or part[-1] == "-":
            return f"has the domain part {quote(part)}, which starts or ends with '-'"
        if len(part) > 63:
            return f"has a domain part {len(part)} characters long; at most 63 are allowed"
    return None


def _dns_label_reason(rule: str, name: str) -> str | None:
    if name == name.lower() and "_" in name:
        return "contains '_'; use '-' instead"
    if name == name.lower() and "." in name:
        return "contains '.', which a namespace name cannot have; use '-' instead"
    return _character_reason(rule, name)


def _label_key_reason(rule: str, key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if key.count("/") > 1:
        return "has more than one '/'; a key is an optional prefix, one '/' and a name"
    if len(name) > 63:
        return f"has a name after the prefix {len(name)} characters long; at most 63 are allowed"
    if slash and not name:
        return "has nothing after the '/'"
    if slash and prefix != prefix.lower():
        return f"has upper-case letters in its prefix; write {quote(prefix.lower())}"
    return _character_reason(rule, key)


def _template_reason(rule: str, value: str) -> str | None:
    """Name '{' or '}' in a value the ApplicationSet's Go template would evaluate."""
    if "{" in value or "}" in value:
        return (
            "contains '{' or '}', which the ApplicationSet's Go template would evaluate; "
            "write the value itself"
        )
    return _character_reason(rule, value)


def _url_reason(rule: str, url: str) -> str | None:
    if url.startswith("http://"):
        instead = "https or ssh" if rule == "repo-url" else "https"
        return (
            "uses plain http, so anyone on the way could change what the engine applies; "
            f"use {instead}"
        )
    user, at, _ = url.partition("://")[2].partition("/")[0].rpartition("@")
    if at and ":" in user:
        return "holds a password; give Argo CD the credentials in a repository secret instead"
    return _template_reason(rule, url)


def _relative_path_reason(rule: str, path: str) -> str | None:
    if path.startswith("/"):
        return "is absolute; write it relative to the repository, like out"
    if ".." in path.split("/"):
        return "climbs out with '..'; it must stay inside the repository"
    if path.startswith("./") or path.endswith("/"):
        return "starts with './' or ends with '/'; write the bare path, like clusters/prod/out"
    if any(char in path for char in "*?[]\\"):
        return "has a glob character, which Argo CD's Git generator would expand"
    return _character_reason(rule, path)


_FORMAT_REASONS: dict[str, Callable[[str, str], str | None]] = {
    "relative-path": _relative_path_reason,
    "repo-url": _url_reason,
    "cluster-server": _url_reason,
    "cluster-name": _template_reason,
    "git-revision": _template_reason,
    "email": _email_reason,
    "domain": _domain_reason,
    "dns-label": _dns_label_reason,
    "label-key": _label_key_reason,
}


def _problems_for(error: ValidationError, source: Source) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    where = path_text(path)

    def at(
        rule: str, message: str, located: Sequence[str | int] = path, *, key: bool = False
    ) -> Problem:
        line, col = source.locate(located, key=key)
        return Problem(source.name, line, col, rule, message, path=tuple(located))

    # jsonschema types these attributes loosely; a roster error always has them.
    validator: Any = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if "propertyNames" in error.relative_schema_path:
        # A mapping key is wrong: point at the key, name it.
        key = str(instance)
        if validator == "pattern":
            rule, meaning = _PATTERN_MEANINGS.get(str(value), ("key", f"match {value}"))
        else:
            rule, meaning = "too-long", f"at most {value} characters long"
        reason = _pattern_reason(rule, key) if validator == "pattern" else "; shorten it"
        message = f"key {quote(key)} in {where} must be {meaning}{reason}"
        yield at(rule, message, (*path, key), key=True)
        return
    if validator == "additionalProperties" and schema.get("additionalProperties") is False:
        allowed = sorted(schema.get("properties", {}))
        for unknown in sorted(set(instance) - set(allowed)):
            fix = did_you_mean(unknown, allowed) or "remove it"
            yield at(
                "unknown-key",
                f"unknown key {quote(unknown)} in {where}; {fix} (allowed: {', '.join(allowed)})",
                (*path, unknown),
                key=True,
            )
    elif validator == "required":
        present = instance if isinstance(instance, dict) else {}
        for missing in value:
            if missing not in present:
                yield at("required", f"{where} is missing the required key {missing!r}")
    elif validator == "type":
        if "enum" in schema or "const" in schema:
            return  # the enum's own problem names the allowed values already
        fix = _type_fix(path, value, instance)
        # A whole file that is no mapping is likely no roster at all (a credential, a key):
        # its text is not repeated into a log.
        shown = _describe(instance, quoting=bool(path))
        yield at("type", f"{where} must be {_types(value)}, not {shown}{fix}")
    elif validator in ("enum", "const"):
        options = value if validator == "enum" else [value]
        wanted = str(options[0]) if len(options) == 1 else "one of " + ", ".join(map(str, options))
        reason = _pattern_reason("enum", instance)
        yield at("enum", f"{where} must be {wanted}; got {_describe(instance)}{reason}")
    elif validator == "pattern":
        rule, meaning = _PATTERN_MEANINGS.get(str(value), ("pattern", f"match {value}"))
        reason = _pattern_reason(rule, instance)
        yield at(rule, f"{where} must be {meaning}; got {_describe(instance)}{reason}")
    elif validator == "maxLength":
        yield at(
            "too-long",
            f"{where} is {len(instance):,} characters long; at most {value} are allowed, "
            "shorten it",
        )
    elif validator == "minimum":
        yield at("minimum", f"{where} must be at least {value}; got {_describe(instance)}")
    elif validator == "maximum":
        yield at("maximum", f"{where} must be at most {value}; got {_describe(instance)}")
    elif validator in ("oneOf", "anyOf"):
        yield from _alternatives(error, source, at, where)
    else:
        yield at("schema", f"{where}: {error.message}")


def _tag_mismatches(error: ValidationError) -> list[ValidationError]:
    """Return the alternatives' failures on a tag (a `kind` that must be one constant)."""
    return [e for e in error.context or () if e.validator == "const" and len(e.relative_path) == 1]


def _tagged_alternative(error: ValidationError) -> list[ValidationError] | None:
    """Return the failures of the alternative to explain; None when no tag matches.

    For a plugin, the alternative whose `kind` matches says what is wrong, not the
    first one tried: an AwsIamForServiceAccount plugin is not told about gcpServiceAccount.
    """
    causes = list(error.context or ())
    mismatched = {e.relative_schema_path[0] for e in _tag_mismatches(error)}
    if not mismatched:
        return causes
    branches = {e.relative_schema_path[0] for e in causes}
    remaining = [e for e in causes if e.relative_schema_path[0] not in mismatched]
    return remaining if branches - mismatched else None


def _unknown_tag(error: ValidationError, at: Locate) -> Problem:
    mismatches = _tag_mismatches(error)
    key = str(mismatches[0].relative_path[0])
    allowed = ", ".join(str(e.validator_value) for e in mismatches)
    path = (*error.absolute_path, key)
    return at(
        "enum",
        f"{path_text(path)} must be one of {allowed}; got {_describe(mismatches[0].instance)}",
        path,
    )


def _alternatives(
    error: ValidationError, source: Source, at: Locate, where: str
) -> Iterator[Problem]:
    exactly_one = _EXACTLY_ONE.get(json.dumps(error.validator_value))
    if exactly_one is not None:
        rule, keys = exactly_one
        if isinstance(error.instance, dict):  # anything else has its own type problem
            yield at(rule, f"{where} must name exactly one of {keys}")
        return
    if isinstance(error.instance, float | bool):
        # Only quantities offer alternatives of scalar types (a whole number or a string).
        yield at(
            "quantity",
            f"{where} must be a whole number or a quoted Kubernetes quantity such as "
            f'"500m" or 32Gi; got {_describe(error.instance)}',
        )
        return
    if error.context:
        causes = _tagged_alternative(error)
        if causes is None:
            yield _unknown_tag(error, at)
            return
        # Prefer the alternative of the instance's own type: for `memory: 32GB` the
        # string's pattern, not "must be a whole number".
        same_type = [e for e in causes if e.validator != "type"]
        cause = best_match(same_type or causes)
        if cause is not None:
            yield from _problems_for(cause, source)
            return
    yield at("schema", f"{where}: {error.message}")
