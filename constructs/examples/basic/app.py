"""The smallest useful stack: a Strands agent on AgentCore Runtime, its memory, and a caller.

Uses only the public API of `agentcore_constructs`. `cdk synth` here needs no Docker (only
`cdk deploy` builds the image) and runs cdk-nag's AWS Solutions checks, as platform teams do.
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from agentcore_constructs import (
    AgentMemory,
    AgentRuntime,
    AgentRuntimeImage,
    MemoryStrategy,
)

AGENT_DIRECTORY = Path(__file__).resolve().parent / "agent"
MODEL_ID = "global.anthropic.claude-sonnet-4-6"


class BasicAgentStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        memory = AgentMemory(
            self,
            "Memory",
            memory_name="basic_agent_memory",
            strategies=[MemoryStrategy.user_preference()],
        )
        self.runtime = AgentRuntime(
            self,
            "Agent",
            runtime_name="basic_agent",  # letters, digits and underscores
            image=AgentRuntimeImage.from_asset(str(AGENT_DIRECTORY)),  # built for linux/arm64
            model_ids=[MODEL_ID],  # InvokeModel(+Stream) on the profile and its models; MODEL_ID
            memory=memory,  # MEMORY_ID, and the event and record permissions the agent needs
        )
        # Who may call the agent (IAM/SigV4 is the default inbound auth).
        caller = iam.Role(
            self,
            "Caller",
            assumed_by=iam.AccountRootPrincipal(),
            description="May invoke the basic agent",
        )
        self.runtime.grant_invoke(caller)

        cdk.CfnOutput(self, "RuntimeArn", value=self.runtime.runtime_arn)
        cdk.CfnOutput(self, "InvokeUrl", value=self.runtime.invoke_url)
        cdk.CfnOutput(self, "CallerRoleArn", value=caller.role_arn)


def build_app(app: cdk.App | None = None, *, env: cdk.Environment | None = None) -> cdk.App:
    app = app or cdk.App()
    BasicAgentStack(
        app,
        "BasicAgent",
        env=env
        or cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    build_app().synth()
