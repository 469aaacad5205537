"""One environment of the app: image repository, auth, tool gateway and the agent runtime.

The stack only wires constructs from typed config; it never reads context or the process
environment, so the same class deploys dev and prod.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from agentcore_constructs import (
    AgentGateway,
    AgentMemory,
    AgentPython,
    AgentRuntime,
    AgentRuntimeCode,
    AgentRuntimeImage,
    GatewayObservability,
    MemoryStrategy,
    ObservabilityOptions,
    RuntimeAuthorizer,
    ServerProtocol,
)

from .acknowledgments import acknowledge_machine_user_pool
from .agent_settings import agent_environment
from .config import EnvironmentConfig
from .log_retention import retention
from .network import runtime_network
from .order_tools.construct import OrderStatusTools
from .secrets import runtime_secrets

INVOKE_SCOPE = "invoke"
# What the image build needs but the code zip does not carry (its dependencies come from the lock).
CONTAINER_ONLY_FILES = ("Dockerfile", ".dockerignore", "requirements.txt", "requirements.lock")
REMOVAL = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}


class AgentRuntimeStack(Stack):
    """Everything one environment needs to run the order-support agent."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        agent_directory: str,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        for key, value in {
            "Project": config.project_name,
            "Environment": config.name,
            **config.tags,
        }.items():
            Tags.of(self).add(key, value)

        self.repository: ecr.Repository | None = None
        auth = self._cognito() if config.runtime.authorizer == "cognito_jwt" else None
        gateway = self._gateway()
        network, self.vpc_endpoints = runtime_network(self, config)
        self.memory = self._memory()
        self.runtime = AgentRuntime(
            self,
            "AgentRuntime",
            runtime_name=config.runtime.name,
            description=config.runtime.description,
            **self._artifact(agent_directory),
            protocol=ServerProtocol(config.runtime.protocol),
            idle_session_timeout=Duration.seconds(config.runtime.idle_timeout_seconds),
            max_lifetime=Duration.seconds(config.runtime.max_lifetime_seconds),
            network=network,
            authorizer=auth,
            environment_variables=agent_environment(config),
            secrets=runtime_secrets(self, config),
            memory=self.memory,
            # The verified JWT reaches the agent, whose subject names the memory's actor.
            request_header_allowlist=["Authorization"] if auth and self.memory else [],
            model_ids=[config.model_id],
            # The demo gateway object (URL, ARN and invoke grant in one), or the configured one.
            **gateway,
            observability=self._observability(),
        )
        self.runtime_endpoints = [
            self.runtime.add_endpoint(
                endpoint.name, version=endpoint.version, description=endpoint.description
            )
            for endpoint in config.runtime.endpoints
        ]
        self._outputs(auth_mode="jwt" if auth else "iam")

    def _artifact(self, agent_directory: str) -> dict[str, AgentRuntimeImage | AgentRuntimeCode]:
        """The container image (default) or the code zip, from the same agent directory."""
        if self.config.runtime.artifact == "code":
            return {
                "code": AgentRuntimeCode.from_directory(
                    agent_directory,
                    module="agent",
                    requirements=str(Path(agent_directory) / "requirements.lock"),
                    python=AgentPython.PYTHON_3_13,
                    exclude=CONTAINER_ONLY_FILES,
                    bytecode=self.config.runtime.code_bytecode,
                )
            }
        self.repository = self._repository()
        return {"image": AgentRuntimeImage.from_asset(agent_directory, repository=self.repository)}

    def _repository(self) -> ecr.Repository:
        destroy = self.config.ecr.removal_policy == "destroy"
        return ecr.Repository(
            self,
            "AgentRepository",
            image_scan_on_push=True,
            # Each deploy copies the image under a new tag (its content hash), so tags never move.
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.AES_256,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description=f"Keep the last {self.config.ecr.keep_last_images} images",
                    max_image_count=self.config.ecr.keep_last_images,
                )
            ],
            removal_policy=REMOVAL[self.config.ecr.removal_policy],
            empty_on_delete=destroy,
        )

    def _gateway(self) -> dict[str, Any]:
        """The configured gateway, or a demo one with the order-status tool (self-contained)."""
        if self.config.gateway is not None:
            self.gateway_endpoint, self.gateway_arn = (
                self.config.gateway.endpoint,
                self.config.gateway.arn,
            )
            return {"gateway_endpoint": self.gateway_endpoint, "gateway_arn": self.gateway_arn}
        settings = self.config.observability
        self.demo_gateway = AgentGateway(
            self,
            "DemoGateway",
            gateway_name=f"{self.config.stack_name}-tools",
            description="Demo gateway exposing the order-status tool",
            instructions="Tools for order support: look up an order's shipping status.",
            observability=GatewayObservability(
                enabled=settings.enabled,
                log_retention=retention(settings.log_retention_days),
                log_removal_policy=REMOVAL[settings.log_removal_policy],
            ),
        )
        self.order_tools = OrderStatusTools(
            self,
            "OrderTools",
            gateway=self.demo_gateway,
            log_retention=retention(settings.log_retention_days),
            removal_policy=REMOVAL[settings.log_removal_policy],
        )
        self.gateway_endpoint = self.demo_gateway.gateway_url
        self.gateway_arn = self.demo_gateway.gateway_arn
        return {"gateway": self.demo_gateway}

    def _memory(self) -> AgentMemory | None:
        settings = self.config.memory
        if not settings.enabled:
            return None
        strategies = {
            "semantic": MemoryStrategy.semantic,
            "summary": MemoryStrategy.summary,
            "user_preference": MemoryStrategy.user_preference,
            "episodic": MemoryStrategy.episodic,
        }
        return AgentMemory(
            self,
            "Memory",
            memory_name=f"{self.config.runtime.name}_memory"[:48],
            event_expiry=Duration.days(settings.event_expiry_days),
            strategies=[strategies[name]() for name in settings.strategies],
            description=f"Conversations of the order-support agent ({self.config.name})",
        )

    def _observability(self) -> ObservabilityOptions:
        settings = self.config.observability
        return ObservabilityOptions(
            enabled=settings.enabled,
            log_retention=retention(settings.log_retention_days),
            log_removal_policy=REMOVAL[settings.log_removal_policy],
            alarm_email=settings.alarm_email,
            system_errors_threshold=settings.system_errors_threshold,
            throttles_threshold=settings.throttles_threshold,
            latency_p99_threshold=Duration.millis(settings.latency_p99_threshold_ms),
        )

    def _cognito(self) -> RuntimeAuthorizer:
        """User pool + domain + resource server + machine client: JWTs for the runtime."""
        settings = self.config.cognito
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            deletion_protection=settings.deletion_protection,
            removal_policy=REMOVAL[settings.removal_policy],
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            account_recovery=cognito.AccountRecovery.NONE,
        )
        acknowledge_machine_user_pool(self.user_pool)
        # Prefix domains are global per region: the account id keeps it unique (ERRATA 25).
        prefix = settings.domain_prefix or f"{self.config.stack_name}-{self.account}"
        self.user_pool_domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        invoke_scope = cognito.ResourceServerScope(
            scope_name=INVOKE_SCOPE, scope_description="Invoke the agent runtime"
        )
        self.resource_server = self.user_pool.add_resource_server(
            "ResourceServer",
            identifier=self.config.resource_server_id,
            scopes=[invoke_scope],
        )
        self.client = self.user_pool.add_client(
            "MachineClient",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(self.resource_server, invoke_scope)],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            access_token_validity=Duration.minutes(60),
        )
        # The scope's Ref to the resource server orders the client after it (ERRATA 10).
        # Client credentials only: no user-password, SRP or custom auth flows on this client.
        client_resource = self.client.node.default_child
        client_resource.explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]
        return RuntimeAuthorizer.cognito(
            user_pool=self.user_pool, clients=[self.client], scopes=[self.invoke_scope_name]
        )

    @property
    def invoke_scope_name(self) -> str:
        return f"{self.config.resource_server_id}/{INVOKE_SCOPE}"

    def _outputs(self, *, auth_mode: str) -> None:
        # Callers go through the first named endpoint when there is one.
        endpoints = self.runtime_endpoints
        qualifier = endpoints[0].qualifier if endpoints else "DEFAULT"
        outputs = {
            "RuntimeArn": self.runtime.runtime_arn,
            "RuntimeId": self.runtime.runtime_id,
            "RuntimeVersion": self.runtime.runtime_version,
            "Qualifier": qualifier,
            "InvokeUrl": self.runtime.invoke_url_for(qualifier),
            "AuthMode": auth_mode,
            "Artifact": self.config.runtime.artifact,
            "Protocol": self.config.runtime.protocol,
            "GatewayUrl": self.gateway_endpoint,
            "GatewayArn": self.gateway_arn,
        }
        if self.repository is not None:
            outputs["EcrRepositoryUri"] = self.repository.repository_uri
        if self.memory is not None:
            outputs["MemoryId"] = self.memory.memory_id
        if endpoints:
            outputs["EndpointArn"] = endpoints[0].endpoint_arn
            outputs["EndpointLiveVersion"] = endpoints[0].live_version
        if auth_mode == "jwt":
            outputs |= {
                "CognitoTokenUrl": f"{self.user_pool_domain.base_url()}/oauth2/token",
                "CognitoClientId": self.client.user_pool_client_id,
                "CognitoUserPoolId": self.user_pool.user_pool_id,
                "InvokeScope": self.invoke_scope_name,
            }
        if self.runtime.observability is not None:
            outputs["AlarmTopicArn"] = self.runtime.observability.alarm_topic.topic_arn
            outputs["ApplicationLogGroup"] = (
                self.runtime.observability.application_log_group.log_group_name
            )
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
