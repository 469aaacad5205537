"""The MCP protocol (port 8000): the agent itself as one tool, over stateless streamable HTTP.

AgentCore's MCP contract (runtime-mcp-protocol-contract): ``POST /mcp``, stateless by default,
and the platform adds an ``Mcp-Session-Id`` the server must not reject. The conversation is
named by the AgentCore session header, so one caller's questions share history.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from .core import SESSION_HEADER, AgentCore, new_session_id
from .errors import InvocationError

TOOL_NAME = "ask_order_agent"
TOOL_DESCRIPTION = (
    "Ask the order-support agent a question in plain language, e.g. 'Where is order ORD-1234?'. "
    "It looks orders up (status, carrier, tracking number, estimated delivery) and answers in "
    "text. Questions in one AgentCore session share a conversation."
)


def mcp_app(core: AgentCore) -> Starlette:
    """The MCP server's ASGI app; its lifespan runs the session manager."""
    server = MCPServer(
        "order-support-agent",
        instructions="One tool: ask_order_agent(prompt) answers order-support questions.",
    )

    @server.tool(name=TOOL_NAME, description=TOOL_DESCRIPTION)
    async def ask_order_agent(prompt: str, ctx: Context) -> str:
        request = ctx.request_context.request
        headers = getattr(request, "headers", {}) or {}
        session_id = headers.get(SESSION_HEADER) or new_session_id()
        if not prompt.strip():
            raise ToolError("empty_prompt: prompt must not be empty.")
        try:
            result = await core.ask(session_id, prompt, headers)
        except InvocationError as error:
            raise ToolError(f"{error.code}: {error.message}") from None
        return result.response

    return server.streamable_http_app(
        stateless_http=True,
        # Behind AgentCore the Host header is the service's, not localhost.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=core.settings.host,
    )
