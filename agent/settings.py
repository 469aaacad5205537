"""Container settings from environment variables, validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlparse

DEFAULT_MODEL_ID = "us.anthropic.claude-sonnet-4-6"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful order support agent. Use your tools to look up order status and "
    "shipping details. Confirm the order id you looked up, and say plainly when an order "
    "cannot be found."
)
GATEWAY_AUTH_MODES = ("sigv4", "none")
TRACE_MODES = ("aws", "otlp", "off")
# AgentCore's service contract: each protocol's default port (runtime-service-contract).
PROTOCOL_PORTS = {"HTTP": 8080, "MCP": 8000, "A2A": 9000, "AGUI": 8080}


class SettingsError(ValueError):
    """One line per bad variable, each naming the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    protocol: str = "HTTP"
    port: int = 8080
    # Set by AgentCore Runtime: this runtime's invoke URL (the A2A card advertises it).
    runtime_url: str | None = None
    gateway_endpoint: str | None = None
    gateway_auth: str = "sigv4"
    model_id: str = DEFAULT_MODEL_ID
    region: str = "us-east-1"
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    # Test-only: "module:callable" returning a Strands Model instead of Bedrock.
    model_factory: str | None = None
    max_body_bytes: int = 1_048_576
    max_sessions: int = 1000
    session_idle_seconds: int = 3600
    invocation_timeout_seconds: float = 600.0
    gateway_timeout_seconds: float = 10.0
    shutdown_grace_seconds: float = 20.0
    model_max_attempts: int = 3
    model_retry_delay_seconds: int = 2
    # Secrets Manager ARNs by the name the agent uses (SECRET_ARN_<NAME>), and which of them
    # every invocation needs (AGENT_REQUIRED_SECRETS).
    secret_arns: tuple[tuple[str, str], ...] = ()
    required_secrets: tuple[str, ...] = ()
    secrets_refresh_seconds: int = 300
    # AgentCore Memory: set by the stack when memory is on; without it, history is in-process.
    memory_id: str | None = None
    memory_namespaces: tuple[str, ...] = ()
    memory_timeout_seconds: int = 5
    # The runtime's inbound auth (agent/identity.py): jwt, iam, or none outside AgentCore;
    # for jwt, the issuer and the client ids the runtime's authorizer allows.
    auth_mode: str = "none"
    jwt_issuer: str | None = None
    jwt_client_ids: tuple[str, ...] = ()
    traces: str = "off"
    traces_capture_content: bool = False
    traces_api_key_secret: str | None = None
    traces_api_key_header: str = "x-api-key"


