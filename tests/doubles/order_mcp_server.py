"""A local MCP server standing in for the AgentCore Gateway (a TEST DOUBLE).

It serves the REAL order-status tool code (the demo gateway's Lambda handler) over MCP
streamable HTTP, with the gateway's ``<target>___<tool>`` naming. With ``--sigv4`` it checks
that every request carries a fresh, valid SigV4 signature for the fake credentials below, the
way the gateway's IAM inbound auth does, and counts what it accepted and refused.

Run: ``python -m tests.doubles.order_mcp_server --port 8765 [--sigv4]``
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from typing import Any

import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.types import ASGIApp, Receive, Scope, Send

from stacks.order_tools.function import handler as order_tool

TOOL_NAME = f"orders___{order_tool.TOOL_NAME}"
FAKE_ACCESS_KEY = "AKIATESTDOUBLE000001"
FAKE_SECRET_KEY = "test-double-secret-key-not-a-real-one"
FAKE_REGION = "us-east-1"
MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)
AUTH_HEADER = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]{64})"
)


def build_server():
    from mcp.server.mcpserver import MCPServer  # only the double's process needs the server

    server = MCPServer("order-status-gateway-test-double")

    def get_order_status(order_id: str) -> dict[str, Any]:
        """Look up an order's status, carrier, tracking number and ETA."""
        return order_tool.handler({"order_id": order_id}, None)

    server.add_tool(get_order_status, name=TOOL_NAME, description=order_tool.DESCRIPTION)
    return server


class SigV4Verifier:
    """ASGI middleware: refuse any request whose signature is missing, stale or wrong."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.accepted = 0
        self.refused: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/_stats":
            await _send_json(send, 200, {"accepted": self.accepted, "refused": self.refused})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        problem = self._problem(scope, body)
        if problem:
            self.refused.append(problem)
            await _send_json(send, 403, {"message": problem})
            return
        self.accepted += 1
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _problem(self, scope: Scope, body: bytes) -> str | None:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        match = AUTH_HEADER.fullmatch(headers.get("authorization", ""))
        if match is None:
            return "missing or malformed SigV4 Authorization header"
        if match["service"] != "bedrock-agentcore" or match["key"] != FAKE_ACCESS_KEY:
            return f"signed for {match['service']} with another key"
        stamp = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.UTC
            )
        except ValueError:
            return "missing X-Amz-Date"
        if abs(datetime.datetime.now(datetime.UTC) - signed_at) > MAX_CLOCK_SKEW:
            return "stale signature"
        query = scope.get("query_string", b"").decode()
        path = (scope.get("raw_path") or scope["path"].encode()).decode()
        url = f"http://{headers['host']}{path}" + (f"?{query}" if query else "")
        signed = match["signed"].split(";")
        request = AWSRequest(
            method=scope["method"],
            url=url,
            data=body,
            headers={h: headers.get(h, "") for h in signed},
        )
        request.context["timestamp"] = stamp
        signer = SigV4Auth(
            Credentials(FAKE_ACCESS_KEY, FAKE_SECRET_KEY), "bedrock-agentcore", match["region"]
        )
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        return None if expected == match["sig"] else "signature does not match"


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sigv4", action="store_true")
    args = parser.parse_args()
    app: ASGIApp = build_server().streamable_http_app()
    if args.sigv4:
        app = SigV4Verifier(app)
    # uvicorn's "Uvicorn running on ..." line (INFO) tells the tests the port is open.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
