"""Tools from the AgentCore Gateway over MCP: connected lazily, cached, rebuilt after failures.

Strands' ``MCPClient`` does not reconnect once its session breaks (gateway restart, network
drop), so a broken client is thrown away and a new one is built on the next invocation.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

from .errors import GatewayUnavailableError
from .log import log
from .settings import Settings

FAILURES_KEY = "gateway_failures"
CLIENT_SIDE_FAILURE = "Tool execution failed"


class Gateway:
    """The tool source for every session; thread-safe connect, one client at a time."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._auth: Any = None
        if settings.gateway_auth == "sigv4" and self.configured:
            from .sigv4 import SigV4HttpxAuth  # botocore: loaded only when signing is needed

            self._auth = SigV4HttpxAuth(region=settings.region)
        self._client: Any = None
        self._tools: list[Any] = []
        self._broken = False
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return self._settings.gateway_endpoint is not None

    async def tools(self) -> list[Any]:
        """The gateway's tools, connecting (or reconnecting) first if needed."""
        if not self.configured:
            return []
        if self._client is not None and not self._broken:
            return self._tools
        # Loading the MCP client is start-up cost, not the gateway's: keep it out of the timeout.
        await asyncio.to_thread(_load_mcp_client)
        timeout = self._settings.gateway_timeout_seconds + 5
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._connect), timeout)
        except TimeoutError:
            raise GatewayUnavailableError(
                f"The tool gateway did not answer within {timeout:.0f} seconds."
            ) from None

    def mark_broken(self, reason: str) -> None:
        if not self._broken:
            log(30, "gateway connection broken; will reconnect", reason=reason[:300])
        self._broken = True

    def close(self) -> None:
        with self._lock:
            self._stop_client()

    def _connect(self) -> list[Any]:
        MCPClient = _load_mcp_client()

        with self._lock:
            if self._client is not None and not self._broken:
                return self._tools
            self._stop_client()
            if self._auth is not None:
                self._auth.frozen_credentials()  # fail fast and clearly without credentials
            client = MCPClient(
                url=self._settings.gateway_endpoint,
                auth_provider=self._auth,
                startup_timeout=int(self._settings.gateway_timeout_seconds),
                application_name="agentcore-order-agent",
            )
            try:
                client.start()
                listed = list(client.list_tools_sync())
            except Exception as error:
                log(40, "gateway connection failed", error=type(error).__name__)
                _stop_quietly(client)
                raise GatewayUnavailableError(
                    "The tool gateway is unreachable; the agent cannot look anything up "
                    "right now. Retry shortly."
                ) from None
            timeout = timedelta(seconds=self._settings.gateway_timeout_seconds * 6)
            for tool in listed:
                tool.timeout = timeout
            self._client, self._broken = client, False
            self._tools = [GatewayTool(tool, self) for tool in listed]
            log(20, "gateway connected", tools=[t.tool_name for t in self._tools])
            return self._tools

    def _stop_client(self) -> None:
        if self._client is not None:
            _stop_quietly(self._client)
        self._client, self._tools = None, []


def _load_mcp_client() -> Any:
    from strands.tools.mcp import MCPClient

    return MCPClient


def _stop_quietly(client: Any) -> None:
    try:
        client.stop(None, None, None)
    except Exception as error:  # a dead session may fail to close; it is discarded anyway
        log(30, "gateway client did not stop cleanly", error=type(error).__name__)


def _tool_result_text(event: Any) -> tuple[str | None, str]:
    result = getattr(event, "tool_result", None)
    if not isinstance(result, dict):
        return None, ""
    text = " ".join(str(block.get("text", "")) for block in result.get("content", []))
    return result.get("status"), text


def _make_gateway_tool_class() -> type:
    from strands.types.tools import AgentTool

    class _GatewayTool(AgentTool):
        """An MCP tool that reports transport failures so the invocation can answer 502."""

        def __init__(self, inner: Any, gateway: Gateway) -> None:
            super().__init__()
            self._inner = inner
            self._gateway = gateway

        @property
        def tool_name(self) -> str:
            return self._inner.tool_name

        @property
        def tool_spec(self) -> Any:
            return self._inner.tool_spec

        @property
        def tool_type(self) -> str:
            return self._inner.tool_type

        async def stream(self, tool_use: Any, invocation_state: dict[str, Any], **kwargs: Any):
            failures = invocation_state.setdefault(FAILURES_KEY, [])
            try:
                async for event in self._inner.stream(tool_use, invocation_state, **kwargs):
                    status, text = _tool_result_text(event)
                    if status == "error" and text.startswith(CLIENT_SIDE_FAILURE):
                        failures.append(text)
                        self._gateway.mark_broken(text)
                    yield event
            except Exception as error:
                failures.append(type(error).__name__)
                self._gateway.mark_broken(type(error).__name__)
                raise

    return _GatewayTool


_tool_class: type | None = None


def GatewayTool(inner: Any, gateway: Gateway) -> Any:
    """Wrap ``inner``; the class is built on first use so importing this module stays cheap."""
    global _tool_class
    if _tool_class is None:
        _tool_class = _make_gateway_tool_class()
    return _tool_class(inner, gateway)
