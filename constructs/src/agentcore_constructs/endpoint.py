"""Named runtime endpoints: a stable qualifier callers use while versions move underneath.

Each update of a runtime creates a new immutable version; ``DEFAULT`` always serves the latest.
A named endpoint either follows the latest version too (its ``AgentRuntimeVersion`` is the
runtime's ``AgentRuntimeVersion`` attribute, so CloudFormation moves it whenever the runtime
changes; an endpoint created without a version would stay on the version it was created
with and keep serving old code) or is pinned to one version for a controlled roll-out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from constructs import Construct

from .grants import caller_actions, grant_runtime_actions
from .observability import RuntimeMetrics
from .stack_env import StackAwareConstruct
from .validation import ProblemList, check_pattern

if TYPE_CHECKING:
    from .runtime import AgentRuntime

ENDPOINT_NAME_PATTERN = r"[a-zA-Z][a-zA-Z0-9_]{0,47}"
VERSION_PATTERN = r"[1-9][0-9]{0,4}"
RESERVED_ENDPOINT_NAMES = ("DEFAULT",)
MAX_DESCRIPTION_LENGTH = 256


class RuntimeEndpoint(StackAwareConstruct):
    """``AWS::BedrockAgentCore::RuntimeEndpoint`` of an :class:`AgentRuntime`.

    Create it with ``runtime.add_endpoint("live")`` (follows the latest version) or
    ``runtime.add_endpoint("live", version="3")`` (pinned). Roll forward by deploying a new
    image and moving the pin (or by following); roll back by pinning the previous version.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: AgentRuntime,
        endpoint_name: str,
        version: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = ProblemList(self)
        check_pattern(
            problems,
            "endpoint_name",
            endpoint_name,
            ENDPOINT_NAME_PATTERN,
            "must match [a-zA-Z][a-zA-Z0-9_]{0,47}: a letter, then letters, digits, underscores",
        )
        if endpoint_name in RESERVED_ENDPOINT_NAMES:
            problems.add(
                "endpoint_name", endpoint_name, "DEFAULT exists already; choose another name"
            )
        if version is not None and not re.fullmatch(VERSION_PATTERN, str(version)):
            problems.add(
                "version", version, 'must be a runtime version number such as "3" (1 to 99999)'
            )
        if description is not None and not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            problems.add(
                "description", description, f"must be 1 to {MAX_DESCRIPTION_LENGTH} characters"
            )
        problems.raise_if_any()

        self.runtime = runtime
        self.endpoint_name = endpoint_name
        self.pinned_version = version
        self.cfn_endpoint = agentcore.CfnRuntimeEndpoint(
            self,
            "Resource",
            agent_runtime_id=runtime.runtime_id,
            name=endpoint_name,
            agent_runtime_version=version or runtime.runtime_version,
            description=description,
        )
        self.endpoint_arn: str = self.cfn_endpoint.attr_agent_runtime_endpoint_arn
        self.live_version: str = self.cfn_endpoint.attr_live_version
        self.metrics = RuntimeMetrics(runtime.runtime_name, runtime.runtime_arn, endpoint_name)

    @property
    def qualifier(self) -> str:
        """What callers pass as ``qualifier=`` to invoke through this endpoint."""
        return self.endpoint_name

    @property
    def invoke_url(self) -> str:
        return self.runtime.invoke_url_for(self.endpoint_name)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` invoke through this endpoint only (not DEFAULT, not others); not
        the ForUser actions (see ``grant_invoke_for_user``)."""
        return grant_runtime_actions(
            self,
            grantee,
            runtime_name=self.runtime.runtime_name,
            endpoint_name=self.endpoint_name,
            actions=caller_actions(for_user=False),
        )

    def grant_invoke_for_user(self, grantee: iam.IGrantable) -> iam.Grant:
        """``grant_invoke`` plus the ForUser actions, through this endpoint only: trusted
        backends only (the user id they pass is not verified by the service)."""
        return grant_runtime_actions(
            self,
            grantee,
            runtime_name=self.runtime.runtime_name,
            endpoint_name=self.endpoint_name,
            actions=caller_actions(for_user=True),
        )

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Any runtime data-plane actions (see ``InvokeAction``) on this endpoint only."""
        return grant_runtime_actions(
            self,
            grantee,
            runtime_name=self.runtime.runtime_name,
            endpoint_name=self.endpoint_name,
            actions=actions,
        )
