"""Per-environment settings: ``cdk.json`` context parsed once into a frozen, validated model.

Each problem becomes one line that names the key path, the bad value and the fix, so
``cdk synth -c env=...`` fails with a message instead of a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

LIFECYCLE_SECONDS = Field(ge=60, le=28800)
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
GATEWAY_ARN = r"arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:gateway/[a-zA-Z0-9-]+"
COGNITO_RESERVED_WORDS = ("aws", "amazon", "cognito")


class ConfigError(ValueError):
    """Configuration is wrong; ``str()`` is one line per problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NetworkConfig(_Model):
    mode: Literal["PUBLIC", "VPC"] = "PUBLIC"
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, max_length=16
    )
    security_group_ids: list[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, max_length=16
    )

    @model_validator(mode="after")
    def _vpc_needs_placement(self) -> NetworkConfig:
        if self.mode == "VPC" and not (self.subnet_ids and self.security_group_ids):
            raise ValueError("mode VPC needs subnet_ids and security_group_ids (1 to 16 each)")
        if self.mode == "PUBLIC" and (self.subnet_ids or self.security_group_ids):
            raise ValueError("subnet_ids/security_group_ids are only used with mode VPC")
        return self


class RuntimeConfig(_Model):
    name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")]
    description: Annotated[str, Field(min_length=1, max_length=1200)] | None = None
    protocol: Literal["HTTP", "MCP", "A2A", "AGUI"] = "HTTP"
    artifact: Literal["container", "code"] = "container"
    # Ship .pyc files in the code zip (needs python3.13 on the deploying machine).
    code_bytecode: bool = False
    idle_timeout_seconds: Annotated[int, LIFECYCLE_SECONDS] = 900
    max_lifetime_seconds: Annotated[int, LIFECYCLE_SECONDS] = 28800
    authorizer: Literal["cognito_jwt", "iam"] = "cognito_jwt"
    network: NetworkConfig = NetworkConfig()
    environment_variables: dict[
        Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")],
        Annotated[str, Field(max_length=2048)],
    ] = Field(default_factory=dict, max_length=40)

    @field_validator("environment_variables")
    @classmethod
    def _protocol_is_not_a_variable(cls, value: dict[str, str]) -> dict[str, str]:
        if "AGENT_PROTOCOL" in value:
            raise ValueError("AGENT_PROTOCOL comes from runtime.protocol: set that key instead")
        return value

    @model_validator(mode="after")
    def _idle_within_lifetime(self) -> RuntimeConfig:
        if self.idle_timeout_seconds > self.max_lifetime_seconds:
            raise ValueError(
                f"idle_timeout_seconds ({self.idle_timeout_seconds}) must not exceed "
                f"max_lifetime_seconds ({self.max_lifetime_seconds})"
            )
        return self


class ExternalGatewayConfig(_Model):
    endpoint: Annotated[str, Field(pattern=r"^https://[^\s]+$")]
    arn: Annotated[str, Field(pattern=f"^{GATEWAY_ARN}$")]


class EcrConfig(_Model):
    keep_last_images: Annotated[int, Field(ge=1, le=1000)] = 10
    removal_policy: Literal["destroy", "retain"] = "destroy"


class CognitoConfig(_Model):
    domain_prefix: str | None = None
    deletion_protection: bool = False
    removal_policy: Literal["destroy", "retain"] = "destroy"

    @field_validator("domain_prefix")
    @classmethod
    def _valid_prefix(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", value):
            raise ValueError(
                "must be 1-63 lowercase letters, digits or hyphens, not starting or ending "
                "with a hyphen"
            )
        reserved = [word for word in COGNITO_RESERVED_WORDS if word in value]
        if reserved:
            raise ValueError(f"must not contain the reserved word(s) {', '.join(reserved)}")
        return value


class ObservabilityConfig(_Model):
    enabled: bool = True
    log_retention_days: int = 30
    log_removal_policy: Literal["destroy", "retain"] = "destroy"
    alarm_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    system_errors_threshold: Annotated[int, Field(ge=1)] = 1
    throttles_threshold: Annotated[int, Field(ge=1)] = 5
    latency_p99_threshold_ms: Annotated[int, Field(ge=1)] = 30000

    @field_validator("log_retention_days")
    @classmethod
    def _valid_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of CloudWatch's values: {list(LOG_RETENTION_DAYS)}")
        return value


class EnvironmentConfig(_Model):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")]
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")] | None = None
    project_name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")] = "agentcore-orders"
    model_id: Annotated[str, Field(min_length=1)] = "us.anthropic.claude-sonnet-4-6"
    runtime: RuntimeConfig
    gateway: ExternalGatewayConfig | None = None
    ecr: EcrConfig = EcrConfig()
    cognito: CognitoConfig = CognitoConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def stack_name(self) -> str:
        return f"{self.project_name}-{self.name}"

    @property
    def resource_server_id(self) -> str:
        return f"agentcore-runtime-{self.name}"


def _describe(error: Mapping[str, Any], prefix: str) -> str:
    path = ".".join([prefix, *(str(part) for part in error["loc"])])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key: remove it or check its spelling"
    elif error["type"] == "missing":
        message = "is required: add it"
    value = error.get("input")
    shown = "" if error["type"] == "missing" or isinstance(value, dict) else f" (got {value!r})"
    return f"{path}: {message}{shown}; fix it in cdk.json"


def load_environment(context: Mapping[str, Any], env_name: str | None) -> EnvironmentConfig:
    """Pick and validate ``environments.<env_name>`` from the CDK context."""
    environments = context.get("environments")
    if not isinstance(environments, Mapping) or not environments:
        raise ConfigError("cdk.json: context.environments is missing; add the dev and prod blocks")
    known = ", ".join(sorted(environments))
    if not env_name:
        raise ConfigError(f"no environment chosen: pass -c env=<name> (one of: {known})")
    if env_name not in environments:
        raise ConfigError(f"unknown environment {env_name!r}: pass -c env=<name> (one of: {known})")
    raw = environments[env_name]
    if not isinstance(raw, Mapping):
        raise ConfigError(f"environments.{env_name}: must be an object; fix it in cdk.json")
    try:
        return EnvironmentConfig.model_validate({"name": env_name, **raw})
    except ValidationError as error:
        lines = [_describe(e, f"environments.{env_name}") for e in error.errors()]
        raise ConfigError("\n".join(lines)) from None
