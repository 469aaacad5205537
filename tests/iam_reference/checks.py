"""Each policy statement against the Service Authorization Reference (TEST TOOLING).

For every statement, Allow and Deny, Action and NotAction: each action exists (a wildcard
matches at least one); each condition key is global or listed by the reference for every
action named; each resource ARN matches a format of a resource type the actions accept, and
each action accepts at least one of the resources (otherwise it is granted on nothing); each
principal is well formed. A finding is one line: where, what is wrong, what the reference says.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .policies import Located
from .reference import Action, Reference

SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
ACCOUNT = r"\d{12}"
IAM_PRINCIPAL = re.compile(
    rf"{ACCOUNT}|arn:aws[a-z-]*:iam::{ACCOUNT}:(root|role/.+|user/.+)"
    rf"|arn:aws[a-z-]*:sts::{ACCOUNT}:assumed-role/.+"
)
FEDERATED_PRINCIPAL = re.compile(
    rf"arn:aws[a-z-]*:iam::{ACCOUNT}:(saml-provider|oidc-provider)/.+|[a-z0-9.-]+\.[a-z]{{2,}}"
)
CANONICAL_USER = re.compile(r"[0-9a-f]{64}")
# Principal type -> (what a value must match, how the finding describes it).
PRINCIPAL_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "Service": (SERVICE_PRINCIPAL, "a service principal ending in .amazonaws.com"),
    "AWS": (
        IAM_PRINCIPAL,
        "a 12-digit account, arn:aws:iam::<account>:root or an IAM role/user ARN",
    ),
    "Federated": (FEDERATED_PRINCIPAL, "an identity provider ARN or domain"),
    "CanonicalUser": (CANONICAL_USER, "64 hex digits"),
}
EFFECTS = ("Allow", "Deny")
SHOWN_FORMATS = 3


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Finding:
    """One problem, printed as one line: where it is, then what is wrong."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass
class Counts:
    """What was checked, per template."""

    statements: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    resources: Counter[str] = field(default_factory=Counter)
    condition_keys: Counter[str] = field(default_factory=Counter)
    principals: Counter[str] = field(default_factory=Counter)

    def add(self, located: Located) -> None:
        template, statement = located.origin.template, located.statement
        self.statements[template] += 1
        action = statement.get("Action", statement.get("NotAction", []))
        self.actions[template] += len(as_list(action))
        resource = statement.get("Resource", statement.get("NotResource", []))
        self.resources[template] += len(as_list(resource))
        conditions = (statement.get("Condition") or {}).values()
        self.condition_keys[template] += sum(len(c) for c in conditions if isinstance(c, Mapping))
        principal = statement.get("Principal", statement.get("NotPrincipal"))
        if isinstance(principal, Mapping):
            self.principals[template] += sum(len(as_list(v)) for v in principal.values())
        elif principal is not None:
            self.principals[template] += 1

    def line(self, template: str) -> str:
        return (
            f"{template}: {self.statements[template]} statements, {self.actions[template]} "
            f"actions, {self.resources[template]} resources, {self.condition_keys[template]} "
            f"condition keys, {self.principals[template]} principals"
        )


def _formats(actions: Iterable[Action], near: str = "") -> str:
    """The accepted ARN formats, those most like ``near`` first (a few; the rest counted)."""
    formats = list(dict.fromkeys(rt.arn_format for a in actions for rt in a.resource_types))
    if near:
        formats.sort(key=lambda f: -difflib.SequenceMatcher(None, f, near).ratio())
    shown = ", ".join(formats[:SHOWN_FORMATS])
    more = len(formats) - SHOWN_FORMATS
    return shown + (f" (+{more} more)" if more > 0 else "")


