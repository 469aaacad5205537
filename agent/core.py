"""The one conversation core behind every protocol: sessions, turns, health, errors, logs.

Protocol adapters (HTTP and WebSocket, A2A, MCP, AG-UI) translate their wire format into
``AgentCore.stream`` or ``AgentCore.ask`` and the frames back; none of them runs a turn itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import telemetry
from .conversation import WINDOW_MESSAGES, Conversation
from .errors import InvocationError, from_exception
from .gateway import Gateway
from .health import Health
from .identity import Caller, IdentityPolicy
from .log import log
from .memory import MemoryStore, PendingTurn, restorable
from .memory import now as memory_now
from .secrets import SecretStore
from .sessions import Session, SessionStore
from .settings import Settings

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"

Frame = dict[str, Any]


def new_session_id() -> str:
    """33+ characters, like the service's own session ids."""
    return f"session-{uuid.uuid4()}"


@dataclass
class TurnResult:
    """A finished turn, collected from its frames."""

    response: str
    stop_reason: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


class AgentCore:
    """Process-wide state and the turn runner every adapter shares."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.health = Health()
        self.identity = IdentityPolicy(
            settings.auth_mode, settings.jwt_issuer, frozenset(settings.jwt_client_ids)
        )
        self.sessions = SessionStore(
            max_sessions=settings.max_sessions, idle_seconds=settings.session_idle_seconds
        )
        self.gateway = Gateway(settings)
        self.conversation = Conversation(settings, self.gateway)
        self.memory = (
            MemoryStore(
                settings.memory_id,
                region=settings.region,
                timeout_seconds=settings.memory_timeout_seconds,
                namespaces=settings.memory_namespaces,
            )
            if settings.memory_id
            else None
        )
        self.secrets = SecretStore(
            dict(settings.secret_arns),
            region=settings.region,
            refresh_seconds=settings.secrets_refresh_seconds,
        )
        self._warm_up: asyncio.Future[None] | None = None
        self._turns: set[asyncio.Task[None]] = set()

    def ping(self) -> dict[str, object]:
        self._start_warm_up()  # first ping: the server listens; load the rest in the background
        return self.health.status()

    def _start_warm_up(self) -> asyncio.Future[None]:
        if self._warm_up is None:
            self._warm_up = asyncio.ensure_future(asyncio.to_thread(self._warm))
        return self._warm_up

    def _warm(self) -> None:
        try:
            telemetry.configure(self.settings, self.secrets)
        except Exception as error:  # traces are an aid; the agent answers without them
            log(40, "traces not configured", error=type(error).__name__, exc_info=error)
        try:
            self.conversation.warm_up()
        except Exception as error:  # reported again, per request, when a turn needs the model
            log(40, "warm-up failed", error=type(error).__name__)

    async def stream(
        self, session_id: str, prompt: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[Frame]:
        """Frames of one turn: ``text``, ``tool_use``, ``tool_result``, then ``final``.

        ``headers`` are the request's: who the caller is comes from them (agent/identity.py).
        The turn runs in its own task holding the session lock and the busy flag, bounded in
        time, for as long as it runs: also when the caller goes away, so history stays whole.
        Raises ``InvocationError`` (already classified) when the turn fails.
        """
        caller = self.caller(headers or {})
        for name in self.settings.required_secrets:
            self.secrets.require(name)
        await self._start_warm_up()  # traces are set up before the first turn's spans
        session = self.sessions.get(session_id, caller.actor_id, caller.owner)
        queue: asyncio.Queue[Frame | Exception | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                async with session.lock:
                    with (
                        self.health.busy(),
                        telemetry.invocation_span(self.settings.protocol, session_id),
                    ):
                        async with asyncio.timeout(self.settings.invocation_timeout_seconds):
                            await self._run(session, prompt, queue)
            except Exception as error:
                queue.put_nowait(error)
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(produce())
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                raise self.classify(item, session_id)
            yield item

    def caller(self, headers: Mapping[str, str]) -> Caller:
        return self.identity.caller(headers)

    async def _run(self, session: Session, prompt: str, queue: asyncio.Queue) -> None:
        """One turn with the session's history (from Memory, the first time) and its saving.

        Only a verified user's session touches Memory; without one, the conversation lives in
        this process alone (the runtime's session isolation), and nothing is read or written.
        """
        actor = session.actor_id
        memory = self.memory if actor is not None else None
        if memory is not None and actor is not None and not session.loaded:
            turns = await memory.load(actor, session.session_id)
            session.messages = restorable(turns, WINDOW_MESSAGES)
            session.loaded = True
        context = (
            await memory.relevant(actor, session.session_id, prompt)
            if memory is not None and actor is not None
            else []
        )
        produced: list[dict[str, Any]] = []
        reply = ""
        async for frame in self.conversation.turn(session, prompt, context=context):
            if frame["type"] == "final":
                produced, reply = frame.pop("messages"), frame["response"]
            queue.put_nowait(frame)
        if memory is not None and actor is not None:
            memory.save(
                PendingTurn(actor, session.session_id, memory_now(), produced, prompt, reply)
            )

    async def ask(
        self, session_id: str, prompt: str, headers: Mapping[str, str] | None = None
    ) -> TurnResult:
        """Run a turn to its end; for adapters that answer in one piece."""
        text: list[str] = []
        result = TurnResult(response="", stop_reason=None)
        async for frame in self.stream(session_id, prompt, headers):
            if frame["type"] == "tool_use":
                result.tool_calls.append({"name": frame["name"], "input": frame["input"]})
            elif frame["type"] == "text":
                text.append(frame["text"])
            elif frame["type"] == "final":
                result.response = frame["response"]
                result.stop_reason = frame["stop_reason"]
        result.response = result.response or "".join(text).strip()
        return result

    def tools_status(self) -> dict[str, str]:
        if self.gateway.configured:
            return {"gateway": "connected"}
        return {"gateway": "not_configured", "note": "no GATEWAY_ENDPOINT: answering without tools"}

    @staticmethod
    def classify(error: Exception, session_id: str, request_id: str = "") -> InvocationError:
        """The caller's status and message; unexpected failures are logged with their trace."""
        if not isinstance(error, InvocationError):
            log(
                40,
                "invocation failed",
                request_id=request_id,
                session_id=session_id,
                error=type(error).__name__,
                exc_info=error,
            )
        return from_exception(error)

    @staticmethod
    def log_done(
        protocol: str,
        request_id: str,
        session_id: str,
        status: int,
        started: float,
        code: str | None,
        **fields: Any,
    ) -> None:
        log(
            20 if status < 500 else 40,
            "invocation",
            protocol=protocol,
            request_id=request_id,
            session_id=session_id,
            status=status,
            error_code=code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            **fields,
        )

    def start(self) -> None:
        """Background work that must not delay /ping: fetching secrets."""
        self.secrets.start()

    async def close(self) -> None:
        if self.memory is not None:
            await self.memory.flush(self.settings.shutdown_grace_seconds)
        if self.settings.traces != "off":
            await asyncio.to_thread(telemetry.flush)
        await self.secrets.stop()
        await asyncio.to_thread(self.gateway.close)
