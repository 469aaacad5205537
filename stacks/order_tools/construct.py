"""The order-status function and its target on a gateway.

The function writes its own log group and nothing else; the gateway's role may invoke it
(``AgentGateway.add_lambda_target`` grants exactly that).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from agentcore_constructs import AgentGateway, ToolDefinition

from .function import handler as tool

FUNCTION_DIRECTORY = Path(__file__).parent / "function"
TARGET_NAME = "orders"


class OrderStatusTools(Construct):
    """Adds ``orders___get_order_status`` to ``gateway``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        gateway: AgentGateway,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "FunctionLogs", retention=log_retention, removal_policy=removal_policy
        )
        role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Order-status tool: writes its own logs, nothing else",
            inline_policies={
                "WriteOwnLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[self.log_group.log_group_arn],
                        )
                    ]
                )
            },
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(FUNCTION_DIRECTORY), exclude=["__pycache__"]),
            timeout=Duration.seconds(10),
            memory_size=256,
            role=role,
            log_group=self.log_group,
            description="Order-status tool behind the demo AgentCore Gateway",
        )
        # Function adds DependsOn its role, which the Role GetAtt already implies (cfn-lint W3005).
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        self.target = gateway.add_lambda_target(
            TARGET_NAME,
            function=self.function,
            tools=[
                ToolDefinition(
                    name=tool.TOOL_NAME,
                    description=tool.DESCRIPTION,
                    input_schema=tool.INPUT_SCHEMA,
                    output_schema=tool.OUTPUT_SCHEMA,
                )
            ],
            description="Order status, carrier, tracking number and ETA by order id",
        )
        self.tool_name = self.target.tool_name(tool.TOOL_NAME)
