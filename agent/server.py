"""The AgentCore Runtime HTTP contract: ``GET /ping`` and ``POST /invocations`` on one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .conversation import Conversation
from .errors import InvocationError, from_exception
from .gateway import Gateway
from .health import Health
from .log import log
from .payload import check_content_type, parse_payload
from .sessions import Session, SessionStore
from .settings import Settings

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
REQUEST_FIELDS = ("prompt", "stream")


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


class AgentService:
    """Holds the process-wide state: health, sessions, the gateway and the model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.health = Health()
        self.sessions = SessionStore(
            max_sessions=settings.max_sessions, idle_seconds=settings.session_idle_seconds
        )
        self.gateway = Gateway(settings)
        self.conversation = Conversation(settings, self.gateway)
        self._warm_up: asyncio.Future[None] | None = None
        self._turns: set[asyncio.Task[None]] = set()

    async def ping(self, request: Request) -> Response:
        if self._warm_up is None:
            # First ping means the server is listening: load the agent stack in the background.
            self._warm_up = asyncio.ensure_future(asyncio.to_thread(self._warm))
        return JSONResponse(self.health.status())

    def _warm(self) -> None:
        try:
            self.conversation.warm_up()
        except Exception as error:  # reported again, per request, when a turn needs the model
            log(40, "warm-up failed", error=type(error).__name__)

    async def invocations(self, request: Request) -> Response:
        started = time.perf_counter()
        session_id = request.headers.get(SESSION_HEADER) or f"session-{uuid.uuid4()}"
        request_id = request.headers.get(REQUEST_HEADER) or str(uuid.uuid4())
        headers = {SESSION_HEADER: session_id}
        try:
            payload = await self._read_payload(request)
            wants_stream = "text/event-stream" in request.headers.get("accept", "") or (
                payload.get("stream") is True
            )
            frames = self._run_turn(self.sessions.get(session_id), payload["prompt"])
            first = await anext(frames)  # a turn that fails before any output gets a status
        except Exception as error:
            mapped = self._classify(error, request_id, session_id)
            self._log_done(request_id, session_id, mapped.status, started, mapped.code)
            return JSONResponse(mapped.body(), mapped.status, headers=headers)
        meta = self._meta(session_id)
        if wants_stream:
            body = self._sse(_chain(first, frames), meta, request_id, started)
            return StreamingResponse(body, media_type="text/event-stream", headers=headers)
        return await self._collect(_chain(first, frames), meta, headers, request_id, started)

    async def _read_payload(self, request: Request) -> dict[str, Any]:
        check_content_type(request.headers.get("content-type", ""))
        limit = self.settings.max_body_bytes
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

    def _run_turn(self, session: Session, prompt: str) -> AsyncIterator[dict[str, Any]]:
        """Run the turn in its own task; the returned iterator relays its frames.

        The task holds the session lock and the busy flag, and bounds the turn's time, for as
        long as the turn runs: also when the client goes away mid-stream, so history stays whole.
        """
        queue: asyncio.Queue[dict[str, Any] | Exception | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                async with session.lock:
                    with self.health.busy():
                        async with asyncio.timeout(self.settings.invocation_timeout_seconds):
                            async for frame in self.conversation.turn(session, prompt):
                                queue.put_nowait(frame)
            except Exception as error:
                queue.put_nowait(error)
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(produce())
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)

        async def relay() -> AsyncIterator[dict[str, Any]]:
            while (item := await queue.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item

        return relay()

    def _meta(self, session_id: str) -> dict[str, Any]:
        if self.gateway.configured:
            tools = {"gateway": "connected"}
        else:
            tools = {
                "gateway": "not_configured",
                "note": "no GATEWAY_ENDPOINT: answering without tools",
            }
        return {"session_id": session_id, "tools": tools}

    async def _collect(self, frames, meta, headers, request_id, started) -> Response:
        text: list[str] = []
        tool_calls: list[dict[str, Any]] = []
        final: dict[str, Any] = {}
        try:
            async for frame in frames:
                if frame["type"] == "tool_use":
                    tool_calls.append({"name": frame["name"], "input": frame["input"]})
                elif frame["type"] == "text":
                    text.append(frame["text"])
                elif frame["type"] == "final":
                    final = frame
        except Exception as error:
            mapped = self._classify(error, request_id, meta["session_id"])
            self._log_done(request_id, meta["session_id"], mapped.status, started, mapped.code)
            return JSONResponse(mapped.body(), mapped.status, headers=headers)
        body = {
            "response": final.get("response", "".join(text)),
            "stop_reason": final.get("stop_reason"),
            "tool_calls": tool_calls,
            **meta,
        }
        self._log_done(request_id, meta["session_id"], 200, started, None, tools=len(tool_calls))
        return JSONResponse(body, headers=headers)

    async def _sse(self, frames, meta, request_id, started):
        session_id = meta["session_id"]
        status, code = 200, None
        try:
            async for frame in frames:
                if frame["type"] == "final":
                    frame = {**frame, **meta}
                yield f"data: {json.dumps(frame)}\n\n"
        except Exception as error:
            mapped = self._classify(error, request_id, session_id)
            status, code = mapped.status, mapped.code
            error_frame = {"type": "error", **mapped.body(), "status": status}
            yield f"data: {json.dumps(error_frame)}\n\n"
        finally:
            self._log_done(request_id, session_id, status, started, code, stream=True)

    @staticmethod
    def _classify(error: Exception, request_id: str, session_id: str) -> InvocationError:
        """The caller's status and message; unexpected failures are logged with their trace."""
        if not isinstance(error, InvocationError):
            log(
                40,
                "invocation failed",
                request_id=request_id,
                session_id=session_id,
                error=type(error).__name__,
                exc_info=True,
            )
        return from_exception(error)

    def _log_done(self, request_id, session_id, status, started, code, **fields) -> None:
        log(
            20 if status < 500 else 40,
            "invocation",
            request_id=request_id,
            session_id=session_id,
            status=status,
            error_code=code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            **fields,
        )


async def _chain(first: dict[str, Any], rest: AsyncIterator[dict[str, Any]]):
    """The first frame was read early (to fail with a status code); put it back in front."""
    yield first
    async for frame in rest:
        yield frame


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    messages = {
        404: "No such path: use POST /invocations or GET /ping.",
        405: f"{request.method} is not allowed on {request.url.path}.",
    }
    return error_response(
        error.status_code,
        codes.get(error.status_code, "http_error"),
        messages.get(error.status_code, str(error.detail)),
        headers=dict(error.headers or {}),
    )


def create_app(settings: Settings) -> Starlette:
    service = AgentService(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not service.gateway.configured:
            log(30, "no GATEWAY_ENDPOINT configured: the agent answers without tools")
        yield
        await asyncio.to_thread(service.gateway.close)

    app = Starlette(
        routes=[
            Route("/ping", service.ping, methods=["GET"]),
            Route("/invocations", service.invocations, methods=["POST"]),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.service = service
    return app
