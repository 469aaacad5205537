"""The created execution role statement by statement, the ECR copy route, and cfn-lint.

One stack with the library's defaults (role created here, image copied into a team repository,
a `us.` inference profile and a gateway) is synthesized once for the module: jsii is slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Template
from cfnlint.api import lint

from agentcore_constructs import AgentRuntime, AgentRuntimeImage

ENV = cdk.Environment(account="111122223333", region="eu-west-1")
GATEWAY_ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/orders-abc123"
PROFILE = "us.anthropic.claude-sonnet-4-6"


def rendered(value) -> str:
    """A Fn::Join of literals and pseudo parameters as one readable string."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(rendered(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and "Ref" in value and value["Ref"].startswith("AWS::"):
        return f"<{value['Ref'][5:]}>"
    return value if isinstance(value, str) else json.dumps(value)


@pytest.fixture(scope="module")
def synthesized(image_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    outdir = tmp_path_factory.mktemp("library-out")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "LibraryStack", env=ENV)
    repository = ecr.Repository(
        stack, "Repo", image_tag_mutability=ecr.TagMutability.IMMUTABLE, image_scan_on_push=True
    )
    runtime = AgentRuntime(
        stack,
        "Agent",
        runtime_name="lib_agent",
        image=AgentRuntimeImage.from_asset(str(image_dir), repository=repository),
        model_ids=[PROFILE],
        gateway_endpoint="https://gw.example.com/mcp",
        gateway_arn=GATEWAY_ARN,
    )
    cdk.CfnOutput(stack, "InvokeUrl", value=runtime.invoke_url)
    assembly = app.synth()
    template_path = Path(assembly.directory) / "LibraryStack.template.json"
    return stack, runtime, repository, Template.from_stack(stack), template_path


def execution_statements(synthesized) -> dict[str, dict]:
    stack, runtime, *_ = synthesized
    template = synthesized[3].to_json()
    policy_id = stack.get_logical_id(runtime.node.find_child("ExecutionPolicy").node.default_child)
    statements = template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    return {s["Sid"]: s for s in statements}


