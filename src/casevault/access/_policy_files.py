"""Loading ``policies/``: read, parse, validate against the schema, check our own rules.

Everything here runs once, at start-up, and every problem is a ``ConfigError``:
the guard refuses to start rather than run with policies it cannot trust (fail
closed). Beyond Cedar's own validation, the rules casevault adds are:

- the schema's enumerations equal the Python vocabularies (a role added in one
  place and not the other would silently never match);
- every policy has a unique ``@id``, every ``forbid`` a ``@reason`` (what the
  refused person is told), and every policy that names the ``asylum`` category
  an ``@asylum`` annotation stating its basis under 8 CFR 208.6;
- policies never name an individual user, case or person (access comes from
  roles, relationships and approvals; the engine hides ids from Cedar anyway);
- the baseline prohibitions of invariant 4 are present, and at least one permit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import cedarpy

from casevault.errors import ConfigError

SCHEMA_FILE: Final = "casevault.cedarschema"
NAMESPACE: Final = "Casevault"

REQUIRED_FORBIDS: Final = frozenset({
    "forbid-account-not-active",
    "forbid-training-not-current",
    "forbid-mfa-not-verified",
    "forbid-outside-party-records",
    "forbid-outside-party-asylum",
    "forbid-statistics-record-level",
})
"""Prohibitions whose absence would break an invariant; start-up fails without them."""

_ENUM = re.compile(r"entity\s+(\w+)\s+enum\s*\[([^\]]*)\]")
_NAMED_RECORD_TYPES: Final = frozenset(f"{NAMESPACE}::{t}" for t in ("User", "Case", "Person"))


@dataclass(frozen=True, slots=True)
class LoadedPolicies:
    """The parsed, validated policy set and what the engine needs to explain its decisions."""

    policy_set: cedarpy.PolicySet
    schema: cedarpy.Schema
    ids: Mapping[str, str]
    """Cedar's positional id (``policy0``) to the policy's ``@id``."""
    order: Mapping[str, int]
    """``@id`` to its position in the files: reasons and ids are reported in this order."""
    reasons: Mapping[str, str]
    """``@id`` of each forbid to the message shown to the person it refuses."""
    asylum_policies: frozenset[str]
    """``@id`` of the permits naming the asylum category (each states its basis in ``@asylum``)."""


def load_policies(directory: Path, vocabularies: Mapping[str, type[StrEnum]]) -> LoadedPolicies:
    """Read ``directory`` (``*.cedar`` and the schema) and check it; ``ConfigError`` if unusable."""
    schema_text = _read(directory / SCHEMA_FILE)
    schema = _parse_schema(schema_text)
    _check_vocabularies(schema_text, vocabularies)
    text = _policy_text(directory)
    policy_set = _parse(text)
    _validate(text, schema)
    policies = _static_policies(text)
    ids = _ids(policies)
    _check_rules(policies, ids)
    return LoadedPolicies(
        policy_set=policy_set,
        schema=schema,
        ids=ids,
        order={policy_id: n for n, policy_id in enumerate(ids.values())},
        reasons={ids[key]: p["annotations"]["reason"] for key, p in policies.items()
                 if p["effect"] == "forbid"},
        asylum_policies=frozenset(ids[key] for key, p in policies.items()
                                  if p["effect"] == "permit" and _names_asylum(p)),
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read policy file {path} ({type(exc).__name__}); the guard cannot start"
        raise ConfigError(msg) from exc


def _parse_schema(text: str) -> cedarpy.Schema:
    try:
        return cedarpy.Schema.from_str(text)
    except ValueError as exc:
        msg = f"the Cedar schema {SCHEMA_FILE} does not parse: {exc}"
        raise ConfigError(msg) from exc


def _check_vocabularies(schema_text: str, vocabularies: Mapping[str, type[StrEnum]]) -> None:
    declared = {name: {v.strip().strip('"') for v in values.split(",") if v.strip()}
                for name, values in _ENUM.findall(schema_text)}
    for name, vocabulary in vocabularies.items():
        expected = {member.value for member in vocabulary}
        if declared.get(name) != expected:
            msg = (f"{SCHEMA_FILE}: enumeration {name} must list exactly {sorted(expected)} "
                   f"(it lists {sorted(declared.get(name, ()))})")
            raise ConfigError(msg)


def _policy_text(directory: Path) -> str:
    files = sorted(directory.glob("*.cedar"))
    text = "\n".join(_read(path) for path in files)
    if not text.strip():
        msg = f"no policies in {directory}: the guard would refuse everything; not starting"
        raise ConfigError(msg)
    return text


def _parse(text: str) -> cedarpy.PolicySet:
    try:
        return cedarpy.PolicySet.from_str(text)
    except ValueError as exc:
        msg = f"the policies do not parse: {exc}"
        raise ConfigError(msg) from exc


def _validate(text: str, schema: cedarpy.Schema) -> None:
    result = cedarpy.validate_policies(text, schema)
    if not result.validation_passed:
        named = result.id_annotations_by_policy_id
        problems = "; ".join(f"[{named.get(e.policy_id, e.policy_id)}] {e.error}"
                             for e in result.errors)
        msg = f"the policies do not validate against {SCHEMA_FILE}: {problems}"
        raise ConfigError(msg)


def _static_policies(text: str) -> dict[str, dict[str, Any]]:
    document = json.loads(cedarpy.policies_to_json_str(text))
    if document.get("templates"):
        msg = "policy templates are not used by casevault; write static policies"
        raise ConfigError(msg)
    policies: dict[str, dict[str, Any]] = document.get("staticPolicies", {})
    return policies


def _ids(policies: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for key, policy in sorted(policies.items(), key=lambda item: _position(item[0])):
        policy_id = policy.get("annotations", {}).get("id", "")
        if not policy_id:
            msg = f"a policy has no @id annotation ({key}); give every policy a readable id"
            raise ConfigError(msg)
        if policy_id in ids.values():
            msg = f"two policies share the @id {policy_id!r}"
            raise ConfigError(msg)
        ids[key] = policy_id
    return ids


def _position(cedar_id: str) -> int:
    """Cedar numbers policies in file order (``policy0``, ``policy1``, ...)."""
    return int(cedar_id.removeprefix("policy"))


def _check_rules(policies: Mapping[str, Mapping[str, Any]], ids: Mapping[str, str]) -> None:
    for key, policy in policies.items():
        policy_id, annotations = ids[key], policy.get("annotations", {})
        if policy["effect"] == "forbid" and not annotations.get("reason"):
            msg = f"forbid policy {policy_id!r} needs a @reason telling the person what to do"
            raise ConfigError(msg)
        if _names_asylum(policy) and policy["effect"] == "permit" and not annotations.get("asylum"):
            msg = f"policy {policy_id!r} grants asylum data and must state its basis in @asylum"
            raise ConfigError(msg)
        if any(entity["type"] in _NAMED_RECORD_TYPES for entity in _entities(policy)):
            msg = f"policy {policy_id!r} names an individual user or record; grant by role instead"
            raise ConfigError(msg)
    effects = {ids[key]: policy["effect"] for key, policy in policies.items()}
    missing = sorted(p for p in REQUIRED_FORBIDS if effects.get(p) != "forbid")
    if missing:
        msg = f"required prohibitions are missing from the policies: {', '.join(missing)}"
        raise ConfigError(msg)
    if "permit" not in effects.values():
        msg = "the policies permit nothing: the guard would refuse everything; not starting"
        raise ConfigError(msg)


def _names_asylum(policy: Mapping[str, Any]) -> bool:
    return any(entity == {"type": f"{NAMESPACE}::Category", "id": "asylum"}
               for entity in _entities(policy))


def _entities(node: object) -> Iterator[dict[str, str]]:
    """Every entity literal (``{"type": ..., "id": ...}``) in a policy's JSON form."""
    if isinstance(node, dict):
        if set(node) == {"type", "id"} and all(isinstance(v, str) for v in node.values()):
            yield node
            return
        for value in node.values():
            yield from _entities(value)
    elif isinstance(node, list):
        for item in node:
            yield from _entities(item)
