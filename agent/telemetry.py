"""Traces: every invocation, model call and tool call as an OpenTelemetry span with the session.

Strands emits the model (``chat``), tool (``execute_tool <name>``) and agent-loop spans itself;
the core wraps each turn in an ``invocation`` span, so one trace holds a whole request. Where
spans go is ``AGENT_TRACES``:

- ``aws``: ADOT (aws-opentelemetry-distro), configured by the ``OTEL_*`` variables AgentCore
  sets in the runtime, as AgentCore observability expects;
- ``otlp``: any OTLP/HTTP endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT``...), with its API key
  read from a secret at export time, so a rotated key is used without a restart;
- ``off``: nothing.

The standard ``OTEL_*`` variables apply in both modes. Prompt, reply and tool text stay out of
spans unless ``AGENT_TRACES_CAPTURE_CONTENT`` is true.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from .log import log
from .secrets import SecretStore
from .settings import Settings

SERVICE_NAME = "order-support-agent"
STABILITY = "OTEL_SEMCONV_STABILITY_OPT_IN"
# Strands' opt-in redaction: with this token and an empty list, every sensitive gen_ai
# attribute (messages, system prompt, tool arguments and results) becomes "[REDACTED]".
REDACT_ALL = "gen_ai_unredacted_attributes="
DISABLED_INSTRUMENTATIONS = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"


def configure(settings: Settings, secrets: SecretStore) -> None:
    """Set up the process's tracer provider; called once, off the request path."""
    if settings.traces == "off":
        return
    if not settings.traces_capture_content:
        opted_in = [t for t in os.environ.get(STABILITY, "").split(",") if t]
        os.environ[STABILITY] = ",".join([*opted_in, REDACT_ALL])
    if settings.traces == "aws":
        from opentelemetry.instrumentation.auto_instrumentation import initialize

        # Strands' spans already cover the model and the tools; library auto-instrumentation
        # would add memory (measured: +37 MiB with ADOT's defaults) and duplicate spans.
        os.environ.setdefault(DISABLED_INSTRUMENTATIONS, "*")
        initialize()
    else:
        _otlp(settings, secrets)
    log(20, "traces configured", exporter=settings.traces)


def _otlp(settings: Settings, secrets: SecretStore) -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

    key_name, header = settings.traces_api_key_secret, settings.traces_api_key_header

    class KeyedExporter(OTLPSpanExporter):  # type: ignore[misc]
        """Puts the backend's current API key on each export; none readable, none sent."""

        def export(self, spans: Any) -> Any:
            if key_name is not None:
                key = secrets.get(key_name)
                if key is None:
                    return SpanExportResult.FAILURE  # the store logged why, once
                self._session.headers[header] = key
            return super().export(spans)

    resource = Resource.create({"service.name": SERVICE_NAME}).merge(Resource.create())
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(KeyedExporter()))
    trace.set_tracer_provider(provider)


@contextlib.contextmanager
def invocation_span(protocol: str, session_id: str) -> Iterator[None]:
    """The parent of the turn's Strands spans; a no-op when no provider is set."""
    from opentelemetry import trace

    tracer = trace.get_tracer("agent")
    attributes = {"session.id": session_id, "agentcore.protocol": protocol}
    with tracer.start_as_current_span("invocation", attributes=attributes):
        yield


def flush() -> None:
    """Export what is buffered before the process exits (SIGTERM)."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    force_flush = getattr(provider, "force_flush", None)
    if force_flush is not None:
        force_flush(5000)
