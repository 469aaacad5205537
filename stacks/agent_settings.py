"""What the container is told through its environment, derived from the same config keys that
shape the runtime, so the two cannot disagree."""

from __future__ import annotations

from .config import EnvironmentConfig


def agent_environment(config: EnvironmentConfig) -> dict[str, str]:
    observability = config.observability
    env = {
        **config.runtime.environment_variables,
        "AGENT_PROTOCOL": config.runtime.protocol,
        "AGENT_TRACES": observability.traces if observability.enabled else "off",
    }
    if observability.capture_content:
        env["AGENT_TRACES_CAPTURE_CONTENT"] = "true"
    if observability.traces == "otlp":
        assert observability.otlp_endpoint is not None
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = observability.otlp_endpoint
        if observability.otlp_api_key_secret:
            env["AGENT_TRACES_API_KEY_SECRET"] = observability.otlp_api_key_secret
            env["AGENT_TRACES_API_KEY_HEADER"] = observability.otlp_api_key_header
    required = [name for name, secret in config.runtime.secrets.items() if secret.required]
    if required:
        env["AGENT_REQUIRED_SECRETS"] = ",".join(required)
    return env
