"""OrderStatusTools on an AgentGateway: resources, least privilege, cdk-nag and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint

from agentcore_constructs import AgentGateway, GatewayObservability
from stacks.order_tools.construct import OrderStatusTools


def build(outdir: Path) -> tuple[cdk.App, cdk.Stack, AgentGateway, OrderStatusTools]:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, "ToolsStack", env=cdk.Environment(account="123456789012", region="us-west-2")
    )
    gateway = AgentGateway(
        stack,
        "Gateway",
        gateway_name="orders-tools",
        observability=GatewayObservability(enabled=False),
    )
    tools = OrderStatusTools(stack, "Tools", gateway=gateway)
    return app, stack, gateway, tools


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory):
    outdir = tmp_path_factory.mktemp("gateway")
    app, stack, gateway, tools = build(outdir)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    gateway.grant_invoke(caller)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return stack, gateway, tools, Template.from_stack(stack), outdir


def one(template: Template, resource_type: str) -> dict:
    (resource,) = template.find_resources(resource_type).values()
    return resource["Properties"]


def test_target_exposes_the_tool_with_its_schema(synthesized) -> None:
    stack, _, tools, template, _ = synthesized
    props = one(template, "AWS::BedrockAgentCore::GatewayTarget")
    assert props["Name"] == "orders"
    assert props["Description"] == "Order status, carrier, tracking number and ETA by order id"
    assert props["CredentialProviderConfigurations"] == [
        {"CredentialProviderType": "GATEWAY_IAM_ROLE"}
    ]
    lambda_config = props["TargetConfiguration"]["Mcp"]["Lambda"]
    function_id = stack.get_logical_id(tools.function.node.default_child)
    assert lambda_config["LambdaArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    (tool,) = lambda_config["ToolSchema"]["InlinePayload"]
    assert tool["Name"] == "get_order_status"
    assert tool["InputSchema"] == {
        "Type": "object",
        "Properties": {
            "order_id": {
                "Type": "string",
                "Description": "The order id: ORD- followed by 4 to 10 digits, e.g. ORD-1234.",
            }
        },
        "Required": ["order_id"],
    }
    assert set(tool["OutputSchema"]["Properties"]) == {
        "order_id",
        "status",
        "carrier",
        "tracking_number",
        "eta",
        "error",
    }
    assert tool["OutputSchema"]["Properties"]["error"]["Properties"] == {
        "code": {"Type": "string"},
        "message": {"Type": "string"},
    }
    assert tools.tool_name == "orders___get_order_status"


def test_function_is_arm64_python_with_retained_logs(synthesized) -> None:
    _, _, _, template, _ = synthesized
    props = one(template, "AWS::Lambda::Function")
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"].startswith("python3.")
    assert props["Handler"] == "handler.handler"
    assert props["Timeout"] == 10 and props["MemorySize"] == 256
    assert one(template, "AWS::Logs::LogGroup")["RetentionInDays"] == 30


def test_gateway_may_invoke_this_function_only(synthesized) -> None:
    stack, gateway, tools, template, _ = synthesized
    policies = template.find_resources("AWS::IAM::Policy")
    gateway_policy = policies[
        stack.get_logical_id(gateway.node.find_child("Policy").node.default_child)
    ]
    function_id = stack.get_logical_id(tools.function.node.default_child)
    assert gateway_policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [function_id, "Arn"]},
        }
    ]
    gateway_id = stack.get_logical_id(gateway.cfn_gateway)
    assert template.to_json()["Resources"][gateway_id]["DependsOn"] == [
        stack.get_logical_id(gateway.node.find_child("Policy").node.default_child)
    ]


def test_function_role_writes_its_own_logs_only(synthesized) -> None:
    stack, _, tools, template, _ = synthesized
    roles = template.find_resources("AWS::IAM::Role")
    function_role = next(r for k, r in roles.items() if k.startswith("ToolsFunctionRole"))
    assert function_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    assert "ManagedPolicyArns" not in function_role["Properties"]
    (inline,) = function_role["Properties"]["Policies"]
    (statement,) = inline["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == {
        "Fn::GetAtt": [stack.get_logical_id(tools.log_group.node.default_child), "Arn"]
    }


def test_nag_and_cfn_lint_are_clean(synthesized) -> None:
    _, _, _, _, outdir = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    assert [
        r for r in report["pluginReports"] if r["violations"] or r["suppressedViolations"]
    ] == []
    template_text = (outdir / "ToolsStack.template.json").read_text()
    matches = lint(template_text, regions=["us-west-2"])
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_the_same_nag_harness_flags_a_wildcard(tmp_path) -> None:
    """Control for the clean result above: the checks are really running on this stack."""
    app, _, _, tools = build(tmp_path)
    tools.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match=r"AwsSolutions-IAM5\[Action::s3:\*\]"):
        app.synth()
