"""Per-environment settings: ``cdk.json`` context parsed once into a frozen, validated model.

Each problem becomes one line that names the key path, the bad value and the fix, so
``cdk synth -c env=...`` fails with a message instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

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


INTERFACE_SERVICES = Literal[
    "bedrock-runtime",
    "bedrock-agentcore",
    "bedrock-agentcore.gateway",
    "logs",
    "xray",
    "secretsmanager",
    "sts",
    "ecr.api",
    "ecr.dkr",
]
# What a VPC-mode runtime reaches through endpoints: the interface services and S3's gateway.
ENDPOINT_SERVICES = Literal[INTERFACE_SERVICES, "s3"]
SECURITY_GROUP_ID = Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]
IPV4_CIDR = r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$"


class CreatedVpcConfig(_Model):
    """An isolated VPC the stack creates: one private subnet per AZ id, no NAT."""

    cidr: Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")] = "10.40.0.0/16"
    availability_zone_ids: list[Annotated[str, Field(pattern=r"^[a-z0-9]+-az\d+$")]] = Field(
        min_length=2, max_length=6
    )

    @model_validator(mode="after")
    def _subnets_fit(self) -> CreatedVpcConfig:
        from agentcore_constructs.private_network import subnet_cidrs

        try:
            subnet_cidrs(self.cidr, self.availability_zone_ids)
        except ValueError as error:
            raise ValueError(str(error).removeprefix("IsolatedVpc: ")) from None
        return self


class ReusedEndpointConfig(_Model):
    """An endpoint your VPC already has, with private DNS on. An interface endpoint names its
    security group (the stack lets the runtime send to it, and the group admit the runtime);
    S3's gateway endpoint has none."""

    security_group_id: SECURITY_GROUP_ID | None = None


class EgressConfig(_Model):
    """One more destination the runtime may send to, e.g. an OTLP collector in your VPC."""

    cidr: Annotated[str, Field(pattern=IPV4_CIDR)]
    port: Annotated[int, Field(ge=1, le=65535)]
    description: Annotated[str, Field(min_length=1, max_length=200)]

    @field_validator("cidr")
    @classmethod
    def _valid_network(cls, value: str) -> str:
        try:
            ipaddress.IPv4Network(value)
        except ValueError as error:
            raise ValueError(f"not an IPv4 network ({error})") from None
        return value


