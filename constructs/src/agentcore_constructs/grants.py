"""Who may invoke a runtime, and through which endpoints.

Every invoke action is evaluated against both the runtime and the endpoint being invoked
(``runtime/<id>`` and ``runtime/<id>/runtime-endpoint/<name>``), so a grant names both. The ARNs
are built from the runtime *name* (ids are ``<name>-<10 characters>``, and names have no
hyphens), not from the runtime's attributes: a grant then never makes the grantee's policy
depend on the runtime, and granting to a role the runtime itself depends on (its own, or a
gateway's that it calls) cannot form a dependency cycle.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .nag import acknowledge_wildcards, arn_prefix
from .stack_env import stack_env

RUNTIME_ID_SUFFIX = "-??????????"


class InvokeAction(enum.Enum):
    """The runtime data-plane actions a caller may need (IAM ``bedrock-agentcore:`` actions)."""

    #: HTTP invoke: ``/invocations`` JSON or SSE stream, and MCP / A2A / AG-UI over HTTP.
    INVOKE = "bedrock-agentcore:InvokeAgentRuntime"
    #: HTTP invoke that sets ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id``: the caller asserts
    #: which end user it acts for (the agent's memory actor, the user's OAuth tokens).
    INVOKE_FOR_USER = "bedrock-agentcore:InvokeAgentRuntimeForUser"
    #: Bidirectional streaming over ``/ws``.
    WEBSOCKET = "bedrock-agentcore:InvokeAgentRuntimeWithWebSocketStream"
    #: ``/ws`` with the user-id header, as ``INVOKE_FOR_USER``.
    WEBSOCKET_FOR_USER = "bedrock-agentcore:InvokeAgentRuntimeWithWebSocketStreamForUser"
    #: Read the A2A agent card, which A2A clients fetch before they send a message.
    GET_AGENT_CARD = "bedrock-agentcore:GetAgentCard"
    #: End a session early, freeing its microVM.
    STOP_SESSION = "bedrock-agentcore:StopRuntimeSession"


#: Every way a caller talks to the agent. ``grant_invoke`` grants all but the ForUser variants,
#: whose user id the service passes on unverified; ``grant_invoke_for_user`` (trusted backends
#: only) grants all of them. Shell commands inside a session (``InvokeAgentRuntimeCommand``)
#: are an operator's right, not a caller's: grant them explicitly.
CALLER_ACTIONS = (
    InvokeAction.INVOKE,
    InvokeAction.INVOKE_FOR_USER,
    InvokeAction.WEBSOCKET,
    InvokeAction.WEBSOCKET_FOR_USER,
    InvokeAction.GET_AGENT_CARD,
    InvokeAction.STOP_SESSION,
)
USER_ACTIONS = (InvokeAction.INVOKE_FOR_USER, InvokeAction.WEBSOCKET_FOR_USER)


def caller_actions(*, for_user: bool) -> list[str]:
    return [a.value for a in CALLER_ACTIONS if for_user or a not in USER_ACTIONS]


def runtime_arn_pattern(scope: IConstruct, runtime_name: str) -> str:
    """Matches exactly the runtime named ``runtime_name`` (no other name can match)."""
    stack = stack_env(scope)
    return (
        f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:runtime/"
        f"{runtime_name}{RUNTIME_ID_SUFFIX}"
    )


def grant_runtime_actions(
    scope: IConstruct,
    grantee: iam.IGrantable,
    *,
    runtime_name: str,
    endpoint_name: str | None,
    actions: Iterable[str],
) -> iam.Grant:
    """Grant ``actions`` on the runtime and one endpoint (or, with ``None``, every endpoint)."""
    runtime = runtime_arn_pattern(scope, runtime_name)
    endpoint = f"{runtime}/runtime-endpoint/{endpoint_name or '*'}"
    grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=list(actions), resource_arns=[runtime, endpoint]
    )
    if endpoint_name is None:
        _acknowledge_all_endpoints(scope, grantee, runtime_name)
    return grant


def _acknowledge_all_endpoints(
    scope: IConstruct, grantee: iam.IGrantable, runtime_name: str
) -> None:
    """The all-endpoints wildcard is the grant's meaning; acknowledge it on the grantee."""
    policy_owner = grantee.grant_principal
    if not hasattr(policy_owner, "node"):  # a service or account principal: no policy here
        return
    resource = (
        f"{arn_prefix(scope, 'bedrock-agentcore')}:runtime/{runtime_name}{RUNTIME_ID_SUFFIX}"
        "/runtime-endpoint/*"
    )
    acknowledge_wildcards(
        policy_owner,  # type: ignore[arg-type]
        {
            resource: f"Invoking {runtime_name} through any of its endpoints (DEFAULT and every "
            "named one) is what this grant is for; the runtime part matches this runtime only."
        },
    )
