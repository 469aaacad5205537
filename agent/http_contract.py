"""The HTTP protocol: ``POST /invocations`` (JSON or SSE) and ``/ws`` (WebSocket streaming).

AgentCore's HTTP contract (runtime-http-protocol-contract): port 8080, JSON in, JSON or SSE
out; the WebSocket path carries the same events as text frames, for
``InvokeAgentRuntimeWithWebSocketStream``. Both speak to the shared ``AgentCore``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from .core import REQUEST_HEADER, SESSION_HEADER, AgentCore, Frame, new_session_id
from .errors import InvocationError
from .payload import check_content_type, parse_payload

WS_UNSUPPORTED_DATA = 1003


class HttpContract:
    """Request/response and WebSocket adapters over the core."""

    def __init__(self, core: AgentCore) -> None:
        self.core = core

    async def invocations(self, request: Request) -> Response:
        started = time.perf_counter()
        session_id = request.headers.get(SESSION_HEADER) or new_session_id()
        request_id = request.headers.get(REQUEST_HEADER) or str(uuid.uuid4())
        headers = {SESSION_HEADER: session_id}
        try:
            payload = await self._read_payload(request)
            wants_stream = "text/event-stream" in request.headers.get("accept", "") or (
                payload.get("stream") is True
            )
            frames = self.core.stream(session_id, payload["prompt"], request.headers)
            first = await anext(frames)  # a turn that fails before any output gets a status
        except Exception as error:
            mapped = self.core.classify(error, session_id, request_id)
            self.core.log_done("HTTP", request_id, session_id, mapped.status, started, mapped.code)
            return JSONResponse(mapped.body(), mapped.status, headers=headers)
        meta = {"session_id": session_id, "tools": self.core.tools_status()}
        if wants_stream:
            body = self._sse(_chain(first, frames), meta, request_id, started)
            return StreamingResponse(body, media_type="text/event-stream", headers=headers)
        return await self._collect(_chain(first, frames), meta, headers, request_id, started)

    async def _read_payload(self, request: Request) -> dict[str, Any]:
        check_content_type(request.headers.get("content-type", ""))
        limit = self.core.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise InvocationError(413, "body_too_large", f"The body is over {limit} bytes.")
        body = bytearray()
        try:
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    raise InvocationError(413, "body_too_large", f"The body is over {limit} bytes.")
        except ClientDisconnect:
            raise InvocationError(
                400, "incomplete_body", "The connection closed before the whole body arrived."
            ) from None
        return parse_payload(bytes(body))

    async def _collect(self, frames, meta, headers, request_id, started) -> Response:
        text: list[str] = []
        tool_calls: list[dict[str, Any]] = []
        final: Frame = {}
        try:
            async for frame in frames:
                if frame["type"] == "tool_use":
                    tool_calls.append({"name": frame["name"], "input": frame["input"]})
                elif frame["type"] == "text":
                    text.append(frame["text"])
                elif frame["type"] == "final":
                    final = frame
        except InvocationError as mapped:
            session_id = meta["session_id"]
            self.core.log_done("HTTP", request_id, session_id, mapped.status, started, mapped.code)
            return JSONResponse(mapped.body(), mapped.status, headers=headers)
        body = {
            "response": final.get("response", "".join(text)),
            "stop_reason": final.get("stop_reason"),
            "tool_calls": tool_calls,
            **meta,
        }
        self.core.log_done(
            "HTTP", request_id, meta["session_id"], 200, started, None, tools=len(tool_calls)
        )
        return JSONResponse(body, headers=headers)

    async def _sse(self, frames, meta, request_id, started) -> AsyncIterator[str]:
        status, code = 200, None
        try:
            async for frame in _with_meta(frames, meta):
                yield f"data: {json.dumps(frame)}\n\n"
        except InvocationError as mapped:
            status, code = mapped.status, mapped.code
            yield f"data: {json.dumps(error_frame(mapped))}\n\n"
        finally:
            self.core.log_done(
                "HTTP", request_id, meta["session_id"], status, started, code, stream=True
            )

    async def websocket(self, websocket: WebSocket) -> None:
        """One JSON message with a prompt in; the SSE events out as text frames; then close."""
        session_id = websocket.headers.get(SESSION_HEADER) or new_session_id()
        request_id = websocket.headers.get(REQUEST_HEADER) or str(uuid.uuid4())
        await websocket.accept(headers=[(SESSION_HEADER.lower().encode(), session_id.encode())])
        started = time.perf_counter()
        status, code = 200, None
        try:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            raw = message.get("bytes") or (message.get("text") or "").encode(
                "utf-8", "surrogatepass"
            )
            payload = parse_payload(raw)
            frames = self.core.stream(session_id, payload["prompt"], websocket.headers)
            meta = {"session_id": session_id, "tools": self.core.tools_status()}
            async for frame in _with_meta(frames, meta):
                await websocket.send_text(json.dumps(frame))
            await websocket.close()
        except InvocationError as mapped:
            status, code = mapped.status, mapped.code
            await websocket.send_text(json.dumps(error_frame(mapped)))
            await websocket.close(WS_UNSUPPORTED_DATA if status < 500 else 1011)
        except (WebSocketDisconnect, RuntimeError):
            # The client left: nothing to answer; the turn, if any, finishes on its own so the
            # session's history stays whole.
            status, code = 499, "client_disconnected"
        finally:
            self.core.log_done(
                "HTTP/ws", request_id, session_id, status, started, code, stream=True
            )


def error_frame(error: InvocationError) -> Frame:
    return {"type": "error", **error.body(), "status": error.status}


async def _with_meta(frames: AsyncIterator[Frame], meta: dict[str, Any]) -> AsyncIterator[Frame]:
    """The final frame carries the session id and the tools' state, as the JSON reply does."""
    async for frame in frames:
        yield {**frame, **meta} if frame["type"] == "final" else frame


async def _chain(first: Frame, rest: AsyncIterator[Frame]) -> AsyncIterator[Frame]:
    """The first frame was read early (to fail with a status code); put it back in front."""
    yield first
    async for frame in rest:
        yield frame
