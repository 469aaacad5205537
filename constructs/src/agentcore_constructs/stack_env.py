"""A stack's partition, region and account, read once per stack instead of once per use.

Each ``Stack.of(scope)`` and each read of ``stack.region`` is a jsii round trip to the Node
process; a runtime needs its stack's environment a dozen times, so with many runtimes in a
stack these reads are a large part of synth time. The library's constructs remember their
parent on the Python side (``StackAwareConstruct``), so finding the stack of one of them walks
Python objects, and the environment is kept on the (Python) stack object itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from aws_cdk import Stack
from constructs import Construct, IConstruct

_ENV_ATTRIBUTE = "_agentcore_env"
_PARENT_ATTRIBUTE = "_agentcore_parent"
_SHARED_ATTRIBUTE = "_agentcore_shared"
T = TypeVar("T")


@dataclass(frozen=True)
class StackEnv:
    """Where a stack deploys, as the strings (or tokens) CloudFormation will resolve."""

    stack: Stack
    partition: str
    region: str
    account: str
    url_suffix: str
    stack_name: str


class StackAwareConstruct(Construct):
    """A construct that remembers its scope, so ``stack_env`` finds its stack without Node."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        setattr(self, _PARENT_ATTRIBUTE, scope)


def _stack_of(scope: IConstruct) -> Stack:
    if isinstance(scope, Stack):
        return scope
    parent = getattr(scope, _PARENT_ATTRIBUTE, None)
    return _stack_of(parent) if parent is not None else Stack.of(scope)


def stack_env(scope: IConstruct) -> StackEnv:
    env: StackEnv | None = getattr(scope, _ENV_ATTRIBUTE, None)
    if env is None:
        stack = _stack_of(scope)
        env = getattr(stack, _ENV_ATTRIBUTE, None)
        if env is None:
            env = StackEnv(
                stack=stack,
                partition=stack.partition,
                region=stack.region,
                account=stack.account,
                url_suffix=stack.url_suffix,
                stack_name=stack.stack_name,
            )
            setattr(stack, _ENV_ATTRIBUTE, env)
        setattr(scope, _ENV_ATTRIBUTE, env)
    return env


def stack_singleton(scope: IConstruct, construct_id: str, create: Callable[[Stack, str], T]) -> T:
    """The stack's one ``construct_id`` child, created by ``create(stack, id)`` on first use."""
    stack = stack_env(scope).stack
    shared: dict[str, object] = getattr(stack, _SHARED_ATTRIBUTE, None) or {}
    if construct_id not in shared:
        existing = stack.node.try_find_child(construct_id)
        shared[construct_id] = existing if existing is not None else create(stack, construct_id)
        setattr(stack, _SHARED_ATTRIBUTE, shared)
    return shared[construct_id]  # type: ignore[return-value]
