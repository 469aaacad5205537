"""``AgentRuntime``: an AgentCore Runtime (L1 ``CfnRuntime``) and what it cannot run without."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Protocol

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, Dependable

from .authorizer import RuntimeAuthorizer
from .code import AgentRuntimeCode
from .endpoint import RuntimeEndpoint
from .execution_role import (
    execution_policy_document,
    gateway_invoke_statement,
    key_use_statement,
    model_invoke_statement,
    runtime_base_statements,
    secret_read_statements,
    trust_principal,
    wildcard_reasons,
)
from .grants import caller_actions, grant_runtime_actions
from .image import AgentRuntimeImage, BoundImage
from .memory import AgentMemory
from .nag import acknowledge_wildcards
from .network import RuntimeNetwork
from .observability import ObservabilityOptions, RuntimeMetrics, RuntimeObservability
from .stack_env import StackAwareConstruct, stack_env
from .validation import ProblemList, check_pattern, check_range, is_token

RUNTIME_NAME_PATTERN = r"[a-zA-Z][a-zA-Z0-9_]{0,47}"
ENV_NAME_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_]*"
GATEWAY_ARN_PATTERN = r"arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:gateway/[a-zA-Z0-9-]+"
LIFECYCLE_MIN_SECONDS = 60
LIFECYCLE_MAX_SECONDS = 28800  # microVM runtimes; only capacity-provider runtimes allow more
DEFAULT_IDLE_SECONDS = 900
MAX_ENV_VARS = 50
REGION_VARIABLE = "AGENT_REGION"
SECRET_ENV_PREFIX = "SECRET_ARN_"
MAX_ENV_NAME_LENGTH = 128
MAX_ENV_VALUE_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 1200
# Frozen, so every runtime without options shares it (and its one read of the threshold).
DEFAULT_OBSERVABILITY = ObservabilityOptions()


class AgentGatewayLike(Protocol):
    """What ``AgentRuntime(gateway=...)`` needs of a gateway (``AgentGateway`` has it)."""

    @property
    def gateway_url(self) -> str: ...

    @property
    def gateway_arn(self) -> str: ...


class ServerProtocol(enum.Enum):
    """The contract the container serves (``ProtocolConfiguration``)."""

    HTTP = "HTTP"
    MCP = "MCP"
    A2A = "A2A"
    AGUI = "AGUI"


class AgentRuntime(StackAwareConstruct):
    """An AgentCore Runtime running a container image or a Python code zip, least privilege.

    Only ``runtime_name`` and one artifact (``image`` or ``code``) are required. By default the
    runtime is PUBLIC, authorized by IAM (SigV4), and gets a role created here that can pull its
    image (container artifact), write its logs, traces and metrics, and fetch workload identity
    tokens; ``model_ids`` and ``gateway`` (or ``gateway_endpoint`` + ``gateway_arn``) add exactly
    the Bedrock and Gateway permissions those need. The construct acknowledges the cdk-nag
    findings its execution policy carries, each for the one resource AWS offers no narrower
    scope for.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime_name: str,
        image: AgentRuntimeImage | None = None,
        code: AgentRuntimeCode | None = None,
        description: str | None = None,
        protocol: ServerProtocol = ServerProtocol.HTTP,
        idle_session_timeout: Duration | None = None,
        max_lifetime: Duration | None = None,
        network: RuntimeNetwork | None = None,
        authorizer: RuntimeAuthorizer | None = None,
        environment_variables: Mapping[str, str] | None = None,
        role: iam.IRole | None = None,
        model_ids: Sequence[str] = (),
        gateway: AgentGatewayLike | None = None,
        gateway_endpoint: str | None = None,
        gateway_arn: str | None = None,
        observability: ObservabilityOptions | None = None,
        secrets: Mapping[str, secretsmanager.ISecret] | None = None,
        memory: AgentMemory | None = None,
        request_header_allowlist: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        gateway_conflict = gateway is not None and (
            gateway_endpoint is not None or gateway_arn is not None
        )
        if gateway is not None and not gateway_conflict:
            gateway_endpoint, gateway_arn = gateway.gateway_url, gateway.gateway_arn
        observability = observability or DEFAULT_OBSERVABILITY
        idle = idle_session_timeout.to_seconds() if idle_session_timeout else DEFAULT_IDLE_SECONDS
        max_life = max_lifetime.to_seconds() if max_lifetime else LIFECYCLE_MAX_SECONDS
        network = network or RuntimeNetwork.public()
        env = dict(environment_variables or {})
        if gateway_endpoint is not None:
            env.setdefault("GATEWAY_ENDPOINT", gateway_endpoint)
        if len(model_ids) == 1:
            env.setdefault("MODEL_ID", model_ids[0])
        if memory is not None:
            env["MEMORY_ID"] = memory.memory_id
            if memory.namespaces:
                env["MEMORY_NAMESPACES"] = ",".join(memory.namespaces)
        secrets = dict(secrets or {})
        for secret_name, secret in secrets.items():
            # Only the ARN: environment variables show in the console, values never go there.
            env[f"{SECRET_ENV_PREFIX}{secret_name}"] = secret.secret_arn
        # AWS_* variables belong to the platform; the agent prefers AWS_REGION when it is set.
        env.setdefault(REGION_VARIABLE, stack_env(self).region)

        self._validate(
            runtime_name=runtime_name,
            description=description,
            idle=int(idle),
            max_life=int(max_life),
            env=env,
            network=network,
            authorizer=authorizer,
            artifact=image or code,
            artifacts_given=(image is not None) + (code is not None),
            gateway_endpoint=gateway_endpoint,
            gateway_arn=gateway_arn,
            gateway_conflict=gateway_conflict,
            observability=observability,
        )

        self.runtime_name = runtime_name
        artifact = image or code
        assert artifact is not None  # validated above
        bound = artifact.bind(self)
        repository_arn = bound.repository_arn if isinstance(bound, BoundImage) else None
        self.role: iam.IRole = role or iam.Role(
            self,
            "ExecutionRole",
            assumed_by=trust_principal(self),
            description=f"Execution role of the AgentCore runtime {runtime_name}",
        )
        statements = runtime_base_statements(
            self,
            runtime_name=runtime_name,
            pulls_image=isinstance(bound, BoundImage),
            image_repository_arn=repository_arn,
        )
        if model_ids:
            statements.append(model_invoke_statement(self, model_ids))
        if gateway_arn is not None:
            statements.append(gateway_invoke_statement(gateway_arn))
        if secrets:
            statements.extend(secret_read_statements(self, secrets.values()))
        if memory is not None and memory.encryption_key is not None:
            statements.append(key_use_statement(self, memory.encryption_key, "bedrock-agentcore"))
        self._policy = iam.Policy(
            self,
            "ExecutionPolicy",
            roles=[self.role],
            document=execution_policy_document(statements),
        )
        if memory is not None:
            self._policy.add_statements(*memory.statements(retrieve=bool(memory.strategies)))
        acknowledge_wildcards(
            self._policy,
            wildcard_reasons(
                self,
                runtime_name=runtime_name,
                pulls_image=isinstance(bound, BoundImage),
                model_ids=model_ids,
            ),
        )

        self.cfn_runtime = agentcore.CfnRuntime(
            self,
            "Resource",
            agent_runtime_name=runtime_name,
            description=description,
            role_arn=self.role.role_arn,
            agent_runtime_artifact=bound.to_cfn(),
            protocol_configuration=protocol.value,
            lifecycle_configuration=agentcore.CfnRuntime.LifecycleConfigurationProperty(
                idle_runtime_session_timeout=int(idle), max_lifetime=int(max_life)
            ),
            network_configuration=network.to_cfn(),
            authorizer_configuration=authorizer.to_cfn(self) if authorizer else None,
            environment_variables=env or None,
            request_header_configuration=(
                agentcore.CfnRuntime.RequestHeaderConfigurationProperty(
                    request_header_allowlist=list(request_header_allowlist)
                )
                if request_header_allowlist
                else None
            ),
        )
        # The service validates the role when it creates the runtime: the policy must exist
        # first (ERRATA 14). The role itself is ordered by the RoleArn reference.
        self.cfn_runtime.node.add_dependency(self._policy)
        if isinstance(bound, BoundImage) and bound.dependency is not None:
            self.cfn_runtime.node.add_dependency(bound.dependency)
        self._wait_for_network(network)

        self.runtime_arn: str = self.cfn_runtime.attr_agent_runtime_arn
        self.metrics = RuntimeMetrics(runtime_name, self.runtime_arn)
        self.endpoints: dict[str, RuntimeEndpoint] = {}
        self.observability: RuntimeObservability | None = None
        if observability.enabled:
            self.observability = RuntimeObservability(
                self,
                "Observability",
                runtime_arn=self.runtime_arn,
                runtime_name=runtime_name,
                metrics=self.metrics,
                options=observability,
            )

    def _wait_for_network(self, network: RuntimeNetwork) -> None:
        """DependsOn every resource of ``network.depends_on`` the properties do not already
        reference (a reference orders it too; a second DependsOn is cfn-lint's W3005)."""
        referenced = {
            *(subnet.subnet_id for subnet in network.subnets),
            *(group.security_group_id for group in network.security_groups),
        }
        for dependable in network.depends_on:
            for root in Dependable.of(dependable).dependency_roots:
                for construct in root.node.find_all():
                    if not isinstance(construct, CfnResource) or construct is self.cfn_runtime:
                        continue
                    ids = {construct.ref}
                    if isinstance(construct, ec2.CfnSecurityGroup):
                        ids.add(construct.attr_group_id)
                    if not ids & referenced:
                        self.cfn_runtime.add_dependency(construct)

    @cached_property
    def runtime_id(self) -> str:
        """The id the service assigns (read from Node on first use)."""
        return self.cfn_runtime.attr_agent_runtime_id

    @cached_property
    def runtime_version(self) -> str:
        """The version this deploy creates; an endpoint without a pin follows it."""
        return self.cfn_runtime.attr_agent_runtime_version

    def metric(self, metric_name: str, **props) -> cloudwatch.Metric:
        """Any ``AWS/Bedrock-AgentCore`` metric of this runtime's DEFAULT endpoint."""
        return self.metrics.metric(metric_name, **props)

    def metric_invocations(self, **props) -> cloudwatch.Metric:
        return self.metrics.invocations(**props)

    def metric_throttles(self, **props) -> cloudwatch.Metric:
        return self.metrics.throttles(**props)

    def metric_system_errors(self, **props) -> cloudwatch.Metric:
        return self.metrics.system_errors(**props)

    def metric_user_errors(self, **props) -> cloudwatch.Metric:
        return self.metrics.user_errors(**props)

    def metric_latency(self, **props) -> cloudwatch.Metric:
        return self.metrics.latency(**props)

    def metric_total_errors(self, **props) -> cloudwatch.Metric:
        return self.metrics.total_errors(**props)

    def metric_session_count(self, **props) -> cloudwatch.Metric:
        return self.metrics.session_count(**props)

    def add_endpoint(
        self, endpoint_name: str, *, version: str | None = None, description: str | None = None
    ) -> RuntimeEndpoint:
        """A named endpoint following the latest version (``version=None``) or pinned to one.

        With observability on, the endpoint gets its own alarms and dashboard section: traffic
        through it is measured under ``<runtime>::<endpoint>``, not under DEFAULT.
        """
        if endpoint_name in self.endpoints:
            problems = ProblemList(self)
            problems.add("endpoint_name", endpoint_name, "is already an endpoint of this runtime")
            problems.raise_if_any()
        endpoint = RuntimeEndpoint(
            self,
            f"Endpoint{endpoint_name}",
            runtime=self,
            endpoint_name=endpoint_name,
            version=version,
            description=description,
        )
        self.endpoints[endpoint_name] = endpoint
        if self.observability is not None:
            self.observability.watch_endpoint(endpoint_name, endpoint.metrics)
        return endpoint

    @property
    def invoke_url(self) -> str:
        """HTTPS endpoint of the DEFAULT endpoint; the ARN in the path is URL-encoded."""
        return self.invoke_url_for("DEFAULT")

    def invoke_url_for(self, qualifier: str) -> str:
        """HTTPS endpoint through the endpoint named ``qualifier``."""
        stack = stack_env(self)
        encoded_arn = (
            f"arn%3A{stack.partition}%3Abedrock-agentcore%3A{stack.region}%3A{stack.account}"
            f"%3Aruntime%2F{self.runtime_id}"
        )
        return (
            f"https://bedrock-agentcore.{stack.region}.{stack.url_suffix}/runtimes/"
            f"{encoded_arn}/invocations?qualifier={qualifier}"
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call the agent through any endpoint, every way a caller may need.

        HTTP (JSON/SSE, and MCP/A2A/AG-UI over it), WebSocket, the A2A agent card and stopping
        a session (see ``InvokeAction``); not the ForUser actions, which name the end user.
        """
        return grant_runtime_actions(
            self,
            grantee,
            runtime_name=self.runtime_name,
            endpoint_name=None,
            actions=caller_actions(for_user=False),
        )

    def grant_invoke_for_user(self, grantee: iam.IGrantable) -> iam.Grant:
        """``grant_invoke`` plus the ForUser actions: **trusted backends only**.

        ``InvokeAgentRuntimeForUser`` sets the user-id header, which the service passes on as
        the caller asserts it, unverified (ERRATA 40); an agent that keys memory by that id
        lets whoever holds this grant act as, and read the memory of, any user.
        """
        return grant_runtime_actions(
            self,
            grantee,
            runtime_name=self.runtime_name,
            endpoint_name=None,
            actions=caller_actions(for_user=True),
        )

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Any runtime data-plane actions (see ``InvokeAction``) through any endpoint."""
        return grant_runtime_actions(
            self, grantee, runtime_name=self.runtime_name, endpoint_name=None, actions=actions
        )

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Add a permission to the execution policy (also for an imported role)."""
        self._policy.add_statements(statement)

    def _validate(
        self,
        *,
        runtime_name: str,
        description: str | None,
        idle: int,
        max_life: int,
        env: Mapping[str, str],
        network: RuntimeNetwork,
        authorizer: RuntimeAuthorizer | None,
        artifact: AgentRuntimeImage | AgentRuntimeCode | None,
        artifacts_given: int,
        gateway_endpoint: str | None,
        gateway_arn: str | None,
        gateway_conflict: bool,
        observability: ObservabilityOptions,
    ) -> None:
        problems = ProblemList(self)
        check_pattern(
            problems,
            "runtime_name",
            runtime_name,
            RUNTIME_NAME_PATTERN,
            "must match [a-zA-Z][a-zA-Z0-9_]{0,47}: start with a letter; letters, digits and "
            "underscores only (no hyphens); at most 48 characters",
        )
        if description is not None and not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            problems.add(
                "description", description, f"must be 1 to {MAX_DESCRIPTION_LENGTH} characters"
            )
        bounds = (LIFECYCLE_MIN_SECONDS, LIFECYCLE_MAX_SECONDS, "seconds")
        check_range(problems, "idle_session_timeout", idle, *bounds)
        check_range(problems, "max_lifetime", max_life, *bounds)
        if idle > max_life:
            problems.add(
                "idle_session_timeout",
                idle,
                f"must not exceed max_lifetime ({max_life} seconds)",
            )
        if len(env) > MAX_ENV_VARS:
            problems.add(
                "environment_variables", len(env), f"at most {MAX_ENV_VARS} variables are allowed"
            )
        for name, value in env.items():
            if not re.fullmatch(ENV_NAME_PATTERN, name) or len(name) > MAX_ENV_NAME_LENGTH:
                problems.add(
                    f"environment_variables[{name!r}]",
                    name,
                    f"names must match [a-zA-Z_][a-zA-Z0-9_]* and be at most "
                    f"{MAX_ENV_NAME_LENGTH} characters",
                )
            if not isinstance(value, str):
                problems.add(f"environment_variables[{name!r}]", value, "values must be strings")
            elif not is_token(value) and len(value) > MAX_ENV_VALUE_LENGTH:
                problems.add(
                    f"environment_variables[{name!r}]",
                    f"{len(value)} characters",
                    f"values are at most {MAX_ENV_VALUE_LENGTH} characters",
                )
        if gateway_conflict:
            problems.add(
                "gateway",
                None,
                "give gateway= or gateway_endpoint + gateway_arn, not both",
            )
        elif (gateway_endpoint is None) != (gateway_arn is None):
            problems.add(
                "gateway_arn" if gateway_arn is None else "gateway_endpoint",
                None,
                "give gateway_endpoint and gateway_arn together (or neither)",
            )
        check_pattern(
            problems,
            "gateway_arn",
            gateway_arn,
            GATEWAY_ARN_PATTERN,
            "must be arn:aws:bedrock-agentcore:<region>:<account>:gateway/<gateway id>",
        )
        if (
            gateway_endpoint is not None
            and not is_token(gateway_endpoint)
            and not gateway_endpoint.startswith("https://")
        ):
            problems.add("gateway_endpoint", gateway_endpoint, "must be an https:// URL")
        if artifacts_given != 1:
            problems.add(
                "image/code",
                f"{artifacts_given} given",
                "give exactly one artifact: image=AgentRuntimeImage... or code=AgentRuntimeCode...",
            )
        sub_problems = [*network.problems(), *observability.problems()]
        if artifact is not None:
            sub_problems.extend(artifact.problems())
        if authorizer is not None:
            sub_problems.extend(authorizer.problems())
        for prop, bad_value, expected in sub_problems:
            problems.add(prop, bad_value, expected)
        problems.raise_if_any()
