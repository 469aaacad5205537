"""Runtime endpoints (follow or pin) and invoke grants (every caller action, no cycles)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from agentcore_constructs import (
    AgentRuntime,
    AgentRuntimeImage,
    AgentRuntimeValidationError,
    InvokeAction,
)

ENDPOINT = "AWS::BedrockAgentCore::RuntimeEndpoint"
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/platform/agents:{tag}"
RUNTIME_PATTERN = (
    "arn:<Partition>:bedrock-agentcore:eu-west-1:111122223333:runtime/agent_one-??????????"
)
ALL_CALLER_ACTIONS = [
    "bedrock-agentcore:InvokeAgentRuntime",
    "bedrock-agentcore:InvokeAgentRuntimeForUser",
    "bedrock-agentcore:InvokeAgentRuntimeWithWebSocketStream",
    "bedrock-agentcore:InvokeAgentRuntimeWithWebSocketStreamForUser",
    "bedrock-agentcore:GetAgentCard",
    "bedrock-agentcore:StopRuntimeSession",
]


def rendered(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(rendered(part) for part in value["Fn::Join"][1])
    if value == {"Ref": "AWS::Partition"}:
        return "<Partition>"
    return str(value)


def runtime_in(stack: cdk.Stack, tag: str = "build-42", **props: Any) -> AgentRuntime:
    return AgentRuntime(
        stack,
        "Agent",
        runtime_name="agent_one",
        image=AgentRuntimeImage.from_image_uri(IMAGE.format(tag=tag)),
        **props,
    )


def grant_statement(template: Template, role_id: str) -> dict[str, Any]:
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"] == [{"Ref": role_id}]:
            (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
            return statement
    raise AssertionError(f"no policy for {role_id}")


def references(value: Any) -> set[str]:
    """Logical ids a template fragment points at (Ref / GetAtt / DependsOn-free)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def test_grant_invoke_for_user_covers_every_caller_action_on_the_runtime_and_all_endpoints(
    new_stack,
) -> None:
    stack = new_stack()
    runtime = runtime_in(stack)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    runtime.grant_invoke_for_user(caller)
    template = Template.from_stack(stack)
    statement = grant_statement(template, stack.get_logical_id(caller.node.default_child))
    assert statement["Action"] == ALL_CALLER_ACTIONS
    assert [rendered(r) for r in statement["Resource"]] == [
        RUNTIME_PATTERN,
        f"{RUNTIME_PATTERN}/runtime-endpoint/*",
    ]
    # Built from the name, so the caller's policy does not depend on the runtime.
    assert stack.get_logical_id(runtime.cfn_runtime) not in references(statement)
    assert [a.value for a in InvokeAction if "Command" not in a.value] == ALL_CALLER_ACTIONS


def test_grant_invoke_leaves_out_naming_the_end_user(new_stack) -> None:
    stack = new_stack()
    runtime = runtime_in(stack)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    runtime.grant_invoke(caller)
    statement = grant_statement(
        Template.from_stack(stack), stack.get_logical_id(caller.node.default_child)
    )
    assert statement["Action"] == [a for a in ALL_CALLER_ACTIONS if not a.endswith("ForUser")]


def test_an_endpoint_grant_names_that_endpoint_only(new_stack) -> None:
    stack = new_stack()
    live = runtime_in(stack).add_endpoint("live")
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    live.grant_invoke_for_user(caller)
    plain = iam.Role(stack, "Plain", assumed_by=iam.AccountRootPrincipal())
    live.grant_invoke(plain)
    template = Template.from_stack(stack)
    statement = grant_statement(template, stack.get_logical_id(caller.node.default_child))
    assert statement["Action"] == ALL_CALLER_ACTIONS
    assert [rendered(r) for r in statement["Resource"]] == [
        RUNTIME_PATTERN,
        f"{RUNTIME_PATTERN}/runtime-endpoint/live",
    ]
    statement = grant_statement(template, stack.get_logical_id(plain.node.default_child))
    assert statement["Action"] == [a for a in ALL_CALLER_ACTIONS if not a.endswith("ForUser")]


def test_granting_to_roles_the_runtime_depends_on_makes_no_cycle(new_stack) -> None:
    """The runtime's own role, and a gateway's role whose URL the runtime is given."""
    stack = new_stack()
    gateway_role = iam.Role(
        stack, "GatewayRole", assumed_by=iam.ServicePrincipal("bedrock-agentcore.amazonaws.com")
    )
    gateway = agentcore.CfnGateway(
        stack,
        "Gateway",
        name="tools",
        authorizer_type="AWS_IAM",
        protocol_type="MCP",
        role_arn=gateway_role.role_arn,
    )
    # The gateway must not be created before its role may call the runtime (a runtime target).
    gateway.node.add_dependency(gateway_role)
    runtime = runtime_in(
        stack, gateway_endpoint=gateway.attr_gateway_url, gateway_arn=gateway.attr_gateway_arn
    )
    runtime.grant_invoke(runtime.role)
    runtime.grant_invoke(gateway_role)
    runtime.add_endpoint("live").grant_invoke(gateway_role)
    cdk.App.of(stack).synth()  # raises on a cycle