class NetworkConfig(_Model):
    """PUBLIC; or VPC in one of three ways: subnets and security groups you manage (no
    endpoints made), your VPC's subnets (the stack adds the runtime's security group and the
    endpoints you list), or a VPC the stack creates (``create_vpc``, every endpoint made)."""

    mode: Literal["PUBLIC", "VPC"] = "PUBLIC"
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, max_length=16
    )
    security_group_ids: list[SECURITY_GROUP_ID] = Field(default_factory=list, max_length=16)
    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")] | None = None
    route_table_ids: list[Annotated[str, Field(pattern=r"^rtb-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, max_length=16
    )
    create_vpc: CreatedVpcConfig | None = None
    # With vpc_id, every endpoint the runtime needs is reused or created, never implied: an
    # endpoint created with private DNS answers for that service in the whole VPC.
    reuse_endpoints: dict[ENDPOINT_SERVICES, ReusedEndpointConfig] = Field(default_factory=dict)
    create_endpoints: list[ENDPOINT_SERVICES] = Field(default_factory=list)
    egress: list[EgressConfig] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _one_placement(self) -> NetworkConfig:
        given = {
            "subnet_ids": bool(self.subnet_ids),
            "security_group_ids": bool(self.security_group_ids),
            "vpc_id": self.vpc_id is not None,
            "route_table_ids": bool(self.route_table_ids),
            "create_vpc": self.create_vpc is not None,
            "reuse_endpoints": bool(self.reuse_endpoints),
            "create_endpoints": bool(self.create_endpoints),
            "egress": bool(self.egress),
        }
        if self.mode == "PUBLIC":
            if any(given.values()):
                used = ", ".join(k for k, v in given.items() if v)
                raise ValueError(f"{used}: only used with mode VPC")
            return self
        if self.create_vpc is not None:
            used = [k for k, v in given.items() if v and k != "create_vpc"]
            if used:
                raise ValueError(
                    f"create_vpc makes the subnets, the security groups and every endpoint, and "
                    f"has no route out: drop {', '.join(used)}"
                )
        elif self.vpc_id is not None:
            if not self.subnet_ids or self.security_group_ids:
                raise ValueError(
                    "with vpc_id give subnet_ids; the stack makes the runtime's security group "
                    "(drop security_group_ids)"
                )
            self._endpoint_choices_consistent()
        elif not (self.subnet_ids and self.security_group_ids):
            raise ValueError(
                "mode VPC needs create_vpc, or vpc_id + subnet_ids, or subnet_ids and "
                "security_group_ids (1 to 16 each)"
            )
        else:
            used = [
                k
                for k in ("route_table_ids", "reuse_endpoints", "create_endpoints", "egress")
                if given[k]
            ]
            if used:
                raise ValueError(
                    f"{', '.join(used)}: only apply when the stack makes the runtime's security "
                    "group and endpoints (create_vpc or vpc_id)"
                )
        return self

    def _endpoint_choices_consistent(self) -> None:
        both = sorted(set(self.create_endpoints) & set(self.reuse_endpoints))
        if both:
            raise ValueError(f"{', '.join(both)}: in both create_endpoints and reuse_endpoints")
        if len(set(self.create_endpoints)) != len(self.create_endpoints):
            raise ValueError("create_endpoints: list each service once")
        for service, reused in self.reuse_endpoints.items():
            if service == "s3" and reused.security_group_id is not None:
                raise ValueError(
                    "reuse_endpoints.s3: a gateway endpoint has no security group; give {}"
                )
            if service != "s3" and reused.security_group_id is None:
                raise ValueError(
                    f"reuse_endpoints.{service}: give the security_group_id of the endpoint "
                    "your VPC has, so the runtime may reach it"
                )
        if ("s3" in self.create_endpoints) != bool(self.route_table_ids):
            raise ValueError(
                "route_table_ids: give them exactly when create_endpoints has s3 (the gateway "
                "endpoint is added to those route tables, the subnets' own)"
            )

    @property
    def makes_endpoints(self) -> bool:
        return self.mode == "VPC" and (self.create_vpc is not None or self.vpc_id is not None)


SECRET_ARN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$"


class SecretConfig(_Model):
    """One secret the agent reads: an existing one (by name or full ARN) or one the stack
    creates (its value is set afterwards, e.g. `aws secretsmanager put-secret-value`)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")] | None = None
    arn: Annotated[str, Field(pattern=SECRET_ARN)] | None = None
    create: bool = False
    kms_key_arn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+$")] | None
    ) = None
    # Invocations answer 503 while a required secret cannot be read.
    required: bool = False

    @model_validator(mode="after")
    def _exactly_one_source(self) -> SecretConfig:
        if (self.name is not None) + (self.arn is not None) + self.create != 1:
            raise ValueError("give exactly one of name, arn or create: true")
        return self


class EndpointConfig(_Model):
    """A named runtime endpoint: follows the latest version unless ``version`` pins one."""

    name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")]
    version: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,4}$")] | None = None
    description: Annotated[str, Field(min_length=1, max_length=256)] | None = None

    @field_validator("name")
    @classmethod
    def _not_default(cls, value: str) -> str:
        if value == "DEFAULT":
            raise ValueError("DEFAULT always exists and follows the latest version; name another")
        return value


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
    secrets: dict[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")], SecretConfig] = Field(
        default_factory=dict, max_length=10
    )
    # Callers use the first endpoint (the stack's Qualifier output); without any, DEFAULT.
    endpoints: list[EndpointConfig] = Field(default_factory=list, max_length=10)

    @field_validator("endpoints")
    @classmethod
    def _unique_endpoints(cls, value: list[EndpointConfig]) -> list[EndpointConfig]:
        names = [endpoint.name for endpoint in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"endpoint names must be unique; repeated: {', '.join(duplicates)}")
        return value

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
    """End users of a JWT environment: a user pool, its sign-in domain, the group whose members
    may call the agent, a command-line client (authorization code + PKCE on a loopback
    redirect) and, with ``app_callback_urls``, a client for your app."""

    domain_prefix: str | None = None
    deletion_protection: bool = False
    removal_policy: Literal["destroy", "retain"] = "destroy"
    user_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")] = "agent-users"
    # Your app's sign-in redirects (https; http only for localhost): a public PKCE client.
    app_callback_urls: list[
        Annotated[str, Field(pattern=r"^(https://|http://localhost[:/])\S+$")]
    ] = Field(default_factory=list, max_length=20)
    # USER_PASSWORD_AUTH on the command-line client: the non-interactive sign-in for CI.
    cli_password_auth: bool = False
    mfa: Literal["optional", "required"] = "optional"

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
    # aws: ADOT to CloudWatch/X-Ray, as AgentCore observability expects; otlp: any OTLP/HTTP
    # endpoint (its API key from a secret); off: no spans.
    traces: Literal["aws", "otlp", "off"] = "aws"
    otlp_endpoint: Annotated[str, Field(pattern=r"^https?://[^\s]+$")] | None = None
    otlp_api_key_secret: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")] | None = None
    otlp_api_key_header: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")] = "x-api-key"
    # Prompt, reply and tool text in spans: off unless you say so.
    capture_content: bool = False
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


class MemoryConfig(_Model):
    """AgentCore Memory: conversations survive the microVM; strategies add long-term records."""

    enabled: bool = False
    event_expiry_days: Annotated[int, Field(ge=7, le=365)] = 30
    strategies: list[Literal["semantic", "summary", "user_preference", "episodic"]] = Field(
        default_factory=list, max_length=4
    )

    @field_validator("strategies")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each strategy once")
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
    memory: MemoryConfig = MemoryConfig()
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _traces_settings(self) -> EnvironmentConfig:
        obs = self.observability
        if obs.traces == "otlp" and obs.otlp_endpoint is None:
            raise ValueError(
                "observability.otlp_endpoint: traces otlp needs observability.otlp_endpoint"
            )
        if obs.traces != "otlp" and (obs.otlp_endpoint or obs.otlp_api_key_secret):
            raise ValueError(
                "observability.traces: otlp_endpoint/otlp_api_key_secret are only used with "
                "traces otlp"
            )
        key = obs.otlp_api_key_secret
        if key is not None and key not in self.runtime.secrets:
            raise ValueError(
                f"observability.otlp_api_key_secret: {key!r} is not in runtime.secrets; add it"
            )
        return self

    @model_validator(mode="after")
    def _vpc_zones_supported(self) -> EnvironmentConfig:
        created = self.runtime.network.create_vpc
        if created is not None:
            from agentcore_constructs.private_network import az_id_problems

            problems = az_id_problems(self.region, created.availability_zone_ids)
            if problems:
                raise ValueError(
                    "runtime.network.create_vpc.availability_zone_ids: " + "; ".join(problems)
                )
        return self

    @model_validator(mode="after")
    def _private_network_complete(self) -> EnvironmentConfig:
        network = self.runtime.network
        if not network.makes_endpoints:
            return self
        if network.vpc_id is not None:
            needed = set(self.endpoint_services)
            chosen = set(network.create_endpoints) | set(network.reuse_endpoints)
            missing, unused = sorted(needed - chosen), sorted(chosen - needed)
            if missing:
                raise ValueError(
                    f"runtime.network: this runtime needs endpoints for {', '.join(missing)}: "
                    "add each to reuse_endpoints (an endpoint your VPC has, with private DNS; "
                    "give its security_group_id) or to create_endpoints (the stack creates it "
                    "with private DNS, which then answers for that service in the whole VPC)"
                )
            if unused:
                raise ValueError(
                    f"runtime.network: this runtime does not use {', '.join(unused)}: drop it "
                    "from create_endpoints/reuse_endpoints"
                )
        self._otlp_reachable()
        gateway = self.gateway
        if gateway is not None and self.region and gateway.arn.split(":")[3] != self.region:
            raise ValueError(
                f"gateway.arn: the gateway is in {gateway.arn.split(':')[3]}, but a VPC-mode "
                f"runtime reaches gateways through this region's ({self.region}) endpoint only; "
                "use a gateway in the same region"
            )
        return self

    def _otlp_reachable(self) -> None:
        """An OTLP endpoint outside AWS needs a path the config states (ERRATA 36)."""
        obs, network = self.observability, self.runtime.network
        if obs.traces != "otlp" or not obs.enabled or obs.otlp_endpoint is None:
            return
        if network.create_vpc is not None:
            raise ValueError(
                "observability.traces: otlp cannot reach its endpoint from the VPC create_vpc "
                "makes (no route out); use traces aws (the xray endpoint serves it), or a VPC "
                "of yours (vpc_id) with a path to the collector, named in runtime.network.egress"
            )
        url = urlsplit(obs.otlp_endpoint)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            address: ipaddress.IPv4Address | None = ipaddress.IPv4Address(url.hostname or "")
        except ValueError:
            address = None
        if not any(
            rule.port == port and (address is None or address in ipaddress.IPv4Network(rule.cidr))
            for rule in network.egress
        ):
            raise ValueError(
                f"runtime.network.egress: the OTLP endpoint {url.hostname}:{port} is only "
                "reachable with an egress rule to it: add {cidr, port, description} for the "
                "collector"
            )

    @property
    def endpoint_services(self) -> list[str]:
        """What a VPC-mode runtime of this environment reaches through endpoints."""
        services = [
            "bedrock-runtime",  # the model (Strands' BedrockModel)
            "bedrock-agentcore",  # workload identity tokens, Memory: the data plane
            "bedrock-agentcore.gateway",  # the MCP tool gateway
            "logs",  # the runtime's logs
            "sts",  # regional credentials for the SDKs
            "s3",  # image layers or the code zip, at every session start (ERRATA 35)
        ]
        if self.runtime.artifact == "container":
            services += ["ecr.api", "ecr.dkr"]
        if self.observability.enabled and self.observability.traces == "aws":
            services.append("xray")
        if self.runtime.secrets:
            services.append("secretsmanager")
        return services

    @property
    def stack_name(self) -> str:
        return f"{self.project_name}-{self.name}"


KEY_PATH = re.compile(r"^([a-z_]+(?:\.[a-z_]+)+): (.*)$", re.DOTALL)


def _describe(error: Mapping[str, Any], prefix: str) -> str:
    path = ".".join([prefix, *(str(part) for part in error["loc"])])
    message = error["msg"].removeprefix("Value error, ")
    located = KEY_PATH.match(message) if not error["loc"] else None
    if located:  # a rule across keys names the key it is about
        path, message = f"{prefix}.{located[1]}", located[2]
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
