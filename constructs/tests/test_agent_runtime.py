"""AgentRuntime props, defaults, grants and validation, on a stack outside the app."""

from __future__ import annotations

import fnmatch
import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from agentcore_constructs import (
    AgentRuntime,
    AgentRuntimeImage,
    AgentRuntimeValidationError,
    RuntimeAuthorizer,
    RuntimeNetwork,
    ServerProtocol,
)

RUNTIME = "AWS::BedrockAgentCore::Runtime"
IMAGE_URI = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/platform/agents:build-42"
GATEWAY_ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/orders-abc123"


def rendered(value) -> str:
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(rendered(part) for part in value["Fn::Join"][1])
    if value == {"Ref": "AWS::Partition"}:
        return "<Partition>"
    return str(value)


def statements_by_sid(template: Template) -> dict[str, dict]:
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def runtime_props(template: Template) -> dict:
    (runtime,) = template.find_resources(RUNTIME).values()
    return runtime["Properties"]


def test_defaults_from_a_directory(new_stack, image_dir) -> None:
    stack = new_stack()
    runtime = AgentRuntime(
        stack, "Agent", runtime_name="agent_one", image=AgentRuntimeImage.from_asset(str(image_dir))
    )
    template = Template.from_stack(stack)
    props = runtime_props(template)
    assert props["NetworkConfiguration"] == {"NetworkMode": "PUBLIC"}
    assert props["ProtocolConfiguration"] == "HTTP"
    assert props["LifecycleConfiguration"] == {
        "IdleRuntimeSessionTimeout": 900,
        "MaxLifetime": 28800,
    }
    assert "AuthorizerConfiguration" not in props
    assert props["EnvironmentVariables"] == {"AGENT_REGION": "eu-west-1"}
    assert isinstance(runtime.role, iam.Role)
    asset_uri = json.dumps(props["AgentRuntimeArtifact"])
    assert "container-assets-111122223333-eu-west-1:" in asset_uri
    assert ":latest" not in json.dumps(template.to_json())


def test_arm64_is_the_default_platform(new_stack, image_dir) -> None:
    stack = new_stack()
    AgentRuntime(
        stack, "Agent", runtime_name="agent_one", image=AgentRuntimeImage.from_asset(str(image_dir))
    )
    assembly = stack.node.root.synth()
    manifest = json.loads(
        (__import__("pathlib").Path(assembly.directory) / "PlatformStack.assets.json").read_text()
    )
    (image,) = manifest["dockerImages"].values()
    assert image["source"]["platform"] == "linux/arm64"


