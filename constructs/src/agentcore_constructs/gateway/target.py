"""One target of a gateway (``CfnGatewayTarget``), and which credentials each kind accepts."""

from __future__ import annotations

import enum

from aws_cdk import aws_bedrockagentcore as agentcore
from constructs import Construct

from ..stack_env import StackAwareConstruct
from .credentials import API_KEY, GATEWAY_IAM_ROLE, OAUTH, TargetCredentials

TARGET_NAME_PATTERN = r"([0-9a-zA-Z][-]?){1,100}"
MAX_DESCRIPTION_LENGTH = 200


class TargetKind(enum.Enum):
    """The MCP target types this library builds; the value is how errors name them."""

    LAMBDA = "a Lambda target"
    OPENAPI = "an OpenAPI target"
    SMITHY = "a Smithy target"
    MCP_SERVER = "an MCP server target"


# (credential type, signs for an explicit service) -> target kinds that accept it; None is
# "no outbound credentials". The gateway role signs for Lambda and Smithy targets with the
# service it already knows; OpenAPI and MCP server targets must name the signing service.
_ACCEPTED: dict[tuple[str, bool] | None, tuple[TargetKind, ...]] = {
    (GATEWAY_IAM_ROLE, False): (TargetKind.LAMBDA, TargetKind.SMITHY),
    (GATEWAY_IAM_ROLE, True): (TargetKind.OPENAPI, TargetKind.MCP_SERVER),
    (API_KEY, False): (TargetKind.OPENAPI,),
    (OAUTH, False): (TargetKind.OPENAPI, TargetKind.MCP_SERVER),
    None: (TargetKind.MCP_SERVER,),
}
_ACCEPTS: dict[TargetKind, str] = {
    TargetKind.LAMBDA: "gateway_iam_role()",
    TargetKind.SMITHY: "gateway_iam_role()",
    TargetKind.OPENAPI: "api_key(...), oauth2(...) or gateway_iam_role(service=...)",
    TargetKind.MCP_SERVER: "oauth2(...), gateway_iam_role(service=...) or None",
}


def credential_problem(
    kind: TargetKind, credentials: TargetCredentials | None
) -> tuple[str, object, str] | None:
    """The one-line problem when ``kind`` cannot use ``credentials``, else None."""
    key = (
        None
        if credentials is None
        else (credentials.credential_type, credentials.service is not None)
    )
    if kind in _ACCEPTED.get(key, ()):
        return None
    given = "None" if credentials is None else f"TargetCredentials.{credentials.label}"
    return ("credentials", given, f"{kind.value} accepts {_ACCEPTS[kind]}")


class GatewayTarget(StackAwareConstruct):
    """A target the gateway exposes as MCP tools named ``<target name>___<tool name>``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        gateway_id: str,
        target_name: str,
        description: str | None,
        target_configuration: agentcore.CfnGatewayTarget.TargetConfigurationProperty,
        credentials: TargetCredentials | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.target_name = target_name
        self.cfn_target = agentcore.CfnGatewayTarget(
            self,
            "Resource",
            name=target_name,
            description=description,
            gateway_identifier=gateway_id,
            target_configuration=target_configuration,
            credential_provider_configurations=(
                [credentials.to_cfn()] if credentials is not None else None
            ),
        )
        self.target_id: str = self.cfn_target.attr_target_id

    def tool_name(self, tool: str) -> str:
        """The name MCP clients see for ``tool`` of this target."""
        return f"{self.target_name}___{tool}"
