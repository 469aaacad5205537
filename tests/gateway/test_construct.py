"""OrderStatusGateway on its own: resources, least privilege, cdk-nag and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint

from agentcore_constructs.order_status_gateway import OrderStatusGateway


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory):
    outdir = tmp_path_factory.mktemp("gateway")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, "ToolsStack", env=cdk.Environment(account="123456789012", region="us-west-2")
    )
    gateway = OrderStatusGateway(stack, "Tools", gateway_name="orders-tools")
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    gateway.grant_invoke(caller)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return stack, gateway, Template.from_stack(stack), Path(outdir)


def one(template: Template, resource_type: str) -> dict:
    (resource,) = template.find_resources(resource_type).values()
    return resource["Properties"]


def test_gateway_is_mcp_with_iam_inbound_auth(synthesized) -> None:
    _, _, template, _ = synthesized
    props = one(template, "AWS::BedrockAgentCore::Gateway")
    assert props["ProtocolType"] == "MCP"
    assert props["AuthorizerType"] == "AWS_IAM"
    assert "AuthorizerConfiguration" not in props
    assert props["Name"] == "orders-tools"


def test_target_exposes_the_tool_with_its_schema(synthesized) -> None:
    stack, gateway, template, _ = synthesized
    props = one(template, "AWS::BedrockAgentCore::GatewayTarget")
    assert props["Name"] == "orders"
    assert props["CredentialProviderConfigurations"] == [
        {"CredentialProviderType": "GATEWAY_IAM_ROLE"}
    ]
    lambda_config = props["TargetConfiguration"]["Mcp"]["Lambda"]
    function_id = stack.get_logical_id(gateway.function.node.default_child)
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
    assert gateway.tool_name == "orders___get_order_status"


def test_function_is_arm64_python_with_retained_logs(synthesized) -> None:
    _, _, template, _ = synthesized
    props = one(template, "AWS::Lambda::Function")
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"].startswith("python3.")
    assert props["Handler"] == "handler.handler"
    assert one(template, "AWS::Logs::LogGroup")["RetentionInDays"] == 30


def test_roles_are_least_privilege(synthesized) -> None:
    stack, gateway, template, _ = synthesized
    roles = template.find_resources("AWS::IAM::Role")
    gateway_role = next(r for k, r in roles.items() if k.startswith("ToolsGatewayRole"))
    (trust,) = gateway_role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policies = template.find_resources("AWS::IAM::Policy")
    gateway_policy = next(p for k, p in policies.items() if k.startswith("ToolsGatewayPolicy"))
    function_id = stack.get_logical_id(gateway.function.node.default_child)
    assert gateway_policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "InvokeOrderStatusTool",
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [function_id, "Arn"]},
        }
    ]
    function_role = next(r for k, r in roles.items() if k.startswith("ToolsFunctionRole"))
    assert "ManagedPolicyArns" not in function_role["Properties"]
    (inline,) = function_role["Properties"]["Policies"]
    (statement,) = inline["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"]["Fn::GetAtt"][1] == "Arn"


def test_grant_invoke_is_scoped_to_this_gateway(synthesized) -> None:
    stack, gateway, template, _ = synthesized
    policies = template.find_resources("AWS::IAM::Policy")
    caller_policy = next(p for k, p in policies.items() if k.startswith("CallerDefaultPolicy"))
    gateway_id = stack.get_logical_id(gateway.gateway)
    assert caller_policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "bedrock-agentcore:InvokeGateway",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [gateway_id, "GatewayArn"]},
        }
    ]


def test_nag_and_cfn_lint_are_clean(synthesized) -> None:
    _, _, _, outdir = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    assert [
        r for r in report["pluginReports"] if r["violations"] or r["suppressedViolations"]
    ] == []
    template_text = (outdir / "ToolsStack.template.json").read_text()
    matches = lint(template_text, regions=["us-west-2"])
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_the_same_nag_harness_flags_a_wildcard(tmp_path) -> None:
    """Control for the clean result above: the checks are really running on this stack."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(
        app, "ToolsStack", env=cdk.Environment(account="123456789012", region="us-west-2")
    )
    gateway = OrderStatusGateway(stack, "Tools", gateway_name="orders-tools")
    gateway.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match=r"AwsSolutions-IAM5\[Action::s3:\*\]"):
        app.synth()