def test_reuse_with_own_role_and_existing_image(new_stack) -> None:
    """A platform team's stack: its own role, an image it already pushed."""
    stack = new_stack()
    role = iam.Role(
        stack, "TeamRole", assumed_by=iam.ServicePrincipal("bedrock-agentcore.amazonaws.com")
    )
    runtime = AgentRuntime(
        stack,
        "Agent",
        runtime_name="team_agent",
        image=AgentRuntimeImage.from_image_uri(IMAGE_URI),
        role=role,
        protocol=ServerProtocol.MCP,
        idle_session_timeout=cdk.Duration.minutes(5),
        max_lifetime=cdk.Duration.hours(1),
        model_ids=["anthropic.claude-haiku-4-5-20251001-v1:0"],
    )
    template = Template.from_stack(stack)
    props = runtime_props(template)
    assert runtime.role is role
    assert props["RoleArn"] == {
        "Fn::GetAtt": [stack.get_logical_id(role.node.default_child), "Arn"]
    }
    assert props["AgentRuntimeArtifact"]["ContainerConfiguration"]["ContainerUri"] == IMAGE_URI
    assert props["ProtocolConfiguration"] == "MCP"
    assert props["LifecycleConfiguration"] == {
        "IdleRuntimeSessionTimeout": 300,
        "MaxLifetime": 3600,
    }
    statements = statements_by_sid(template)
    assert rendered(statements["EcrImagePull"]["Resource"]) == (
        "arn:<Partition>:ecr:eu-west-1:111122223333:repository/platform/agents"
    )
    assert rendered(statements["BedrockModelInvoke"]["Resource"]) == (
        "arn:<Partition>:bedrock:eu-west-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"
    )
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    assert policy["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(role.node.default_child)}]


def test_from_ecr_repository_uses_the_given_tag(new_stack, repository_in) -> None:
    stack = new_stack()
    repo = repository_in(stack)
    AgentRuntime(
        stack,
        "Agent",
        runtime_name="agent_one",
        image=AgentRuntimeImage.from_ecr_repository(repo, "v1.2.3"),
    )
    uri = json.dumps(runtime_props(Template.from_stack(stack))["AgentRuntimeArtifact"])
    assert uri.endswith(':v1.2.3"]]}}}')


def test_global_profile_grants_regionless_model_arn(new_stack) -> None:
    stack = new_stack()
    AgentRuntime(
        stack,
        "Agent",
        runtime_name="agent_one",
        image=AgentRuntimeImage.from_image_uri(IMAGE_URI),
        model_ids=["global.anthropic.claude-sonnet-4-6"],
    )
    text = json.dumps(Template.from_stack(stack).to_json())
    assert (
        ":bedrock:eu-west-1:111122223333:inference-profile/global.anthropic.claude-sonnet-4-6"
        in text
    )
    assert ":bedrock:*::foundation-model/anthropic.claude-sonnet-4-6" in text
    # IAM's "*" matches the empty string: the region-less ARN of a global profile's calls too.
    assert fnmatch.fnmatchcase(
        "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6",
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6",
    )
    assert ":bedrock:::foundation-model/" not in text, (
        "redundant, and not an ARN the reference knows"
    )


def test_gateway_props_set_endpoint_and_grant(new_stack) -> None:
    stack = new_stack()
    AgentRuntime(
        stack,
        "Agent",
        runtime_name="agent_one",
        image=AgentRuntimeImage.from_image_uri(IMAGE_URI),
        gateway_endpoint="https://gw.example.com/mcp",
        gateway_arn=GATEWAY_ARN,
    )
    template = Template.from_stack(stack)
    assert runtime_props(template)["EnvironmentVariables"]["GATEWAY_ENDPOINT"] == (
        "https://gw.example.com/mcp"
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "GatewayInvoke",
                            "Action": "bedrock-agentcore:InvokeGateway",
                            "Effect": "Allow",
                            "Resource": GATEWAY_ARN,
                        }
                    ]
                )
            }
        },
    )


def test_vpc_network_and_jwt_authorizer(new_stack) -> None:
    stack = new_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    group = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    AgentRuntime(
        stack,
        "Agent",
        runtime_name="agent_one",
        image=AgentRuntimeImage.from_image_uri(IMAGE_URI),
        network=RuntimeNetwork.vpc(subnets=vpc.isolated_subnets, security_groups=[group]),
        authorizer=RuntimeAuthorizer.jwt(
            discovery_url="https://idp.example.com/.well-known/openid-configuration",
            allowed_clients=["client-1"],
            allowed_scopes=["agents/invoke"],
        ),
    )
    props = runtime_props(Template.from_stack(stack))
    network = props["NetworkConfiguration"]
    assert network["NetworkMode"] == "VPC"
    assert len(network["NetworkModeConfig"]["Subnets"]) == 2
    assert len(network["NetworkModeConfig"]["SecurityGroups"]) == 1
    assert props["AuthorizerConfiguration"] == {
        "CustomJWTAuthorizer": {
            "DiscoveryUrl": "https://idp.example.com/.well-known/openid-configuration",
            "AllowedClients": ["client-1"],
            "AllowedScopes": ["agents/invoke"],
        }
    }


def test_cognito_authorizer_uses_the_pool_discovery_url(new_stack) -> None:
    stack = new_stack()
    pool = cognito.UserPool(stack, "Pool")
    client = pool.add_client("Client", generate_secret=True)
    AgentRuntime(
        stack,
        "Agent",
        runtime_name="agent_one",
        image=AgentRuntimeImage.from_image_uri(IMAGE_URI),
        authorizer=RuntimeAuthorizer.cognito(user_pool=pool, clients=[client]),
    )
    jwt = runtime_props(Template.from_stack(stack))["AuthorizerConfiguration"][
        "CustomJWTAuthorizer"
    ]
    assert jwt["AllowedClients"] == [{"Ref": stack.get_logical_id(client.node.default_child)}]
    parts = jwt["DiscoveryUrl"]["Fn::Join"][1]
    assert parts[0] == "https://cognito-idp.eu-west-1."
    assert parts[-1] == "/.well-known/openid-configuration"