def test_trust_policy_is_the_service_for_this_account_only(synthesized) -> None:
    stack, runtime, _, template, _ = synthesized
    role = template.to_json()["Resources"][stack.get_logical_id(runtime.role.node.default_child)]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert rendered(trust["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:<Partition>:bedrock-agentcore:eu-west-1:111122223333:*"
    )
    assert "ManagedPolicyArns" not in role["Properties"]


def test_each_statement_has_exactly_its_actions_and_resources(synthesized) -> None:
    _, _, repository, _, _ = synthesized
    statements = execution_statements(synthesized)
    repo_arn = synthesized[0].resolve(repository.repository_arn)
    logs = "arn:<Partition>:logs:eu-west-1:111122223333:log-group:/aws/bedrock-agentcore/runtimes/*"
    directory = (
        "arn:<Partition>:bedrock-agentcore:eu-west-1:111122223333:"
        "workload-identity-directory/default"
    )
    expected = {
        "EcrImagePull": (["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [repo_arn]),
        "EcrAuthorizationToken": ("ecr:GetAuthorizationToken", "*"),
        "RuntimeLogs": (
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            [logs, f"{logs}:log-stream:*"],
        ),
        "DescribeLogGroups": ("logs:DescribeLogGroups", "*"),
        "XRayTraces": (
            [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            "*",
        ),
        "RuntimeMetrics": ("cloudwatch:PutMetricData", "*"),
        "WorkloadIdentityTokens": (
            [
                "bedrock-agentcore:GetWorkloadAccessToken",
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            ],
            [directory, f"{directory}/workload-identity/lib_agent-*"],
        ),
        "BedrockModelInvoke": (
            ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            [
                f"arn:<Partition>:bedrock:eu-west-1:111122223333:inference-profile/{PROFILE}",
                "arn:<Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6",
            ],
        ),
        "GatewayInvoke": ("bedrock-agentcore:InvokeGateway", GATEWAY_ARN),
    }
    assert sorted(statements) == sorted(expected)
    for sid, (actions, resources) in expected.items():
        statement = statements[sid]
        assert statement["Effect"] == "Allow", sid
        assert statement["Action"] == actions, sid
        got = statement["Resource"]
        if isinstance(resources, list) and sid != "EcrImagePull":
            assert [rendered(r) for r in got] == resources, sid
        elif sid == "EcrImagePull":
            assert got == resources[0], sid
        else:
            assert rendered(got) == resources, sid
    assert statements["RuntimeMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}
    }
    wildcard = {sid for sid, s in statements.items() if s["Resource"] == "*"}
    assert wildcard == {
        "EcrAuthorizationToken",
        "DescribeLogGroups",
        "XRayTraces",
        "RuntimeMetrics",
    }


def test_us_profile_env_vars_and_gateway(synthesized) -> None:
    stack, runtime, _, template, _ = synthesized
    props = template.to_json()["Resources"][stack.get_logical_id(runtime.cfn_runtime)]
    assert props["Properties"]["EnvironmentVariables"] == {
        "AGENT_REGION": "eu-west-1",
        "GATEWAY_ENDPOINT": "https://gw.example.com/mcp",
        "MODEL_ID": PROFILE,
    }


def test_asset_is_copied_into_the_repository_under_its_hash(synthesized) -> None:
    stack, runtime, repository, template, _ = synthesized
    resources = template.to_json()["Resources"]
    (copy_id,) = [k for k, v in resources.items() if v["Type"] == "Custom::EcrImageCopy"]
    copy = resources[copy_id]["Properties"]
    asset = runtime.node.find_child("ImageAsset")
    tag = asset.image_tag
    assert len(tag) == 64
    assert copy["DestinationTag"] == copy["SourceTag"] == tag
    assert copy["DestinationRepository"] == stack.resolve(repository.repository_name)
    assert rendered(copy["SourceRepository"]).endswith("container-assets-111122223333-eu-west-1")
    uri = rendered(
        resources[stack.get_logical_id(runtime.cfn_runtime)]["Properties"]["AgentRuntimeArtifact"][
            "ContainerConfiguration"
        ]["ContainerUri"]
    )
    assert uri.endswith(f":{tag}")
    assert stack.resolve(repository.repository_name)["Ref"] in json.dumps(
        resources[stack.get_logical_id(runtime.cfn_runtime)]["Properties"]["AgentRuntimeArtifact"]
    )
    depends_on = resources[stack.get_logical_id(runtime.cfn_runtime)]["DependsOn"]
    assert copy_id in depends_on
    policy_id = stack.get_logical_id(runtime.node.find_child("ExecutionPolicy").node.default_child)
    assert policy_id in depends_on
    assert ":latest" not in json.dumps(template.to_json())


def test_arm64_asset_in_the_manifest(synthesized) -> None:
    *_, template_path = synthesized
    manifest = json.loads((template_path.parent / "LibraryStack.assets.json").read_text())
    platforms = [image["source"]["platform"] for image in manifest["dockerImages"].values()]
    assert platforms == ["linux/arm64"]


def test_invoke_url_encodes_the_arn_in_cloudformation(synthesized) -> None:
    stack, runtime, _, template, _ = synthesized
    url = template.to_json()["Outputs"]["InvokeUrl"]["Value"]
    runtime_id = stack.get_logical_id(runtime.cfn_runtime)
    assert url["Fn::Join"][1] == [
        "https://bedrock-agentcore.eu-west-1.",
        {"Ref": "AWS::URLSuffix"},
        "/runtimes/arn%3A",
        {"Ref": "AWS::Partition"},
        "%3Abedrock-agentcore%3Aeu-west-1%3A111122223333%3Aruntime%2F",
        {"Fn::GetAtt": [runtime_id, "AgentRuntimeId"]},
        "/invocations?qualifier=DEFAULT",
    ]
    assert stack.resolve(runtime.runtime_version) == {
        "Fn::GetAtt": [runtime_id, "AgentRuntimeVersion"]
    }


def test_cfn_lint_reports_nothing(synthesized) -> None:
    *_, template_path = synthesized
    matches = lint(template_path.read_text(), config={"regions": ["eu-west-1"]})
    assert [f"{m.rule.id} {m.message}" for m in matches] == []