def test_a_named_endpoint_follows_the_latest_version_by_default(new_stack) -> None:
    stack = new_stack()
    runtime = runtime_in(stack)
    runtime.add_endpoint("live", description="What callers use")
    props = Template.from_stack(stack).find_resources(ENDPOINT)
    ((_, endpoint),) = props.items()
    runtime_id = stack.get_logical_id(runtime.cfn_runtime)
    assert endpoint["Properties"] == {
        "AgentRuntimeId": {"Fn::GetAtt": [runtime_id, "AgentRuntimeId"]},
        "AgentRuntimeVersion": {"Fn::GetAtt": [runtime_id, "AgentRuntimeVersion"]},
        "Description": "What callers use",
        "Name": "live",
    }


def test_a_pinned_endpoint_keeps_its_version(new_stack) -> None:
    stack = new_stack()
    runtime_in(stack).add_endpoint("stable", version="3")
    (endpoint,) = Template.from_stack(stack).find_resources(ENDPOINT).values()
    assert endpoint["Properties"]["AgentRuntimeVersion"] == "3"


# Attributes CloudFormation gives a new value whenever the resource is updated.
CHANGES_ON_UPDATE = {"AWS::BedrockAgentCore::Runtime": {"AgentRuntimeVersion"}}


def updated_by_deploy(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Resources CloudFormation updates going from ``old`` to ``new``.

    A resource is updated when its properties change, or when it reads an attribute that
    changes on update of a resource that is itself updated (resolved transitively).
    """
    old_resources, new_resources = old["Resources"], new["Resources"]
    updated = {
        logical_id
        for logical_id, resource in new_resources.items()
        if old_resources.get(logical_id, {}).get("Properties") != resource.get("Properties")
    }
    changed = True
    while changed:
        changed = False
        for logical_id, resource in new_resources.items():
            if logical_id in updated:
                continue
            for target, attribute in _get_atts(resource.get("Properties", {})):
                moving = CHANGES_ON_UPDATE.get(new_resources[target]["Type"], set())
                if target in updated and attribute in moving:
                    updated.add(logical_id)
                    changed = True
                    break
    return updated


def _get_atts(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return [tuple(value["Fn::GetAtt"])]  # type: ignore[list-item]
        return [pair for v in value.values() for pair in _get_atts(v)]
    if isinstance(value, list):
        return [pair for v in value for pair in _get_atts(v)]
    return []


def _deployed(tag: str, add_endpoints) -> dict[str, Any]:
    stack = cdk.Stack(
        cdk.App(), "PlatformStack", env=cdk.Environment(account="111122223333", region="eu-west-1")
    )
    runtime = runtime_in(stack, tag=tag)
    add_endpoints(stack, runtime)
    return Template.from_stack(stack).to_json()


def test_a_new_image_moves_a_following_endpoint_and_not_a_pinned_one() -> None:
    def endpoints(stack: cdk.Stack, runtime: AgentRuntime) -> None:
        runtime.add_endpoint("live")
        runtime.add_endpoint("stable", version="1")
        # The pitfall: an endpoint that names no version stays where it was created.
        agentcore.CfnRuntimeEndpoint(
            stack, "Unpinned", agent_runtime_id=runtime.runtime_id, name="unpinned"
        )

    before, after = _deployed("build-42", endpoints), _deployed("build-43", endpoints)
    ids = {
        r["Properties"]["Name"]: logical_id
        for logical_id, r in after["Resources"].items()
        if r["Type"] == ENDPOINT
    }
    updated = updated_by_deploy(before, after)
    assert ids["live"] in updated
    assert ids["stable"] not in updated
    assert ids["unpinned"] not in updated
    # And a deploy that changes nothing moves nothing.
    assert updated_by_deploy(after, after) == set()


def test_endpoints_get_their_own_alarms(new_stack) -> None:
    stack = new_stack()
    runtime_in(stack).add_endpoint("live")
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    names = sorted(
        next(d["Value"] for d in a["Properties"]["Dimensions"] if d["Name"] == "Name")
        for a in alarms.values()
    )
    assert names == ["agent_one::DEFAULT"] * 3 + ["agent_one::live"] * 3


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("live-1", None, "endpoint_name='live-1': must match"),
        ("DEFAULT", None, "endpoint_name='DEFAULT': DEFAULT exists already"),
        ("live", "0", "version='0': must be a runtime version number"),
        ("live", "v3", "version='v3': must be a runtime version number"),
    ],
)
def test_bad_endpoints_are_refused_in_one_line(new_stack, name, version, message) -> None:
    runtime = runtime_in(new_stack())
    with pytest.raises(AgentRuntimeValidationError) as error:
        runtime.add_endpoint(name, version=version)
    assert message in str(error.value)


def test_an_endpoint_name_is_used_once(new_stack) -> None:
    runtime = runtime_in(new_stack())
    runtime.add_endpoint("live")
    with pytest.raises(AgentRuntimeValidationError, match="already an endpoint"):
        runtime.add_endpoint("live")
