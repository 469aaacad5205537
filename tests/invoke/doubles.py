"""TEST DOUBLES for the invoke command: a Cognito token endpoint and an AgentCore front door.

Both run for real on loopback. The runtime stand-in checks the bearer token (or a SigV4
signature) and the session header, then forwards to the real agent server and streams back.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.doubles.cognito_tokens import CLI_CLIENT, access_token
from tests.doubles.order_mcp_server import SigV4Verifier
from tests.doubles.processes import free_port

ALICE, BOB = "11111111-aaaa-4aaa-8aaa-000000000001", "22222222-bbbb-4bbb-8bbb-000000000002"
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"


class _Server(uvicorn.Server):
    """uvicorn's server, with an event set once start-up has finished (or failed)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_done = threading.Event()

    async def startup(self, sockets=None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.startup_done.set()


@contextlib.contextmanager
def serve(app, port: int | None = None) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread; yields its base URL once it listens."""
    port = port or free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    server.startup_done.wait(30)
    if not server.started:
        server.should_exit = True
        thread.join(10)
        raise RuntimeError(f"uvicorn did not start on port {port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # The test is done with it: no waiting for requests still in flight (a delayed one).
        server.should_exit = server.force_exit = True
        thread.join(10)


@dataclass
class CognitoDouble:
    """Cognito's sign-in for the public command-line client: /oauth2/authorize signs ``user``
    in at once (no page) and redirects to the loopback with a code; /oauth2/token exchanges it
    (checking PKCE) and refreshes. Its access tokens are Cognito-shaped for that user."""

    user: str = ALICE
    refuse_with: tuple[int, str] | None = None
    issued: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # grant types, in order
    _codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    _refresh: dict[str, str] = field(default_factory=dict)

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != CLI_CLIENT or not redirect.startswith("http://localhost:"):
            return JSONResponse({"error": "invalid_request"}, 400)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "detail": "PKCE required"}, 400)
        code = secrets.token_urlsafe(16)
        self._codes[code] = (query["code_challenge"], redirect, self.user)
        state = query.get("state", "")
        return RedirectResponse(f"{redirect}?code={code}&state={state}", 302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        grant = str(form.get("grant_type"))
        self.requests.append(grant)
        if self.refuse_with:
            status, error = self.refuse_with
            return JSONResponse({"error": error}, status)
        if form.get("client_id") != CLI_CLIENT:
            return JSONResponse({"error": "invalid_client"}, 400)
        if grant == "authorization_code":
            challenge, redirect, user = self._codes.pop(str(form.get("code")), ("", "", ""))
            verifier = str(form.get("code_verifier", ""))
            expected = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if not challenge or challenge != expected or form.get("redirect_uri") != redirect:
                return JSONResponse({"error": "invalid_grant"}, 400)
        elif grant == "refresh_token":
            user = self._refresh.get(str(form.get("refresh_token")), "")
            if not user:
                return JSONResponse({"error": "invalid_grant"}, 400)
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        token = access_token(user, jti=str(len(self.issued))).removeprefix("Bearer ")
        self.issued.append(token)
        body = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        if grant == "authorization_code":
            refresh = secrets.token_urlsafe(16)
            self._refresh[refresh] = user
            body["refresh_token"] = refresh
        return JSONResponse(body)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth2/authorize", self.authorize, methods=["GET"]),
                Route("/oauth2/token", self.token, methods=["POST"]),
            ]
        )


def browser(url: str) -> None:
    """What a browser does with the sign-in URL: follow it to the loopback redirect."""
    httpx.get(url, follow_redirects=True, timeout=10)


# Where AgentCore sends /runtimes/<arn>/invocations inside the container, per protocol.
CONTAINER_PATHS = {"HTTP": "/invocations", "AGUI": "/invocations", "A2A": "/", "MCP": "/mcp"}
PASSED_HEADERS = ("content-type", "accept", "mcp-session-id", "mcp-protocol-version")
USER_ID_HEADER = "x-amzn-bedrock-agentcore-runtime-user-id"


@dataclass
class RuntimeFrontDoorDouble:
    """Checks auth and the session header like AgentCore, then proxies to the agent container."""

    agent_url: str
    tokens: CognitoDouble | None
    fail_with: tuple[int, dict] | None = None
    delay_seconds: float = 0.0
    protocol: str = "HTTP"
    endpoints: tuple[str, ...] = ("DEFAULT",)
    seen_sessions: list[str] = field(default_factory=list)
    seen_content_types: list[str | None] = field(default_factory=list)
    seen_qualifiers: list[str] = field(default_factory=list)

    def _unknown_endpoint(self, request: Request) -> Response | None:
        """As the service: every request names an endpoint (DEFAULT when it names none)."""
        qualifier = request.query_params.get("qualifier", "DEFAULT")
        self.seen_qualifiers.append(qualifier)
        if qualifier not in self.endpoints:
            return JSONResponse({"message": f"Endpoint {qualifier} not found"}, 404)
        return None

    async def invocations(self, request: Request) -> Response:
        if self.fail_with:
            status, body = self.fail_with
            return JSONResponse(body, status)
        if self.tokens is not None:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in self.tokens.issued:
                return JSONResponse({"message": "Invalid Bearer token"}, 401)
        session = request.headers.get(SESSION_HEADER, "")
        if not 33 <= len(session) <= 256:
            return JSONResponse({"message": "Invalid session id"}, 400)
        if (refused := self._unknown_endpoint(request)) is not None:
            return refused
        self.seen_sessions.append(session)
        await asyncio.sleep(self.delay_seconds)
        body = await request.body()
        self.seen_content_types.append(request.headers.get("content-type"))
        return await self._forward(
            request.method, CONTAINER_PATHS[self.protocol], body, request, session
        )

    async def _forward(self, method: str, path: str, body: bytes, request: Request, session: str):
        # As the service: a JWT call's Authorization (allowlisted) or a ForUser call's user id.
        passed = (*PASSED_HEADERS, "authorization" if self.tokens else USER_ID_HEADER)
        forwarded = {name: request.headers[name] for name in passed if name in request.headers}
        client = httpx.AsyncClient(timeout=60)
        upstream = await client.send(
            client.build_request(
                method,
                f"{self.agent_url}{path}",
                content=body,
                headers={**forwarded, SESSION_HEADER: session},
            ),
            stream=True,
        )

        async def relay():
            try:
                async for chunk in upstream.aiter_raw():
                    yield chunk
            finally:
                await upstream.aclose()
                await client.aclose()

        returned = {
            name: upstream.headers[name] for name in ("mcp-session-id",) if name in upstream.headers
        }
        return StreamingResponse(
            relay(),
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type"),
            headers={SESSION_HEADER: session, **returned},
        )

    async def agent_card(self, request: Request) -> Response:
        """GET .../invocations/.well-known/agent-card.json reaches the A2A container's card."""
        if (refused := self._unknown_endpoint(request)) is not None:
            return refused
        async with httpx.AsyncClient() as client:
            card = await client.get(f"{self.agent_url}/.well-known/agent-card.json")
        return Response(card.content, card.status_code, media_type="application/json")

    def app(self, *, sigv4: bool = False):
        app = Starlette(
            routes=[
                Route(
                    "/runtimes/{arn:path}/invocations/.well-known/agent-card.json",
                    self.agent_card,
                    methods=["GET"],
                ),
                Route("/runtimes/{arn:path}/invocations", self.invocations, methods=["POST"]),
                Route("/runtimes/{arn:path}/invocations/", self.invocations, methods=["POST"]),
            ]
        )
        return SigV4Verifier(app) if sigv4 else app
