"""The container's ASGI app: the protocol ``AGENT_PROTOCOL`` names, and ``GET /ping`` beside it.

Ports and paths follow AgentCore's service contract (runtime-service-contract):

| protocol | port | paths |
|---|---|---|
| HTTP | 8080 | ``POST /invocations`` (JSON or SSE), ``/ws`` (WebSocket) |
| A2A | 9000 | ``POST /`` (JSON-RPC 2.0), ``GET /.well-known/agent-card.json`` |
| MCP | 8000 | ``POST /mcp`` (stateless streamable HTTP) |
| AGUI | 8080 | ``POST /invocations`` (SSE), ``/ws`` (WebSocket) |
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from .core import AgentCore
from .identity import SingleIdentityHeaders
from .log import log
from .settings import Settings

PATHS = {
    "HTTP": "POST /invocations, /ws",
    "AGUI": "POST /invocations, /ws",
    "A2A": "POST /, GET /.well-known/agent-card.json",
    "MCP": "POST /mcp",
}


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


def protocol_routes(core: AgentCore) -> tuple[list[BaseRoute], Starlette | None]:
    """The adapter for the configured protocol; imported only when chosen."""
    protocol = core.settings.protocol
    if protocol in ("HTTP", "AGUI"):
        if protocol == "HTTP":
            from .http_contract import HttpContract as Contract
        else:
            from .agui_adapter import AguiContract as Contract
        contract = Contract(core)
        return [
            Route("/invocations", contract.invocations, methods=["POST"]),
            WebSocketRoute("/ws", contract.websocket),
        ], None
    if protocol == "A2A":
        from .a2a_adapter import a2a_routes

        return a2a_routes(core), None
    from .mcp_adapter import mcp_app

    inner = mcp_app(core)
    return [Mount("/", app=inner)], inner


def create_app(settings: Settings) -> Starlette:
    core = AgentCore(settings)
    routes, inner = protocol_routes(core)

    async def ping(request: Request) -> Response:
        return JSONResponse(core.ping())

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        codes = {404: "not_found", 405: "method_not_allowed"}
        messages = {
            404: f"No such path: use {PATHS[settings.protocol]} or GET /ping.",
            405: f"{request.method} is not allowed on {request.url.path}.",
        }
        return error_response(
            error.status_code,
            codes.get(error.status_code, "http_error"),
            messages.get(error.status_code, str(error.detail)),
            headers=dict(error.headers or {}),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not core.gateway.configured:
            log(30, "no GATEWAY_ENDPOINT configured: the agent answers without tools")
        core.start()
        async with contextlib.AsyncExitStack() as stack:
            if inner is not None:  # the MCP app runs its session manager in its lifespan
                await stack.enter_async_context(inner.router.lifespan_context(inner))
            yield
        await core.close()

    app = Starlette(
        routes=[Route("/ping", ping, methods=["GET"]), *routes],
        middleware=[Middleware(SingleIdentityHeaders)],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.core = core
    return app