def test_invoke_url_names_the_default_endpoint(new_stack) -> None:
    stack = new_stack()
    runtime = AgentRuntime(
        stack, "Agent", runtime_name="agent_one", image=AgentRuntimeImage.from_image_uri(IMAGE_URI)
    )
    cdk.CfnOutput(stack, "Url", value=runtime.invoke_url)
    template = Template.from_stack(stack)
    runtime_id = stack.get_logical_id(runtime.cfn_runtime)
    url = rendered(template.to_json()["Outputs"]["Url"]["Value"])
    assert url == (
        "https://bedrock-agentcore.eu-west-1.{'Ref': 'AWS::URLSuffix'}/runtimes/"
        "arn%3A<Partition>%3Abedrock-agentcore%3Aeu-west-1%3A111122223333%3Aruntime%2F"
        f"{{'Fn::GetAtt': ['{runtime_id}', 'AgentRuntimeId']}}/invocations?qualifier=DEFAULT"
    )


def test_add_to_role_policy_lands_in_the_policy_the_runtime_waits_for(new_stack) -> None:
    stack = new_stack()
    runtime = AgentRuntime(
        stack, "Agent", runtime_name="agent_one", image=AgentRuntimeImage.from_image_uri(IMAGE_URI)
    )
    runtime.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadSecrets",
            actions=["secretsmanager:GetSecretValue"],
            resources=["arn:aws:secretsmanager:eu-west-1:111122223333:secret:agent-*"],
        )
    )
    template = Template.from_stack(stack).to_json()
    (policy_id,) = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Policy"]
    sids = [
        s["Sid"]
        for s in template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert "ReadSecrets" in sids
    assert (
        policy_id in template["Resources"][stack.get_logical_id(runtime.cfn_runtime)]["DependsOn"]
    )


# --- validation: every rule, with the prop, the value and the allowed range in the message ---


def build(new_stack, **overrides) -> None:
    props = {
        "runtime_name": "agent_one",
        "image": AgentRuntimeImage.from_image_uri(IMAGE_URI),
    } | overrides
    AgentRuntime(new_stack(), "Agent", **props)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"runtime_name": "agent-one"},
            "runtime_name='agent-one': must match [a-zA-Z][a-zA-Z0-9_]{0,47}",
        ),
        ({"runtime_name": "1agent"}, "runtime_name='1agent': must match"),
        ({"runtime_name": "a" * 49}, "at most 48 characters"),
        ({"description": ""}, "description='': must be 1 to 1200 characters"),
        (
            {"idle_session_timeout": cdk.Duration.seconds(59)},
            "idle_session_timeout=59: must be between 60 and 28800 seconds",
        ),
        (
            {"max_lifetime": cdk.Duration.hours(9)},
            "max_lifetime=32400: must be between 60 and 28800 seconds",
        ),
        (
            {"idle_session_timeout": cdk.Duration.hours(2), "max_lifetime": cdk.Duration.hours(1)},
            "idle_session_timeout=7200: must not exceed max_lifetime (3600 seconds)",
        ),
        (
            {"environment_variables": {"BAD-NAME": "x"}},
            "environment_variables['BAD-NAME']='BAD-NAME': names must match",
        ),
        ({"environment_variables": {"BIG": "x" * 2049}}, "values are at most 2048 characters"),
        (
            {"environment_variables": {"N" * 129: "x"}},
            f"environment_variables['{'N' * 129}']='{'N' * 129}': names must match "
            "[a-zA-Z_][a-zA-Z0-9_]* and be at most 128 characters",
        ),
        ({"environment_variables": {f"V{i}": "x" for i in range(51)}}, "at most 50 variables"),
        (
            {"gateway_endpoint": "https://gw.example.com/mcp"},
            "give gateway_endpoint and gateway_arn together",
        ),
        ({"gateway_arn": GATEWAY_ARN}, "give gateway_endpoint and gateway_arn together"),
        (
            {
                "gateway_endpoint": "https://gw.example.com/mcp",
                "gateway_arn": "arn:aws:bedrock:eu-west-1:1:gw",
            },
            "gateway_arn='arn:aws:bedrock:eu-west-1:1:gw': must be arn:aws:bedrock-agentcore:",
        ),
        (
            {"gateway_endpoint": "http://gw", "gateway_arn": GATEWAY_ARN},
            "gateway_endpoint='http://gw': must be an https:// URL",
        ),
        (
            {"image": AgentRuntimeImage.from_image_uri(IMAGE_URI.replace("build-42", "latest"))},
            "not :latest",
        ),
        (
            {"image": AgentRuntimeImage.from_image_uri("docker.io/library/python:3")},
            "image.uri='docker.io/library/python:3': must be",
        ),
        (
            {"network": RuntimeNetwork.vpc(subnets=[], security_groups=[])},
            "network.subnets=0: VPC mode needs 1 to 16 subnets",
        ),
        (
            {
                "authorizer": RuntimeAuthorizer.jwt(
                    discovery_url="https://idp.example.com", allowed_clients=["c"]
                )
            },
            "authorizer.discovery_url='https://idp.example.com': must be an https URL ending with /.well-known/openid-configuration",
        ),
        (
            {
                "authorizer": RuntimeAuthorizer.jwt(
                    discovery_url="https://idp.example.com/.well-known/openid-configuration"
                )
            },
            "authorizer.allowed_clients=[]: give at least one allowed client or audience",
        ),
        (
            {
                "authorizer": RuntimeAuthorizer.jwt(
                    discovery_url="https://idp.example.com/.well-known/openid-configuration",
                    allowed_clients=["c"],
                    allowed_scopes=["agent invoke"],
                )
            },
            "authorizer.allowed_scopes='agent invoke': scopes are printable ASCII without spaces",
        ),
        (
            {
                "network": RuntimeNetwork.vpc(
                    subnets=[
                        ec2.Subnet.from_subnet_id(cdk.Stack(), f"S{i}", f"subnet-0000000{i:02d}")
                        for i in range(17)
                    ],
                    security_groups=[],
                )
            },
            "network.subnets=17: VPC mode needs 1 to 16 subnets",
        ),
        (
            {
                "network": RuntimeNetwork.vpc(
                    subnets=[ec2.Subnet.from_subnet_id(cdk.Stack(), "S", "subnet-00000001")],
                    security_groups=[],
                )
            },
            "network.security_groups=0: VPC mode needs 1 to 16 security groups",
        ),
    ],
)
def test_each_validation_rule(new_stack, overrides, expected) -> None:
    with pytest.raises(AgentRuntimeValidationError) as raised:
        build(new_stack, **overrides)
    assert expected in str(raised.value)
    assert str(raised.value).startswith("Invalid props at PlatformStack/Agent:")


def test_repository_tag_latest_is_rejected(new_stack, repository_in) -> None:
    stack = new_stack()
    with pytest.raises(AgentRuntimeValidationError, match=re.escape("image.tag='latest'")):
        AgentRuntime(
            stack,
            "Agent",
            runtime_name="agent_one",
            image=AgentRuntimeImage.from_ecr_repository(repository_in(stack), "latest"),
        )


def test_every_problem_is_reported_at_once(new_stack) -> None:
    with pytest.raises(AgentRuntimeValidationError) as raised:
        build(
            new_stack,
            runtime_name="bad-name",
            idle_session_timeout=cdk.Duration.seconds(1),
            max_lifetime=cdk.Duration.days(2),
        )
    problems = str(raised.value).splitlines()[1:]
    assert len(problems) == 3


def test_tokens_are_left_to_cloudformation(new_stack) -> None:
    stack = new_stack()
    name = cdk.CfnParameter(stack, "Name").value_as_string
    AgentRuntime(
        stack, "Agent", runtime_name=name, image=AgentRuntimeImage.from_image_uri(IMAGE_URI)
    )
    assert runtime_props(Template.from_stack(stack))["AgentRuntimeName"] == {"Ref": "Name"}
