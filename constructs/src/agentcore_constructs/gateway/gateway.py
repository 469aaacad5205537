"""``AgentGateway``: an AgentCore Gateway (L1 ``CfnGateway``) serving tools over MCP.

Built on the L1 resources so the gateway's role gets exactly what its targets need: invoke
this function, read this spec object, fetch this provider's credential. Each ``add_*_target``
adds that and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ..execution_role import trust_principal
from ..nag import acknowledge_wildcards, arn_prefix
from ..stack_env import StackAwareConstruct, stack_env
from ..validation import ProblemList, check_pattern, is_token
from .authorizer import GatewayAuthorizer
from .credentials import TargetCredentials
from .observability import GatewayDelivery, GatewayObservability
from .spec import TargetSpec
from .target import (
    MAX_DESCRIPTION_LENGTH,
    TARGET_NAME_PATTERN,
    GatewayTarget,
    TargetKind,
    credential_problem,
)
from .tools import ToolDefinition

GATEWAY_NAME_PATTERN = r"([0-9a-zA-Z][-]?){1,48}"
MAX_INSTRUCTIONS_LENGTH = 2048
Cfn = agentcore.CfnGatewayTarget


class AgentGateway(StackAwareConstruct):
    """An MCP gateway for agents; tools come from ``add_lambda_target``,
    ``add_openapi_target``, ``add_smithy_target`` and ``add_mcp_server_target``.

    By default callers authenticate with IAM (grant them ``grant_invoke``), the gateway gets
    a role created here (trusted by AgentCore for this account's gateways only), and its logs
    and traces are delivered like a runtime's (``observability``). Every prop is checked at
    synth and all problems are reported at once.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        gateway_name: str,
        description: str | None = None,
        instructions: str | None = None,
        authorizer: GatewayAuthorizer | None = None,
        role: iam.IRole | None = None,
        kms_key: kms.IKey | None = None,
        debug_exceptions: bool = False,
        observability: GatewayObservability | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        authorizer = authorizer or GatewayAuthorizer.iam()
        observability = observability or GatewayObservability()
        self._validate(gateway_name, description, instructions, authorizer)
        self.gateway_name = gateway_name
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=trust_principal(self, "gateway/*"),
            description=f"Service role of the AgentCore gateway {gateway_name}",
        )
        # Created with its first statement: a role compares its policies' names when another
        # is attached, and CDK then refuses a policy that stayed empty.
        self._policy: iam.Policy | None = None
        self.cfn_gateway = agentcore.CfnGateway(
            self,
            "Resource",
            name=gateway_name,
            description=description,
            protocol_type="MCP",
            protocol_configuration=agentcore.CfnGateway.GatewayProtocolConfigurationProperty(
                mcp=agentcore.CfnGateway.MCPGatewayConfigurationProperty(instructions=instructions)
            ),
            authorizer_type=authorizer.authorizer_type,
            authorizer_configuration=authorizer.to_cfn(),
            role_arn=self.role.role_arn,
            kms_key_arn=kms_key.key_arn if kms_key is not None else None,
            exception_level="DEBUG" if debug_exceptions else None,
        )
        if kms_key is not None:
            self.add_to_role_policy(_key_statement(self, kms_key))
        self.gateway_arn: str = self.cfn_gateway.attr_gateway_arn
        self.gateway_id: str = self.cfn_gateway.attr_gateway_identifier
        self.gateway_url: str = self.cfn_gateway.attr_gateway_url
        self.targets: dict[str, GatewayTarget] = {}
        # Credential fetches name the gateway's own workload identity, which exists only
        # once the gateway does: those grants live in a policy the targets wait for.
        self._identity_policy: iam.Policy | None = None
        self.delivery: GatewayDelivery | None = None
        if observability.enabled:
            self.delivery = GatewayDelivery(
                self,
                "Observability",
                gateway_arn=self.gateway_arn,
                gateway_name=gateway_name,
                options=observability,
            )

    def add_lambda_target(
        self,
        target_name: str,
        *,
        function: lambda_.IFunction,
        tools: Sequence[ToolDefinition] = (),
        tool_schema_file: str | Path | None = None,
        description: str | None = None,
    ) -> GatewayTarget:
        """``function`` as tools described by ``tools`` or a JSON file of them; the gateway
        invokes it with its role, which may invoke this function only."""
        problems = self._target_problems(target_name, description)
        if bool(tools) == (tool_schema_file is not None):
            problems.add(
                "tools/tool_schema_file",
                f"{len(tools)} tools, file {tool_schema_file}",
                "give the tools inline or as a JSON file: exactly one of the two",
            )
        definitions = list(tools)
        if tool_schema_file is not None:
            try:
                definitions = ToolDefinition.load(tool_schema_file)
            except (OSError, ValueError) as error:
                problems.add("tool_schema_file", str(tool_schema_file), f"cannot be read: {error}")
        for index, tool in enumerate(definitions):
            for prop, value, expected in tool.problems(f"tools[{index}]"):
                problems.add(prop, value, expected)
        problems.raise_if_any()
        invoke = iam.PolicyStatement(
            actions=["lambda:InvokeFunction"], resources=[function.function_arn]
        )
        self.add_to_role_policy(invoke)
        configuration = Cfn.McpTargetConfigurationProperty(
            lambda_=Cfn.McpLambdaTargetConfigurationProperty(
                lambda_arn=function.function_arn,
                tool_schema=Cfn.ToolSchemaProperty(
                    inline_payload=[tool.to_cfn() for tool in definitions]
                ),
            )
        )
        return self._add_target(
            target_name, description, configuration, TargetCredentials.gateway_iam_role()
        )

    def add_openapi_target(
        self,
        target_name: str,
        *,
        spec: TargetSpec,
        credentials: TargetCredentials,
        description: str | None = None,
    ) -> GatewayTarget:
        """The operations of an OpenAPI 3 spec (each needs an ``operationId``) as tools."""
        self._check_spec_target(TargetKind.OPENAPI, target_name, spec, credentials, description)
        configuration = Cfn.McpTargetConfigurationProperty(open_api_schema=spec.to_cfn())
        return self._add_target(target_name, description, configuration, credentials, spec)

    def add_smithy_target(
        self,
        target_name: str,
        *,
        spec: TargetSpec,
        credentials: TargetCredentials | None = None,
        description: str | None = None,
    ) -> GatewayTarget:
        """The operations of a Smithy model (an AWS API) as tools, called with the gateway's
        role: add the API's permissions with ``add_to_role_policy``."""
        credentials = credentials or TargetCredentials.gateway_iam_role()
        self._check_spec_target(TargetKind.SMITHY, target_name, spec, credentials, description)
        configuration = Cfn.McpTargetConfigurationProperty(smithy_model=spec.to_cfn())
        return self._add_target(target_name, description, configuration, credentials, spec)

    def add_mcp_server_target(
        self,
        target_name: str,
        *,
        endpoint: str,
        credentials: TargetCredentials | None,
        description: str | None = None,
    ) -> GatewayTarget:
        """The tools of a remote MCP server at ``endpoint`` (https). ``credentials=None``
        calls it without any: say so explicitly, the server is then open to the gateway's
        requests only by its own rules."""
        problems = self._target_problems(target_name, description)
        if not is_token(endpoint) and not (
            endpoint.startswith("https://") and len(endpoint) > len("https://")
        ):
            problems.add("endpoint", endpoint, "must be an https:// URL of the MCP server")
        self._add_credential_problems(problems, TargetKind.MCP_SERVER, credentials)
        problems.raise_if_any()
        configuration = Cfn.McpTargetConfigurationProperty(
            mcp_server=Cfn.McpServerTargetConfigurationProperty(endpoint=endpoint)
        )
        return self._add_target(target_name, description, configuration, credentials)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call the gateway's tools with SigV4 (IAM inbound auth)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock-agentcore:InvokeGateway"],
            resource_arns=[self.gateway_arn],
        )

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Add a permission the gateway's role needs (a Smithy target's AWS API, say)."""
        if self._policy is None:
            self._policy = iam.Policy(self, "Policy", roles=[self.role])
            # The service checks the role when it creates the gateway: policy first.
            self.cfn_gateway.node.add_dependency(self._policy)
        self._policy.add_statements(statement)

    def _check_spec_target(
        self,
        kind: TargetKind,
        target_name: str,
        spec: TargetSpec,
        credentials: TargetCredentials,
        description: str | None,
    ) -> None:
        problems = self._target_problems(target_name, description)
        for prop, value, expected in spec.problems("spec"):
            problems.add(prop, value, expected)
        self._add_credential_problems(problems, kind, credentials)
        problems.raise_if_any()

    def _add_target(
        self,
        target_name: str,
        description: str | None,
        configuration: agentcore.CfnGatewayTarget.McpTargetConfigurationProperty,
        credentials: TargetCredentials | None,
        spec: TargetSpec | None = None,
    ) -> GatewayTarget:
        for statement in spec.statements(self) if spec is not None else []:
            self.add_to_role_policy(statement)
        target = GatewayTarget(
            self,
            f"{target_name}Target",
            gateway_id=self.gateway_id,
            target_name=target_name,
            description=description,
            target_configuration=Cfn.TargetConfigurationProperty(mcp=configuration),
            credentials=credentials,
        )
        identity = (
            credentials.identity_statements(
                self, gateway_id=self.gateway_id, gateway_name=self.gateway_name
            )
            if credentials
            else []
        )
        if identity:
            if self._identity_policy is None:
                self._identity_policy = iam.Policy(self, "IdentityPolicy", roles=[self.role])
                directory = f"{arn_prefix(self, 'bedrock-agentcore')}:workload-identity-directory"
                acknowledge_wildcards(
                    self._identity_policy,
                    {
                        f"{directory}/default/workload-identity/{self.gateway_name}-*": (
                            "The gateway's own workload identity, named by the service after "
                            "this gateway (its ARN is not a GetAtt string)."
                        )
                    },
                )
            self._identity_policy.add_statements(*identity)
            target.node.add_dependency(self._identity_policy)
        self.targets[target_name] = target
        return target

    def _target_problems(self, target_name: str, description: str | None) -> ProblemList:
        problems = ProblemList(self)
        check_pattern(
            problems,
            "target_name",
            target_name,
            TARGET_NAME_PATTERN,
            "must be 1 to 100 letters and digits, single hyphens between them",
        )
        if target_name in self.targets:
            problems.add("target_name", target_name, "is already a target of this gateway")
        if description is not None and not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            problems.add(
                "description", description, f"must be 1 to {MAX_DESCRIPTION_LENGTH} characters"
            )
        return problems

    @staticmethod
    def _add_credential_problems(
        problems: ProblemList, kind: TargetKind, credentials: TargetCredentials | None
    ) -> None:
        mismatch = credential_problem(kind, credentials)
        if mismatch is not None:
            problems.add(*mismatch)
        if credentials is not None:
            for prop, value, expected in credentials.problems("credentials"):
                problems.add(prop, value, expected)

    def _validate(
        self,
        gateway_name: str,
        description: str | None,
        instructions: str | None,
        authorizer: GatewayAuthorizer,
    ) -> None:
        problems = ProblemList(self)
        check_pattern(
            problems,
            "gateway_name",
            gateway_name,
            GATEWAY_NAME_PATTERN,
            "must be 1 to 48 letters and digits, single hyphens between them (no underscores)",
        )
        if description is not None and not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            problems.add(
                "description", description, f"must be 1 to {MAX_DESCRIPTION_LENGTH} characters"
            )
        if instructions is not None and not 1 <= len(instructions) <= MAX_INSTRUCTIONS_LENGTH:
            problems.add(
                "instructions",
                f"{len(instructions)} characters",
                f"must be 1 to {MAX_INSTRUCTIONS_LENGTH} characters",
            )
        for prop, value, expected in authorizer.problems():
            problems.add(prop, value, expected)
        problems.raise_if_any()


def _key_statement(scope: Construct, key: kms.IKey) -> iam.PolicyStatement:
    """What the gateway's role does with a customer managed key, through AgentCore only
    (AgentCore devguide, "Encrypt your AgentCore gateway with a customer-managed KMS key")."""
    stack = stack_env(scope)
    return iam.PolicyStatement(
        actions=["kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"],
        resources=[key.key_arn],
        conditions={
            "StringEquals": {
                "kms:ViaService": f"bedrock-agentcore.{stack.region}.{stack.url_suffix}"
            }
        },
    )