def _int(
    environ: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name}={raw!r}: must be a whole number between {low} and {high}")
        return default
    if not low <= value <= high:
        problems.append(f"{name}={value}: must be between {low} and {high}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment; raise ``SettingsError`` listing every problem at once."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    endpoint = environ.get("GATEWAY_ENDPOINT") or None
    if endpoint is not None:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(
                f"GATEWAY_ENDPOINT={endpoint!r}: must be the gateway's MCP URL, "
                "https://<gateway id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp"
            )
    auth = environ.get("GATEWAY_AUTH", "sigv4").lower()
    if auth not in GATEWAY_AUTH_MODES:
        problems.append(f"GATEWAY_AUTH={auth!r}: use sigv4 (IAM inbound auth) or none (local use)")
    protocol = environ.get("AGENT_PROTOCOL", "HTTP").upper()
    if protocol not in PROTOCOL_PORTS:
        problems.append(
            f"AGENT_PROTOCOL={protocol!r}: must be one of {', '.join(PROTOCOL_PORTS)} "
            "(the runtime's ProtocolConfiguration)"
        )
        protocol = "HTTP"
    factory = environ.get("AGENT_MODEL_FACTORY") or None
    if factory is not None and ":" not in factory:
        problems.append(f"AGENT_MODEL_FACTORY={factory!r}: must be 'module:callable'")
    settings = Settings(
        host=environ.get("HOST", "0.0.0.0"),
        protocol=protocol,
        port=_int(environ, "PORT", PROTOCOL_PORTS[protocol], 1, 65535, problems),
        runtime_url=environ.get("AGENTCORE_RUNTIME_URL") or None,
        gateway_endpoint=endpoint,
        gateway_auth=auth,
        model_id=environ.get("MODEL_ID") or DEFAULT_MODEL_ID,
        region=(
            environ.get("AWS_REGION")
            or environ.get("AWS_DEFAULT_REGION")
            or environ.get("AGENT_REGION")
            or "us-east-1"
        ),
        system_prompt=environ.get("SYSTEM_PROMPT") or DEFAULT_SYSTEM_PROMPT,
        model_factory=factory,
        max_body_bytes=_int(environ, "MAX_BODY_BYTES", 1_048_576, 1024, 100 * 1_048_576, problems),
        max_sessions=_int(environ, "MAX_SESSIONS", 1000, 1, 100_000, problems),
        session_idle_seconds=_int(environ, "SESSION_IDLE_SECONDS", 3600, 1, 86_400, problems),
        invocation_timeout_seconds=_int(
            environ, "INVOCATION_TIMEOUT_SECONDS", 600, 1, 28_800, problems
        ),
        gateway_timeout_seconds=_int(environ, "GATEWAY_TIMEOUT_SECONDS", 10, 1, 300, problems),
        shutdown_grace_seconds=_int(environ, "SHUTDOWN_GRACE_SECONDS", 20, 0, 300, problems),
        model_max_attempts=_int(environ, "MODEL_MAX_ATTEMPTS", 3, 1, 10, problems),
        model_retry_delay_seconds=_int(environ, "MODEL_RETRY_DELAY_SECONDS", 2, 1, 60, problems),
    )
    secret_arns = tuple(
        sorted(
            (key.removeprefix("SECRET_ARN_"), value)
            for key, value in environ.items()
            if key.startswith("SECRET_ARN_") and value
        )
    )
    required = tuple(
        name.strip()
        for name in environ.get("AGENT_REQUIRED_SECRETS", "").split(",")
        if name.strip()
    )
    unknown = [name for name in required if name not in dict(secret_arns)]
    if unknown:
        problems.append(
            f"AGENT_REQUIRED_SECRETS names {', '.join(unknown)} without SECRET_ARN_<NAME>: "
            "give each required secret's ARN"
        )
    traces = environ.get("AGENT_TRACES", "off").lower()
    if traces not in TRACE_MODES:
        problems.append(f"AGENT_TRACES={traces!r}: use aws, otlp or off")
    key_secret = environ.get("AGENT_TRACES_API_KEY_SECRET") or None
    if key_secret is not None and key_secret not in dict(secret_arns):
        problems.append(
            f"AGENT_TRACES_API_KEY_SECRET={key_secret!r}: no SECRET_ARN_{key_secret} is set"
        )
    namespaces = tuple(n for n in environ.get("MEMORY_NAMESPACES", "").split(",") if n.strip())
    auth_mode = environ.get("AGENT_AUTH_MODE", "none").lower()
    issuer = environ.get("AGENT_JWT_ISSUER") or None
    client_ids = tuple(
        c.strip() for c in environ.get("AGENT_JWT_CLIENT_IDS", "").split(",") if c.strip()
    )
    if auth_mode not in ("jwt", "iam", "none"):
        problems.append(
            f"AGENT_AUTH_MODE={auth_mode!r}: use jwt or iam (the runtime's inbound auth), or "
            "none outside AgentCore"
        )
    elif auth_mode == "jwt" and not (issuer and issuer.startswith("https://") and client_ids):
        problems.append(
            "AGENT_AUTH_MODE=jwt needs AGENT_JWT_ISSUER (the issuer's https URL) and "
            "AGENT_JWT_CLIENT_IDS (the client ids the authorizer allows, comma-separated)"
        )
    settings = replace(
        settings,
        memory_id=environ.get("MEMORY_ID") or None,
        memory_namespaces=namespaces,
        memory_timeout_seconds=_int(environ, "MEMORY_TIMEOUT_SECONDS", 5, 1, 60, problems),
        auth_mode=auth_mode,
        jwt_issuer=issuer,
        jwt_client_ids=client_ids,
        traces=traces,
        traces_capture_content=environ.get("AGENT_TRACES_CAPTURE_CONTENT", "").lower() == "true",
        traces_api_key_secret=key_secret,
        traces_api_key_header=environ.get("AGENT_TRACES_API_KEY_HEADER") or "x-api-key",
        secret_arns=secret_arns,
        required_secrets=required,
        secrets_refresh_seconds=_int(environ, "SECRETS_REFRESH_SECONDS", 300, 5, 86_400, problems),
    )
    if problems:
        raise SettingsError("\n".join(problems))
    return settings
