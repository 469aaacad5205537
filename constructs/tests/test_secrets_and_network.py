"""Library: secrets wired into a runtime, and the private-network constructs on their own."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from agentcore_constructs import AgentRuntime, AgentRuntimeImage
from agentcore_constructs.private_network import (
    EndpointService,
    IsolatedVpc,
    PrivateEndpoints,
    az_id_problems,
)

ENV = cdk.Environment(account="111122223333", region="eu-west-1")
IMAGE = AgentRuntimeImage.from_image_uri("111122223333.dkr.ecr.eu-west-1.amazonaws.com/a:1")


def test_secrets_grant_exactly_those_secrets_and_pass_only_arns() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    key = kms.Key(stack, "Key")
    created = secretsmanager.Secret(stack, "Created", encryption_key=key)
    by_name = secretsmanager.Secret.from_secret_name_v2(stack, "ByName", "partner/api-key")
    runtime = AgentRuntime(
        stack,
        "Agent",
        runtime_name="secret_agent",
        image=IMAGE,
        secrets={"CREATED": created, "PARTNER": by_name},
    )
    template = Template.from_stack(stack).to_json()
    props = template["Resources"][stack.get_logical_id(runtime.cfn_runtime)]["Properties"]
    env = props["EnvironmentVariables"]
    assert env["SECRET_ARN_PARTNER"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":secretsmanager:eu-west-1:111122223333:secret:partner/api-key",
            ],
        ]
    }
    assert env["SECRET_ARN_CREATED"] == {"Ref": stack.get_logical_id(created.node.default_child)}
    policy = template["Resources"][
        stack.get_logical_id(runtime.node.find_child("ExecutionPolicy").node.default_child)
    ]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    read = statements["ReadSecrets"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert json.dumps(read["Resource"]).count("secret:partner/api-key-??????") == 1
    decrypt = statements["DecryptSecrets"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert "secretsmanager.eu-west-1." in json.dumps(
        decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    )


def test_az_ids_are_checked_per_region() -> None:
    assert az_id_problems("eu-west-1", ["euw1-az1", "euw1-az3"]) == []
    assert az_id_problems("eu-west-1", ["euw1-az1", "euw1-az4"]) == [
        "euw1-az4 is not an AgentCore VPC Availability Zone in eu-west-1; use euw1-az1, euw1-az2, euw1-az3"
    ]
    assert az_id_problems("mars-north-1", ["x-az1", "x-az2"])[0].startswith(
        "region 'mars-north-1' has no known"
    )


def test_isolated_vpc_and_endpoints_stand_alone() -> None:
    stack = cdk.Stack(cdk.App(), "Net", env=ENV)
    vpc = IsolatedVpc(stack, "Vpc", az_ids=["euw1-az1", "euw1-az2", "euw1-az3"])
    endpoints = PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc.vpc,
        subnets=vpc.subnets,
        services=[EndpointService.BEDROCK_RUNTIME, EndpointService.AGENTCORE_GATEWAY],
        route_table_ids=[s.route_table.route_table_id for s in vpc.subnets],
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::Subnet", 3)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 3)
    assert endpoints.network.mode == "VPC"
    assert endpoints.network.security_groups == (endpoints.runtime_security_group,)