class StatementCheck:
    """The checks of one statement; ``findings`` collects what is wrong with it."""

    def __init__(self, reference: Reference, located: Located) -> None:
        self.reference, self.located = reference, located
        self.statement = located.statement
        self.findings: list[Finding] = []
        # Each action as written -> the reference actions it stands for ("*": all).
        self.actions: dict[str, list[Action] | None] = {}

    def report(self, problem: str) -> None:
        self.findings.append(Finding(str(self.located), problem))

    def run(self) -> list[Finding]:
        if self.located.problem:
            self.report(self.located.problem)
            return self.findings
        if self.statement.get("Effect") not in EFFECTS:
            self.report(f"Effect is {self.statement.get('Effect')!r}, not Allow or Deny")
        self.check_actions()
        self.check_conditions()
        self.check_resources()
        self.check_principals()
        return self.findings

    # -- 1. actions ----------------------------------------------------------------------------
    def check_actions(self) -> None:
        element = "Action" if "Action" in self.statement else "NotAction"
        if element not in self.statement:
            self.report("has neither Action nor NotAction")
            return
        for written in as_list(self.statement[element]):
            if written == "*":
                self.actions[written] = None
                continue
            prefix, _, name = str(written).partition(":")
            service = self.reference.service(prefix)
            if service is None or not name:
                self.report(f"{element} {written!r}: no service {prefix!r} in the reference")
                continue
            found = self.reference.actions(written)
            if not found:
                near = difflib.get_close_matches(
                    name.lower(), list(service.actions), n=2, cutoff=0.75
                )
                hint = ", ".join(f"{prefix}:{service.actions[n].name}" for n in near)
                self.report(
                    f"{element} {written!r} matches no action of {prefix} in the reference"
                    + (f" (did you mean {hint}?)" if hint else "")
                )
                continue
            self.actions[written] = found

    @property
    def negated(self) -> bool:
        return "NotAction" in self.statement

    # -- 2. condition keys -------------------------------------------------------------------
    def check_conditions(self) -> None:
        for operator, clauses in (self.statement.get("Condition") or {}).items():
            if not isinstance(clauses, Mapping):
                self.report(f"Condition {operator!r} is not a map of keys to values")
                continue
            for key in clauses:
                self.check_key(str(key))

    def check_key(self, key: str) -> None:
        if self.reference.is_global_key(key):
            return
        if not self.reference.is_known_key(key):
            self.report(f"condition key {key!r} is not in the reference (nor a global key)")
            return
        if self.negated:
            return  # NotAction: every other action; no single action to hold the key to
        for written, actions in self.actions.items():
            if actions is None:
                continue  # "*": some action has it, as the key exists
            if not any(a.supports_key(key) for a in actions):
                listed = sorted({k for a in actions for k in a.all_condition_keys}) or ["none"]
                self.report(
                    f"condition key {key!r} does not apply to {written}: the reference lists "
                    f"{', '.join(listed)}"
                )

    # -- 3. resources ------------------------------------------------------------------------
    def check_resources(self) -> None:
        if "Resource" not in self.statement and "NotResource" not in self.statement:
            if self.located.origin.kind == "identity":
                self.report("has neither Resource nor NotResource")
            return
        element = "Resource" if "Resource" in self.statement else "NotResource"
        resources = [str(r) for r in as_list(self.statement[element])]
        for arn in resources:
            if arn != "*" and not arn.startswith("arn:"):
                self.report(f"{element} {arn!r} is neither '*' nor an ARN")
        arns = [r for r in resources if r.startswith("arn:")]
        if element == "NotResource" or self.negated or "*" in self.actions:
            for arn in arns:
                if not self.reference.resource_types_for_arn(arn):
                    self.report(
                        f"{element} {arn} matches no resource type of its service in the reference"
                    )
            return
        if arns:
            self.check_grants(arns, wildcard="*" in resources)

    def check_grants(self, arns: list[str], *, wildcard: bool) -> None:
        """Each ARN is accepted by some action; each action accepts some resource."""
        accepted_by = {
            arn: [w for w, acts in self.actions.items() if _accepts(acts, arn)] for arn in arns
        }
        usable = [
            w for w in self.actions if wildcard or any(w in by for by in accepted_by.values())
        ]
        for written, actions in self.actions.items():
            if written in usable or actions is None:
                continue
            if not any(a.resource_types for a in actions):
                self.report(
                    f"{written} takes no resource type in the reference, which then requires "
                    f"Resource '*': granted on {', '.join(arns)} it does not apply"
                )
            else:
                self.report(
                    f"{written} is granted on nothing: none of {', '.join(arns)} matches its "
                    f"resource types ({_formats(actions, arns[0])})"
                )
        if not usable:
            return  # every action is reported above, with the resources
        for arn, by in accepted_by.items():
            if not by:
                known = [a for acts in self.actions.values() for a in acts or ()]
                self.report(
                    f"Resource {arn} matches no resource type of {', '.join(self.actions)} "
                    f"({_formats(known, arn) or 'they take only *'})"
                )

    # -- 4. principals -----------------------------------------------------------------------
    def check_principals(self) -> None:
        kind = self.located.origin.kind
        has = [p for p in ("Principal", "NotPrincipal") if p in self.statement]
        if kind == "identity":
            if has:
                self.report(f"an identity policy takes no {has[0]}")
            return
        if not has:
            self.report(f"a {kind} policy statement needs a Principal")
            return
        principal = self.statement[has[0]]
        if principal == "*":
            return
        if not isinstance(principal, Mapping):
            self.report(f"{has[0]} {principal!r} is neither '*' nor a map")
            return
        for kind_of, values in principal.items():
            for value in as_list(values):
                self.check_principal(str(kind_of), str(value))

    def check_principal(self, kind_of: str, value: str) -> None:
        if kind_of not in PRINCIPAL_FORMS:
            self.report(
                f"principal type {kind_of!r} is not Service, AWS, Federated or CanonicalUser"
            )
            return
        pattern, expected = PRINCIPAL_FORMS[kind_of]
        if not (value == "*" and kind_of == "AWS") and not pattern.fullmatch(value):
            self.report(f"principal {kind_of} {value!r} is not {expected}")


def _accepts(actions: list[Action] | None, arn: str) -> bool:
    return actions is not None and any(a.accepts_arn(arn) for a in actions)


def check(
    reference: Reference, statements: Iterable[Located], counts: Counts | None = None
) -> list[Finding]:
    """All findings of ``statements``; ``counts`` (if given) tallies what was checked."""
    findings: list[Finding] = []
    for located in statements:
        findings += StatementCheck(reference, located).run()
        if counts is not None:
            counts.add(located)
    return findings
