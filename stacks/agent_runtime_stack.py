"""One environment of the app: image repository, auth, tool gateway and the agent runtime.

The stack only wires constructs from typed config; it never reads context or the process
environment, so the same class deploys dev and prod.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy, Stack, Tags
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

from .acknowledgments import acknowledge_user_pool
from .agent_settings import agent_environment
from .config import EnvironmentConfig
from .log_retention import retention
from .network import runtime_network
from .order_tools.construct import OrderStatusTools
from .secrets import runtime_secrets

# `agentcore-invoke login` listens here for the authorization code (loopback redirect).
CLI_CALLBACK_URL = "http://localhost:8400/callback"
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
            environment_variables={**agent_environment(config), **self._identity_environment(auth)},
            secrets=runtime_secrets(self, config),
            memory=self.memory,
            # The verified JWT reaches the agent, whose user names the memory's actor.
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

    def _identity_environment(self, auth: RuntimeAuthorizer | None) -> dict[str, str]:
        """How the container tells who calls (agent/identity.py): the runtime's inbound auth."""
        if auth is None:
            return {"AGENT_AUTH_MODE": "iam"}
        return {
            "AGENT_AUTH_MODE": "jwt",
            "AGENT_JWT_ISSUER": auth.issuer(self),
            "AGENT_JWT_CLIENT_IDS": Fn.join(",", list(auth.allowed_clients)),
        }

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
        """End users in a Cognito pool; members of the user group may call the runtime.

        The actor of a call's memory is the signed-in user (ERRATA 40), so there is no
        client-credentials client: its tokens name the client, not a user. Users are created
        by an administrator (no self sign-up) and put in ``cognito.user_group``.
        """
        settings = self.config.cognito
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            # Sign-in aliases are fixed when a pool is created; the pool's first releases had
            # none, so adding one would replace the pool (and its users and domain).
            sign_in_aliases=cognito.SignInAliases(username=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            deletion_protection=settings.deletion_protection,
            removal_policy=REMOVAL[settings.removal_policy],
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.REQUIRED if settings.mfa == "required" else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        )
        acknowledge_user_pool(self.user_pool, mfa_required=settings.mfa == "required")
        # Prefix domains are global per region: the account id keeps it unique (ERRATA 25).
        prefix = settings.domain_prefix or f"{self.config.stack_name}-{self.account}"
        self.user_pool_domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        self.user_group = cognito.CfnUserPoolGroup(
            self,
            "UserGroup",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=settings.user_group,
            description="Users who may call the agent",
        )
        self.cli_client = self._user_client(
            "CliClient", [CLI_CALLBACK_URL], password_auth=settings.cli_password_auth
        )
        clients = [self.cli_client]
        self.app_client: cognito.UserPoolClient | None = None
        if settings.app_callback_urls:
            self.app_client = self._user_client(
                "AppClient", settings.app_callback_urls, password_auth=False
            )
            clients.append(self.app_client)
        return RuntimeAuthorizer.cognito(
            user_pool=self.user_pool, clients=clients, required_groups=[settings.user_group]
        )

    def _user_client(
        self, construct_id: str, callback_urls: list[str], *, password_auth: bool
    ) -> cognito.UserPoolClient:
        """A public client (no secret): authorization code with PKCE, refresh tokens."""
        return self.user_pool.add_client(
            construct_id,
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=password_auth),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID],
                callback_urls=callback_urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            access_token_validity=Duration.minutes(60),
            id_token_validity=Duration.minutes(60),
            refresh_token_validity=Duration.hours(12),
        )

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
                "CognitoDomainUrl": self.user_pool_domain.base_url(),
                "CognitoCliClientId": self.cli_client.user_pool_client_id,
                "CognitoUserPoolId": self.user_pool.user_pool_id,
                "CognitoUserGroup": self.config.cognito.user_group,
            }
            if self.app_client is not None:
                outputs["CognitoAppClientId"] = self.app_client.user_pool_client_id
        if self.runtime.observability is not None:
            outputs["AlarmTopicArn"] = self.runtime.observability.alarm_topic.topic_arn
            outputs["ApplicationLogGroup"] = (
                self.runtime.observability.application_log_group.log_group_name
            )
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
