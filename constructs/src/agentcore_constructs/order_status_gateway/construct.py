"""A demo AgentCore Gateway (MCP, IAM inbound auth) with the order-status Lambda as its tool.

Built on the L1 resources so every permission is exactly the one this gateway needs: the
gateway's role may invoke this one function, and callers need ``InvokeGateway`` on this ARN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..execution_role import SERVICE_PRINCIPAL
from ..python_function import python_function
from .function import handler as tool

FUNCTION_DIRECTORY = Path(__file__).parent / "function"
TARGET_NAME = "orders"


def cfn_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema (the subset the gateway accepts) in CloudFormation's PascalCase keys."""
    converted: dict[str, Any] = {"Type": schema["type"]}
    if "description" in schema:
        converted["Description"] = schema["description"]
    if "properties" in schema:
        converted["Properties"] = {k: cfn_schema(v) for k, v in schema["properties"].items()}
    if "required" in schema:
        converted["Required"] = list(schema["required"])
    if "items" in schema:
        converted["Items"] = cfn_schema(schema["items"])
    return converted


class OrderStatusGateway(Construct):
    """Gateway + Lambda target exposing ``orders___get_order_status`` over MCP."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        gateway_name: str,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self, "FunctionLogs", retention=log_retention, removal_policy=removal_policy
        )
        function_role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Order-status tool: writes its own logs, nothing else",
            inline_policies={
                "WriteOwnLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[f"{self.log_group.log_group_arn}"],
                        )
                    ]
                )
            },
        )
        self.function = python_function(
            self,
            "Function",
            directory=FUNCTION_DIRECTORY,
            role=function_role,
            log_group=self.log_group,
            timeout=Duration.seconds(10),
            memory_size=256,
            description="Order-status tool behind the demo AgentCore Gateway",
        )

        gateway_role = iam.Role(
            self,
            "GatewayRole",
            assumed_by=iam.ServicePrincipal(
                SERVICE_PRINCIPAL,
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:bedrock-agentcore:"
                        f"{stack.region}:{stack.account}:gateway/*"
                    },
                },
            ),
            description="AgentCore Gateway: may invoke the order-status function only",
        )
        gateway_policy = iam.Policy(
            self,
            "GatewayPolicy",
            roles=[gateway_role],
            statements=[
                iam.PolicyStatement(
                    sid="InvokeOrderStatusTool",
                    actions=["lambda:InvokeFunction"],
                    resources=[self.function.function_arn],
                )
            ],
        )
        self.gateway = agentcore.CfnGateway(
            self,
            "Gateway",
            name=gateway_name,
            description="Demo gateway exposing the order-status tool",
            protocol_type="MCP",
            protocol_configuration=agentcore.CfnGateway.GatewayProtocolConfigurationProperty(
                mcp=agentcore.CfnGateway.MCPGatewayConfigurationProperty(
                    instructions="Tools for order support: look up an order's shipping status."
                )
            ),
            authorizer_type="AWS_IAM",
            role_arn=gateway_role.role_arn,
        )
        self.gateway.node.add_dependency(gateway_policy)
        self.target = agentcore.CfnGatewayTarget(
            self,
            "OrderStatusTarget",
            name=TARGET_NAME,
            description="Order status, carrier, tracking number and ETA by order id",
            gateway_identifier=self.gateway.attr_gateway_identifier,
            credential_provider_configurations=[
                agentcore.CfnGatewayTarget.CredentialProviderConfigurationProperty(
                    credential_provider_type="GATEWAY_IAM_ROLE"
                )
            ],
            target_configuration={
                "mcp": {
                    "lambda": {
                        "lambdaArn": self.function.function_arn,
                        "toolSchema": {
                            "inlinePayload": [
                                {
                                    "name": tool.TOOL_NAME,
                                    "description": tool.DESCRIPTION,
                                    "inputSchema": _camel(cfn_schema(tool.INPUT_SCHEMA)),
                                    "outputSchema": _camel(cfn_schema(tool.OUTPUT_SCHEMA)),
                                }
                            ]
                        },
                    }
                }
            },
        )
        self.gateway_arn: str = self.gateway.attr_gateway_arn
        self.gateway_id: str = self.gateway.attr_gateway_identifier
        self.gateway_url: str = self.gateway.attr_gateway_url
        self.tool_name = f"{TARGET_NAME}___{tool.TOOL_NAME}"

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call the gateway's tools with SigV4."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock-agentcore:InvokeGateway"],
            resource_arns=[self.gateway_arn],
        )


def _camel(schema: dict[str, Any]) -> dict[str, Any]:
    """jsii struct keys are camelCase; property *names* under Properties stay as they are."""
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        name = key[0].lower() + key[1:]
        if key == "Properties":
            converted[name] = {prop: _camel(sub) for prop, sub in value.items()}
        elif isinstance(value, dict):
            converted[name] = _camel(value)
        else:
            converted[name] = value
    return converted
