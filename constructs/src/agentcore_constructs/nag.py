"""cdk-nag acknowledgments a construct owns, by the exact id the report prints.

A bare rule id does not cover a finding with a qualifier (``AwsSolutions-IAM5[Resource::...]``),
so each acknowledgment names the one resource it is for; a new wildcard anywhere else still fails.
"""

from __future__ import annotations

from functools import cache

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

from .stack_env import stack_env
from .validation import is_token


@cache
def _printed_environment(partition: str, region: str, account: str) -> tuple[str, str, str]:
    """A stack's partition, region and account as cdk-nag prints them (pseudo parameters)."""
    return (
        "<AWS::Partition>" if is_token(partition) else partition,
        "<AWS::Region>" if is_token(region) else region,
        "<AWS::AccountId>" if is_token(account) else account,
    )


def arn_prefix(scope: IConstruct, service: str) -> str:
    """``arn:<partition>:<service>:<region>:<account>`` as cdk-nag prints it."""
    stack = stack_env(scope)
    partition, region, account = _printed_environment(stack.partition, stack.region, stack.account)
    return f"arn:{partition}:{service}:{region}:{account}"


def printed_partition(scope: IConstruct) -> str:
    """The stack's partition as cdk-nag prints it (``aws`` or ``<AWS::Partition>``)."""
    stack = stack_env(scope)
    return _printed_environment(stack.partition, stack.region, stack.account)[0]


def acknowledge_wildcards(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge ``AwsSolutions-IAM5[Resource::<resource>]`` for each resource -> reason.

    A resource built from a deploy-time value (a parameter) has no printable id; it stays
    for the app to acknowledge.
    """
    reasons = {r: why for r, why in reasons.items() if not is_token(r)}
    if reasons:
        Validations.of(construct).acknowledge(
            *(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", reason=reason
                )
                for resource, reason in reasons.items()
            )
        )
