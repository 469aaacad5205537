"""Synth-time validation that reports every bad prop at once."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Token
from constructs import IConstruct


class AgentRuntimeValidationError(ValueError):
    """Raised at synth when props are out of the service's limits; one line per problem."""


class ProblemList:
    """Collects problems so a user fixes them all in one round instead of one per synth."""

    def __init__(self, construct: IConstruct) -> None:
        self._construct = construct  # its path is read (a jsii round trip) only to report
        self._problems: list[str] = []

    def add(self, prop: str, value: Any, expected: str) -> None:
        self._problems.append(f"{prop}={value!r}: {expected}")

    def raise_if_any(self) -> None:
        if self._problems:
            lines = "\n".join(f"  - {p}" for p in self._problems)
            path = self._construct.node.path
            raise AgentRuntimeValidationError(f"Invalid props at {path}:\n{lines}")


# How CDK encodes a deploy-time value inside a string; matching it here saves a jsii round trip
# per check (``Token.is_unresolved``), which adds up over many runtimes in one stack.
TOKEN_IN_STRING = re.compile(r"\$\{Token\[[\w.]+\.\d+\]\}")


def is_token(value: Any) -> bool:
    """True for values only known at deploy time; those are left to CloudFormation."""
    if isinstance(value, str):
        return TOKEN_IN_STRING.search(value) is not None
    return Token.is_unresolved(value)


def check_range(
    problems: ProblemList, prop: str, value: int | None, low: int, high: int, unit: str
) -> None:
    if value is not None and not low <= value <= high:
        problems.add(prop, value, f"must be between {low} and {high} {unit}")


def check_pattern(
    problems: ProblemList, prop: str, value: str | None, pattern: str, expected: str
) -> None:
    if value is None or is_token(value):
        return
    if not re.fullmatch(pattern, value):
        problems.add(prop, value, expected)
