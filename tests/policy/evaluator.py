"""A small offline IAM evaluator for the policies this app writes (TEST TOOLING).

It answers one question: may this principal do this action on this resource, given the
identity policies, the resource policy and the request context? It follows the documented
evaluation logic for requests inside one account:

- an explicit Deny in any policy wins;
- a service principal needs an Allow in the resource policy (it has no identity policies);
- an IAM role needs an Allow in its identity policies or a resource policy naming it;
- a KMS key policy is authoritative: it must allow the principal itself, or allow the
  account root, which then delegates to the role's identity policies.

Statements match on Action/NotAction (case-insensitive wildcards), Resource/NotResource
(case-sensitive wildcards), Principal (``*``, account, role ARN, service) and Condition with
the String*, Arn*, Bool, Null and Numeric* operators, their ``IfExists`` forms and the
``ForAnyValue:``/``ForAllValues:`` set qualifiers. Anything else raises, rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY = "Allow", "Deny"
Policy = Mapping[str, Any]


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not implement."""


@dataclass(frozen=True)
class Principal:
    """Who asks: a service (``cloudwatch.amazonaws.com``) or an IAM role ARN."""

    service: str | None = None
    role_arn: str | None = None

    @property
    def account(self) -> str | None:
        return self.role_arn.split(":")[4] if self.role_arn else None


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards: ``*`` any run, ``?`` one character; nothing else is special."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.fullmatch(regex, value, flags) is not None


def _matches_any(patterns: Any, value: str, *, ignore_case: bool = False) -> bool:
    return any(_wildcard(p, value, ignore_case=ignore_case) for p in _as_list(patterns))


def _principal_matches(spec: Any, principal: Principal) -> bool:
    if spec == "*":
        return True
    if not isinstance(spec, Mapping):
        raise UnsupportedPolicy(f"principal {spec!r}")
    if principal.service is not None:
        return principal.service in _as_list(spec.get("Service", []))
    for entry in _as_list(spec.get("AWS", [])):
        if entry == "*" or entry == principal.role_arn:
            return True
        if entry in (principal.account, f"arn:aws:iam::{principal.account}:root"):
            return True
    return False


def _compare(operator: str, expected: str, actual: Any) -> bool:
    base = operator.removesuffix("IfExists")
    actual_text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    if base in ("StringEquals", "ArnEquals"):
        return actual_text == expected
    if base == "StringEqualsIgnoreCase":
        return actual_text.lower() == expected.lower()
    if base in ("StringLike", "ArnLike"):
        return _wildcard(expected, actual_text)
    if base == "Bool":
        return actual_text.lower() == str(expected).lower()
    if base.startswith("Numeric"):
        number, bound = float(actual_text), float(expected)
        return {
            "NumericEquals": number == bound,
            "NumericLessThan": number < bound,
            "NumericLessThanEquals": number <= bound,
            "NumericGreaterThan": number > bound,
            "NumericGreaterThanEquals": number >= bound,
        }[base]
    raise UnsupportedPolicy(f"condition operator {operator}")


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    qualifier, _, operator = operator.rpartition(":")
    lowered = {k.lower(): v for k, v in context.items()}
    present = key.lower() in lowered
    if operator == "Null":
        return (not present) == (str(expected).lower() == "true")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = base in NEGATED
    positive = NEGATED.get(base, base)
    if not present:
        if qualifier == "ForAllValues":
            return True
        return if_exists or (negated and qualifier != "ForAnyValue")
    values = lowered[key.lower()]
    expected_values = [str(e) for e in _as_list(expected)]

    def one(value: Any) -> bool:
        hit = any(_compare(positive, e, value) for e in expected_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in _as_list(values))
    if qualifier == "ForAnyValue":
        return any(one(v) for v in _as_list(values))
    if qualifier:
        raise UnsupportedPolicy(f"condition qualifier {qualifier}")
    if isinstance(values, list):
        raise UnsupportedPolicy(f"{key} is multi-valued; use ForAnyValue/ForAllValues")
    return one(values)


def statement_applies(
    statement: Mapping[str, Any], request: Request, *, resource_policy: bool
) -> bool:
    """Does this statement cover the request (whatever its effect)?"""
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal")
    if resource_policy and not _principal_matches(statement.get("Principal"), request.principal):
        return False
    if "Action" in statement:
        if not _matches_any(statement["Action"], request.action, ignore_case=True):
            return False
    elif _matches_any(statement["NotAction"], request.action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches_any(statement["Resource"], request.resource):
            return False
    elif "NotResource" in statement:
        if _matches_any(statement["NotResource"], request.resource):
            return False
    elif not resource_policy:
        raise UnsupportedPolicy("identity statement without Resource")
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _effects(policies: Sequence[Policy], request: Request, *, resource_policy: bool) -> set[str]:
    return {
        statement["Effect"]
        for policy in policies
        for statement in _as_list(policy.get("Statement", []))
        if statement_applies(statement, request, resource_policy=resource_policy)
    }


def is_allowed(
    request: Request,
    *,
    identity_policies: Sequence[Policy] = (),
    resource_policies: Sequence[Policy] = (),
    key_policy: Policy | None = None,
) -> bool:
    """The decision for a request in the principal's own account (no SCPs or boundaries)."""
    identity = _effects(identity_policies, request, resource_policy=False)
    resource = _effects(resource_policies, request, resource_policy=True)
    if DENY in identity or DENY in resource:
        return False
    if key_policy is not None:
        key = _effects([key_policy], request, resource_policy=True)
        if DENY in key:
            return False
        if request.principal.service is not None:
            return ALLOW in key
        # A statement for the account root delegates to IAM; one naming the role does not.
        root = Request(
            Principal(role_arn=f"arn:aws:iam::{request.principal.account}:root"),
            request.action,
            request.resource,
            request.context,
        )
        names_principal = any(
            statement["Effect"] == ALLOW
            and statement_applies(statement, request, resource_policy=True)
            and not statement_applies(statement, root, resource_policy=True)
            for statement in _as_list(key_policy.get("Statement", []))
        )
        return names_principal or (ALLOW in key and ALLOW in identity)
    if request.principal.service is not None:
        return ALLOW in resource
    return ALLOW in identity or ALLOW in resource


__all__ = ["Principal", "Request", "UnsupportedPolicy", "is_allowed"]
