"""The roster's JSON Schema: generated from the models, and checked against a loaded roster."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from compiler import models
from compiler.problems import Problem, path_text
from compiler.source import Source

SCHEMA_PATH = "schemas/users.schema.json"
SCHEMA_ID = "https://kfroster.dev/schemas/users.schema.json"

# What each pattern means, in words a newcomer can act on; rule ids name the format.
_PATTERN_MEANINGS: dict[str, tuple[str, str]] = {
    models.DNS_LABEL_PATTERN: (
        "dns-label",
        "a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a "
        "letter or digit",
    ),
    models.EMAIL_PATTERN: (
        "email",
        "an email address in plain ASCII, like alice@example.com (write an internationalised "
        "domain in its xn-- form)",
    ),
    models.DOMAIN_PATTERN: ("domain", "a lower-case DNS domain such as example.com"),
    models.QUANTITY_PATTERN: (
        "quantity",
        'a Kubernetes quantity such as 8, "500m", 32Gi or 1e3',
    ),
    models.RESOURCE_NAME_PATTERN: (
        "resource-name",
        "a Kubernetes resource name such as cpu, memory, pods or requests.nvidia.com/gpu",
    ),
    models.LABEL_KEY_PATTERN: ("label-key", "a Kubernetes label key such as example.com/team"),
    models.LABEL_VALUE_PATTERN: (
        "label-value",
        "a Kubernetes label value: letters, digits, '-', '_' and '.', starting and ending "
        "with a letter or digit",
    ),
    models.HEADER_PATTERN: ("header-name", "an HTTP header name such as kubeflow-userid"),
    models.PREFIX_PATTERN: ("user-id-prefix", "printable ASCII without spaces or newlines"),
    models.PRINCIPAL_PATTERN: (
        "principal",
        "an Istio principal such as cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
    ),
    models.GCP_SERVICE_ACCOUNT_PATTERN: (
        "gcp-service-account",
        "a Google service account email such as name@project.iam.gserviceaccount.com",
    ),
    models.AWS_IAM_ROLE_PATTERN: (
        "aws-iam-role",
        "an AWS IAM role ARN such as arn:aws:iam::123456789012:role/name",
    ),
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
    """Generate the roster's JSON Schema from the models."""
    generated = models.Roster.model_json_schema(
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


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "empty (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
    if isinstance(value, float):
        return f"the number {value!r}"
    text = str(value)
    return f"the number {text if len(text) <= 40 else text[:37] + '...'}"


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
        yield at(rule, f"key {key!r} in {where} must be {meaning}", (*path, key), key=True)
        return
    if validator == "additionalProperties" and schema.get("additionalProperties") is False:
        allowed = sorted(schema.get("properties", {}))
        for unknown in sorted(set(instance) - set(allowed)):
            hint = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.6)
            fix = f"did you mean {hint[0]!r}?" if hint else "remove it"
            yield at(
                "unknown-key",
                f"unknown key {unknown!r} in {where}; {fix} (allowed: {', '.join(allowed)})",
                (*path, unknown),
                key=True,
            )
    elif validator == "required":
        present = instance if isinstance(instance, dict) else {}
        for missing in value:
            if missing not in present:
                yield at("required", f"{where} is missing the required key {missing!r}")
    elif validator == "type":
        expected = value
        types = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_JSON_TYPES.get(str(t), str(t)) for t in types)
        yield at("type", f"{where} must be {wanted}, not {_describe(instance)}")
    elif validator in ("enum", "const"):
        options = value if validator == "enum" else [value]
        wanted = str(options[0]) if len(options) == 1 else "one of " + ", ".join(map(str, options))
        yield at("enum", f"{where} must be {wanted}; got {_describe(instance)}")
    elif validator == "pattern":
        rule, meaning = _PATTERN_MEANINGS.get(str(value), ("pattern", f"match {value}"))
        yield at(rule, f"{where} must be {meaning}; got {_describe(instance)}")
    elif validator == "maxLength":
        yield at(
            "too-long",
            f"{where} is {len(instance)} characters long; at most {value} are allowed",
        )
    elif validator == "minimum":
        yield at("minimum", f"{where} must be at least {value}; got {instance}")
    elif validator in ("oneOf", "anyOf"):
        yield from _alternatives(error, source, at, where)
    else:
        yield at("schema", f"{where}: {error.message}")


def _alternatives(
    error: ValidationError, source: Source, at: Callable[[str, str], Problem], where: str
) -> Iterator[Problem]:
    if error.validator_value == models.CONTRIBUTOR_SUBJECT:
        yield at("contributor-subject", f"{where} must name exactly one of 'user' or 'group'")
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
        # Prefer the alternative of the instance's own type: for `memory: 32GB` the
        # string's pattern, not "must be a whole number".
        same_type = [e for e in error.context if e.validator != "type"]
        cause = best_match(same_type or error.context)
        if cause is not None:
            yield from _problems_for(cause, source)
            return
    yield at("schema", f"{where}: {error.message}")
