"""A local OTLP/HTTP trace receiver (a TEST DOUBLE of a collector or a tracing backend).

It accepts ``POST /v1/traces`` with the protobuf ``ExportTraceServiceRequest`` body that every
OTLP/HTTP exporter sends, decodes it with the official ``opentelemetry-proto`` messages, and
keeps each span (name, ids, parent, attributes) with the request's headers.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.doubles.processes import free_port


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    raw: str  # the span's whole protobuf text, to search for leaked content
    headers: dict[str, str]


@dataclass
class OtlpReceiver:
    url: str = ""
    spans: list[ReceivedSpan] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)  # notified per POST

    def wait_for(self, name_prefix: str, timeout: float = 30.0) -> list[ReceivedSpan]:
        """Every span received so far, once one whose name starts with the prefix arrived."""
        with self.lock:
            if self.lock.wait_for(
                lambda: any(s.name.startswith(name_prefix) for s in self.spans), timeout
            ):
                return list(self.spans)
        raise TimeoutError(f"no span named {name_prefix}* within {timeout} s: {self.names()}")

    def names(self) -> list[str]:
        with self.lock:
            return [s.name for s in self.spans]

    def clear(self) -> None:
        with self.lock:
            self.spans.clear()


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            headers = {k.lower(): v for k, v in self.headers.items()}
            spans = [
                ReceivedSpan(
                    name=span.name,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    attributes={a.key: _value(a.value) for a in span.attributes},
                    raw=str(span),
                    headers=headers,
                )
                for resource in request.resource_spans
                for scope in resource.scope_spans
                for span in scope.spans
            ]
            with receiver.lock:
                receiver.spans.extend(spans)
                receiver.lock.notify_all()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def running_otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
