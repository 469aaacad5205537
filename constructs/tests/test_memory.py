"""AgentMemory on its own: schema limits checked at synth, grants on its ARN only, wiring."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from agentcore_constructs import (
    AgentMemory,
    AgentRuntime,
    AgentRuntimeImage,
    AgentRuntimeValidationError,
    MemoryStrategy,
)

ENV = cdk.Environment(account="111122223333", region="eu-west-1")


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "MemoryStack", env=ENV)


def test_strategies_render_with_namespace_templates() -> None:
    scope = stack()
    AgentMemory(
        scope,
        "Memory",
        memory_name="support_memory",
        event_expiry=cdk.Duration.days(60),
        strategies=[
            MemoryStrategy.semantic(),
            MemoryStrategy.episodic(namespace="/ep/{actorId}/{sessionId}"),
        ],
    )
    (memory,) = Template.from_stack(scope).find_resources("AWS::BedrockAgentCore::Memory").values()
    assert memory["Properties"] == {
        "Name": "support_memory",
        "EventExpiryDuration": 60,
        "MemoryStrategies": [
            {
                "SemanticMemoryStrategy": {
                    "Name": "facts",
                    "NamespaceTemplates": ["/facts/{actorId}"],
                }
            },
            {
                "EpisodicMemoryStrategy": {
                    "Name": "episodes",
                    "NamespaceTemplates": ["/ep/{actorId}/{sessionId}"],
                }
            },
        ],
    }
    # A replacement (new name or key) keeps the old memory's events readable.
    assert memory["UpdateReplacePolicy"] == "Retain"
    assert memory["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"memory_name": "support-memory"}, "memory_name='support-memory': must match"),
        ({"event_expiry": cdk.Duration.days(3)}, "event_expiry=3: must be between 7 and 365 days"),
        (
            {"event_expiry": cdk.Duration.days(400)},
            "event_expiry=400: must be between 7 and 365 days",
        ),
        (
            {"strategies": [MemoryStrategy.semantic(namespace="/facts/all")]},
            "must contain {actorId}",
        ),
        (
            {"strategies": [MemoryStrategy.summary(namespace="/s/{userId}")]},
            "the variables {actorId}",
        ),
        (
            {"strategies": [MemoryStrategy.semantic(), MemoryStrategy.semantic()]},
            "strategies='facts': strategy names must be unique",
        ),
        (
            {"strategies": [MemoryStrategy.semantic(name=f"s{i}") for i in range(7)]},
            "strategies=7: at most 6",
        ),
    ],
)
def test_each_limit(props, expected) -> None:
    values = {"memory_name": "support_memory", **props}
    with pytest.raises(AgentRuntimeValidationError) as raised:
        AgentMemory(stack(), "Memory", **values)
    assert expected in str(raised.value)


def test_grants_are_on_this_memory_only() -> None:
    scope = stack()
    memory = AgentMemory(scope, "Memory", memory_name="support_memory")
    reader = iam.Role(scope, "Reader", assumed_by=iam.AccountRootPrincipal())
    memory.grant_read_events(reader)
    memory.grant_write_events(reader)
    memory.grant_retrieve(reader)
    memory.grant_read_strategies(reader)
    (policy,) = Template.from_stack(scope).find_resources("AWS::IAM::Policy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = sorted(
        a
        for s in statements
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    )
    assert actions == sorted(
        [
            "bedrock-agentcore:ListEvents",
            "bedrock-agentcore:GetEvent",
            "bedrock-agentcore:CreateEvent",
            "bedrock-agentcore:RetrieveMemoryRecords",
            "bedrock-agentcore:ListMemoryRecords",
            "bedrock-agentcore:GetMemoryRecord",
            "bedrock-agentcore:GetMemory",
        ]
    )
    arn = {"Fn::GetAtt": [scope.get_logical_id(memory.cfn_memory), "MemoryArn"]}
    assert all(s["Resource"] == arn for s in statements)


def test_runtime_gets_the_id_and_exactly_its_grants() -> None:
    scope = stack()
    memory = AgentMemory(
        scope, "Memory", memory_name="support_memory", strategies=[MemoryStrategy.user_preference()]
    )
    runtime = AgentRuntime(
        scope,
        "Agent",
        runtime_name="memory_agent",
        image=AgentRuntimeImage.from_image_uri("111122223333.dkr.ecr.eu-west-1.amazonaws.com/a:1"),
        memory=memory,
    )
    template = Template.from_stack(scope).to_json()
    env = template["Resources"][scope.get_logical_id(runtime.cfn_runtime)]["Properties"][
        "EnvironmentVariables"
    ]
    memory_id = scope.get_logical_id(memory.cfn_memory)
    assert env["MEMORY_ID"] == {"Fn::GetAtt": [memory_id, "MemoryId"]}
    assert env["MEMORY_NAMESPACES"] == "/preferences/{actorId}"
    policy = template["Resources"][
        scope.get_logical_id(runtime.node.find_child("ExecutionPolicy").node.default_child)
    ]
    (events,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "MemoryEvents"
    ]
    assert "bedrock-agentcore:RetrieveMemoryRecords" in events["Action"]
    assert "bedrock-agentcore:DeleteEvent" not in json.dumps(policy)
    assert events["Resource"] == {"Fn::GetAtt": [memory_id, "MemoryArn"]}
