"""The runtime's other protocols, spoken with their own clients, as the same frames HTTP gives.

Each function yields ``text``, ``tool_use``, ``final`` or ``error`` frames, so ``render`` prints
every protocol alike. Auth is the caller's: SigV4 (an ``httpx.Auth``) or a bearer header.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from .errors import InvokeError

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
MISSING_CLIENT = (
    "the runtime serves {protocol}, whose client ({package}) is not installed: "
    "pip install 'agentcore-strands-app[protocols]' (make install has it)"
)
Frame = dict[str, Any]


def _base(invoke_url: str) -> str:
    """``.../runtimes/<arn>/invocations`` without its query string."""
    return httpx.URL(invoke_url).copy_with(query=None).__str__().rstrip("/")


def _query(invoke_url: str) -> dict[str, str]:
    """The query (the endpoint ``qualifier``), sent with every request a client makes: the
    agent card, the messages and the MCP session, so none of them falls back to DEFAULT."""
    return dict(httpx.URL(invoke_url).params)


def _run(coroutine: Any) -> list[Frame]:
    try:
        return asyncio.run(coroutine)
    except httpx.TimeoutException:
        raise InvokeError("timed out waiting for the runtime (raise --timeout)") from None
    except httpx.TransportError as error:
        raise InvokeError(f"cannot reach the runtime: {error}") from None


def invoke_a2a(
    url: str, prompt: str, *, session_id: str, auth: Any, headers: dict[str, str], timeout: float
) -> Iterator[Frame]:
    """A2A ``message/stream`` with the a2a-sdk client; the card comes from the runtime."""
    try:
        from a2a.client import A2ACardResolver, A2AClientError, ClientConfig, ClientFactory
        from a2a.types import DataPart, Message, Part, Role, TaskState, TextPart
    except ImportError:
        raise InvokeError(MISSING_CLIENT.format(protocol="A2A", package="a2a-sdk")) from None

    async def talk() -> list[Frame]:
        frames: list[Frame] = []
        client_headers = {SESSION_HEADER: session_id, **headers}
        async with httpx.AsyncClient(
            auth=auth, headers=client_headers, params=_query(url), timeout=timeout
        ) as http:
            try:
                card = await A2ACardResolver(http, _base(url)).get_agent_card()
            except A2AClientError as error:
                # The a2a-sdk's message spans lines (the URL, a help link): keep its first.
                first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise InvokeError(f"cannot read the agent card: {first_line}") from None
            client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
            message = Message(
                role=Role.user,
                parts=[Part(root=TextPart(text=prompt))],
                message_id=uuid.uuid4().hex,
            )
            task = None
            async for event in client.send_message(message):
                task, update = event if isinstance(event, tuple) else (None, None)
                artifact = getattr(update, "artifact", None)
                if artifact is not None and artifact.name == "answer":
                    frames += [
                        {"type": "text", "text": p.root.text}
                        for p in artifact.parts
                        if isinstance(p.root, TextPart)
                    ]
        if task is None or task.status.state != TaskState.completed:
            reason = task.status.message.parts[0].root.text if task and task.status.message else ""
            return [
                *frames,
                {"type": "error", "error": {"code": "a2a_task_failed", "message": reason}},
            ]
        details = [
            p.root.data
            for a in task.artifacts or []
            if a.name == "details"
            for p in a.parts
            if isinstance(p.root, DataPart)
        ]
        calls = details[0].get("tool_calls", []) if details else []
        text = "".join(f["text"] for f in frames)
        uses = [{"type": "tool_use", **call} for call in calls]
        return [*uses, *frames, {"type": "final", "response": text, "tool_calls": calls}]

    yield from _run(talk())


def invoke_mcp(
    url: str, prompt: str, *, session_id: str, auth: Any, headers: dict[str, str], timeout: float
) -> Iterator[Frame]:
    """The agent's ``ask_order_agent`` tool, called with the `mcp` client."""
    try:
        import httpx2
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client
    except ImportError:
        raise InvokeError(MISSING_CLIENT.format(protocol="MCP", package="mcp")) from None

    from agent.sigv4 import for_httpx2

    async def talk() -> list[Frame]:
        client_headers = {SESSION_HEADER: session_id, **headers}
        signer = for_httpx2(auth) if auth is not None else None
        async with (
            httpx2.AsyncClient(
                auth=signer, headers=client_headers, params=_query(url), timeout=timeout
            ) as http,
            streamable_http_client(
                _base(url), http_client=http, terminate_on_close=False
            ) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            await session.initialize()
            result = await session.call_tool("ask_order_agent", {"prompt": prompt})
        text = " ".join(b.text for b in result.content if getattr(b, "text", None))
        if result.is_error:
            return [{"type": "error", "error": {"code": "mcp_tool_error", "message": text}}]
        return [{"type": "final", "response": text}]

    yield from _run(_mcp_errors(talk()))


async def _mcp_errors(coroutine: Any) -> list[Frame]:
    """The mcp client raises HTTP refusals (an unknown endpoint, a bad signature) as an
    ``MCPError`` inside task groups; surface the service's message as one line."""
    from mcp.shared.exceptions import MCPError

    try:
        return await coroutine
    except* MCPError as group:
        message = "; ".join(str(e) for e in _leaves(group))
        raise InvokeError(f"the runtime refused the MCP request: {message}") from None


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    """The exceptions inside (nested) task-group exception groups."""
    found: list[BaseException] = []
    for error in group.exceptions:
        found.extend(_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return found


def invoke_agui(
    url: str, prompt: str, *, session_id: str, auth: Any, headers: dict[str, str], timeout: float
) -> Iterator[Frame]:
    """One AG-UI run (``RunAgentInput``), its SSE events turned into frames as they arrive."""
    run = {
        "threadId": session_id,
        "runId": uuid.uuid4().hex,
        "messages": [{"id": uuid.uuid4().hex, "role": "user", "content": prompt}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }
    request_headers = {"Accept": "text/event-stream", SESSION_HEADER: session_id, **headers}
    text: list[str] = []
    calls: dict[str, Frame] = {}
    try:
        with httpx.stream(
            "POST", url, json=run, headers=request_headers, auth=auth, timeout=timeout
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise InvokeError(
                    f"the runtime answered {response.status_code}: {response.text[:300]}"
                )
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                kind = event.get("type")
                if kind == "TEXT_MESSAGE_CONTENT":
                    text.append(event["delta"])
                    yield {"type": "text", "text": event["delta"]}
                elif kind == "TOOL_CALL_START":
                    calls[event["toolCallId"]] = {"name": event["toolCallName"], "args": ""}
                elif kind == "TOOL_CALL_ARGS":
                    calls[event["toolCallId"]]["args"] += event["delta"]
                elif kind == "TOOL_CALL_END":
                    call = calls[event["toolCallId"]]
                    yield {
                        "type": "tool_use",
                        "name": call["name"],
                        "input": json.loads(call["args"] or "{}"),
                    }
                elif kind == "RUN_ERROR":
                    yield {
                        "type": "error",
                        "error": {"code": event.get("code"), "message": event["message"]},
                    }
                    return
                elif kind == "RUN_FINISHED":
                    yield {"type": "final", "response": "".join(text).strip()}
    except httpx.TimeoutException:
        raise InvokeError(f"timed out after {timeout:.0f} s waiting for the runtime") from None
    except httpx.TransportError as error:
        raise InvokeError(f"cannot reach the runtime at {httpx.URL(url).host}: {error}") from None
