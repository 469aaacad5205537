"""The AG-UI protocol (port 8080): ``RunAgentInput`` in, AG-UI events out over SSE or ``/ws``.

AgentCore passes the body through unvalidated (runtime-agui-protocol-contract); the
``ag-ui-protocol`` package defines the input and the events and encodes them. Each run is one
turn of the shared core, in the conversation named by the AgentCore session header (else the
AG-UI thread id); its last user message is the prompt.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ag_ui.core import (
    BaseEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from ag_ui.encoder import EventEncoder
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from .core import REQUEST_HEADER, SESSION_HEADER, AgentCore
from .errors import InvocationError
from .payload import check_content_type

ENCODER = EventEncoder()
THREAD_ID = re.compile(r"[\x21-\x7e]{1,256}")


def parse_run_input(body: bytes) -> tuple[RunAgentInput, str]:
    """The run and its prompt (the last user message's text); a clear 400 otherwise."""
    try:
        run = RunAgentInput.model_validate_json(body)
    except (ValidationError, ValueError, RecursionError) as error:
        first = error.errors()[0] if isinstance(error, ValidationError) else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvocationError(
            400,
            "invalid_run_input",
            f"The body must be an AG-UI RunAgentInput ({where}: {first.get('msg', 'not JSON')}).",
        ) from None
    for message in reversed(run.messages):
        if message.role == "user":
            content = message.content
            if not isinstance(content, str):
                content = " ".join(getattr(part, "text", "") for part in content)
            if content.strip():
                return run, content
    raise InvocationError(400, "missing_prompt", "The run needs a user message with text.")


async def run_events(
    core: AgentCore,
    run: RunAgentInput,
    prompt: str,
    session_id: str,
    headers: Mapping[str, str] | None = None,
):
    """The turn's frames as AG-UI events, from RUN_STARTED to RUN_FINISHED or RUN_ERROR."""
    yield RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id)
    open_message: str | None = None
    try:
        async for frame in core.stream(session_id, prompt, headers):
            if frame["type"] == "text":
                if open_message is None:
                    open_message = str(uuid.uuid4())
                    yield TextMessageStartEvent(message_id=open_message, role="assistant")
                yield TextMessageContentEvent(message_id=open_message, delta=frame["text"])
                continue
            if open_message is not None and frame["type"] in ("tool_use", "final"):
                yield TextMessageEndEvent(message_id=open_message)
                open_message = None
            if frame["type"] == "tool_use":
                call_id = frame["tool_use_id"] or str(uuid.uuid4())
                yield ToolCallStartEvent(tool_call_id=call_id, tool_call_name=frame["name"])
                yield ToolCallArgsEvent(tool_call_id=call_id, delta=json.dumps(frame["input"]))
                yield ToolCallEndEvent(tool_call_id=call_id)
            elif frame["type"] == "tool_result":
                yield ToolCallResultEvent(
                    message_id=str(uuid.uuid4()),
                    tool_call_id=frame["tool_use_id"],
                    content=json.dumps(frame["content"]),
                    role="tool",
                )
    except InvocationError as error:
        yield RunErrorEvent(message=error.message, code=error.code)
        return
    yield RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id)


class AguiContract:
    """SSE at POST /invocations and the same events over /ws."""

    def __init__(self, core: AgentCore) -> None:
        self.core = core

    def _session(self, headers: Any, run: RunAgentInput) -> str:
        """The runtime's session id; without one (outside AgentCore), the run's thread id, which
        goes back in a response header: so printable ASCII only."""
        session_id = headers.get(SESSION_HEADER)
        if session_id:
            return session_id
        if not THREAD_ID.fullmatch(run.thread_id):
            raise InvocationError(
                400,
                "invalid_thread_id",
                "Without a session header, threadId is the session id: send 1 to 256 printable "
                "ASCII characters.",
            )
        return run.thread_id

    async def invocations(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get(REQUEST_HEADER) or str(uuid.uuid4())
        try:
            check_content_type(request.headers.get("content-type", ""))
            body = await request.body()
            if len(body) > self.core.settings.max_body_bytes:
                raise InvocationError(413, "body_too_large", "The body is too large.")
            run, prompt = parse_run_input(body)
            session_id = self._session(request.headers, run)
        except InvocationError as error:
            self.core.log_done("AGUI", request_id, "", error.status, started, error.code)
            return JSONResponse(error.body(), error.status)

        async def encoded() -> AsyncIterator[str]:
            code = None
            try:
                async for event in run_events(self.core, run, prompt, session_id, request.headers):
                    code = getattr(event, "code", code)
                    yield ENCODER.encode(event)
            finally:
                self.core.log_done("AGUI", request_id, session_id, 200, started, code, stream=True)

        return StreamingResponse(
            encoded(), media_type=ENCODER.get_content_type(), headers={SESSION_HEADER: session_id}
        )

    async def websocket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        started = time.perf_counter()
        request_id = websocket.headers.get(REQUEST_HEADER) or str(uuid.uuid4())
        session_id, code = "", None
        try:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            raw = message.get("bytes") or (message.get("text") or "").encode()
            run, prompt = parse_run_input(raw)
            session_id = self._session(websocket.headers, run)
            async for event in run_events(self.core, run, prompt, session_id, websocket.headers):
                await websocket.send_text(_json(event))
            await websocket.close()
        except InvocationError as error:
            code = error.code
            await websocket.send_text(_json(RunErrorEvent(message=error.message, code=error.code)))
            await websocket.close(1003)
        except (WebSocketDisconnect, RuntimeError):
            code = "client_disconnected"
        finally:
            self.core.log_done("AGUI/ws", request_id, session_id, 200, started, code, stream=True)


def _json(event: BaseEvent) -> str:
    return event.model_dump_json(by_alias=True, exclude_none=True)
