"""Conversations that outlive the microVM: AgentCore Memory events, with boto3.

Only a verified user has memory (agent/identity.py). A session's history is loaded from Memory
the first time this process sees the (user, session), and every finished turn is written as
one event holding exactly the messages the turn produced: as ``conversational`` items (what
long-term strategies extract from) and as a ``blob`` with the exact Strands messages (what a
restore replays). Writes happen in the background, with retries and an idempotency token, so
a slow Memory never delays a reply. A history that cannot be loaded is an error (503), never a
silently empty conversation.

Everything sent respects Memory's published limits (botocore's service model): the memory
session id is derived from the runtime's (33..256 characters, any text) into Memory's 1..100
characters, bound to the actor; conversational text is cut to 100,000 characters with a note
(the blob keeps the turn whole); a turn Memory rejects as invalid is logged and dropped, and
the queue of unsent turns is bounded, so one bad turn never stops the next ones.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InvocationError
from .log import log

MAX_PAGES = 100
BLOB_KIND = "agent-turn/v1"
MAX_TEXT = 100_000  # CreateEvent conversational content text
NOTE_ROOM = 80  # what the note on a cut text may take
MAX_PENDING = 1000  # turns waiting to be written before the oldest are shed
# Client-side or service-side refusals of the request itself: retrying cannot help.
PERMANENT_ERRORS = ("ValidationException", "ParamValidationError", "ResourceNotFoundException")


def memory_session_id(actor_id: str, runtime_session_id: str) -> str:
    """Memory's session id for a runtime session of an actor: ``[a-zA-Z0-9][a-zA-Z0-9-_]*``
    of 1..100 characters, whatever the runtime's id (33..256 characters of any kind)."""
    digest = hashlib.sha256(f"{actor_id}\n{runtime_session_id}".encode()).hexdigest()
    return f"s{digest}"


def bounded_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` within Memory's limit; a cut says how much was left out."""
    if len(text) <= limit:
        return text or "-"
    kept = limit - NOTE_ROOM
    return f"{text[:kept]}\n[... {len(text) - kept} more characters not stored here]"


@dataclass(frozen=True)
class PendingTurn:
    actor_id: str
    session_id: str  # the runtime's
    at: datetime.datetime
    messages: list[dict[str, Any]]
    prompt: str
    reply: str
    token: str = field(default_factory=lambda: str(uuid.uuid4()))  # CreateEvent clientToken


class MemoryStore:
    """Loads and saves turns; ``client`` is the bedrock-agentcore data plane (made lazily)."""

    def __init__(
        self,
        memory_id: str,
        *,
        region: str,
        timeout_seconds: float,
        namespaces: Sequence[str] = (),
        top_k: int = 5,
        write_attempts: int = 5,
        retry_delay_seconds: float = 1.0,
        max_pending: int = MAX_PENDING,
        client: Any = None,
    ) -> None:
        self.memory_id = memory_id
        self._region = region
        self._timeout = timeout_seconds
        self._namespaces = tuple(namespaces)
        self._top_k = top_k
        self._attempts = write_attempts
        self._retry_delay = retry_delay_seconds
        self._client = client
        self._pending: deque[PendingTurn] = deque()
        self._max_pending = max_pending
        self._writer: asyncio.Task[None] | None = None

    @property
    def has_strategies(self) -> bool:
        return bool(self._namespaces)

    def _data_plane(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=self._timeout,
                read_timeout=self._timeout,
                retries={"max_attempts": 2, "mode": "standard"},
            )
            self._client = boto3.client(
                "bedrock-agentcore", region_name=self._region, config=config
            )
        return self._client

    async def load(self, actor_id: str, session_id: str) -> list[list[dict[str, Any]]]:
        """The session's turns, oldest first; a 503 when Memory cannot be read in time."""
        memory_session = memory_session_id(actor_id, session_id)
        try:
            async with asyncio.timeout(self._timeout * 2):
                events = await asyncio.to_thread(self._list_events, actor_id, memory_session)
        except Exception as error:
            log(40, "memory load failed", session_id=session_id, error=type(error).__name__)
            raise InvocationError(
                503,
                "memory_unavailable",
                "This conversation's history could not be loaded from AgentCore Memory; retry "
                "shortly (nothing was answered without it).",
            ) from None
        turns = []
        for event in events:
            for item in event.get("payload", []):
                blob = item.get("blob")
                if isinstance(blob, dict) and blob.get("kind") == BLOB_KIND:
                    turns.append((str(event.get("eventTimestamp")), blob["messages"]))
        turns.sort(key=lambda turn: turn[0])
        return [messages for _, messages in turns]

    def _list_events(self, actor_id: str, memory_session: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request = {
            "memoryId": self.memory_id,
            "actorId": actor_id,
            "sessionId": memory_session,
            "includePayloads": True,
            "maxResults": 100,
        }
        for _ in range(MAX_PAGES):
            page = self._data_plane().list_events(**request)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                break
            request["nextToken"] = page["nextToken"]
        return events

    def save(self, turn: PendingTurn) -> None:
        """Queue a finished turn; the writer sends it (and anything still pending) in order."""
        self._pending.append(turn)
        while len(self._pending) > self._max_pending:
            shed = self._pending.popleft()
            log(40, "memory queue full: oldest turn dropped", session_id=shed.session_id)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())

    async def _write_pending(self) -> None:
        while self._pending:
            turn = self._pending[0]
            for attempt in range(1, self._attempts + 1):
                try:
                    await asyncio.to_thread(self._create_event, turn)
                    break
                except Exception as error:
                    code = _error_code(error)
                    if code in PERMANENT_ERRORS:
                        log(
                            40,
                            "memory refused a turn: dropped",
                            session_id=turn.session_id,
                            error=code,
                        )
                        break
                    log(
                        30 if attempt < self._attempts else 40,
                        "memory write failed",
                        session_id=turn.session_id,
                        attempt=attempt,
                        pending_turns=len(self._pending),
                        error=code,
                    )
                    await asyncio.sleep(self._retry_delay * attempt)
            else:
                # Memory is unreachable: kept, and the next finished turn starts the writer again.
                return
            if self._pending and self._pending[0] is turn:
                self._pending.popleft()

    def _create_event(self, turn: PendingTurn) -> None:
        self._data_plane().create_event(
            memoryId=self.memory_id,
            actorId=turn.actor_id,
            sessionId=memory_session_id(turn.actor_id, turn.session_id),
            eventTimestamp=turn.at,
            clientToken=turn.token,
            payload=[
                {
                    "conversational": {
                        "content": {"text": bounded_text(turn.prompt)},
                        "role": "USER",
                    }
                },
                {
                    "conversational": {
                        "content": {"text": bounded_text(turn.reply)},
                        "role": "ASSISTANT",
                    }
                },
                {"blob": {"kind": BLOB_KIND, "messages": turn.messages}},
            ],
        )

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self, timeout: float) -> None:
        """On shutdown: give pending writes a last chance."""
        if self._writer is not None and not self._writer.done():
            try:
                async with asyncio.timeout(timeout):
                    await self._writer
            except TimeoutError:
                log(40, "memory writes still pending at shutdown", pending_turns=self.pending)

    async def relevant(self, actor_id: str, session_id: str, query: str) -> list[str]:
        """Long-term records for this actor that bear on ``query`` (none without strategies).

        Best effort: retrieval that fails or is slow is logged and the turn goes on without.
        """
        if not self._namespaces:
            return []
        memory_session = memory_session_id(actor_id, session_id)
        try:
            async with asyncio.timeout(self._timeout):
                return await asyncio.to_thread(self._retrieve, actor_id, memory_session, query)
        except Exception as error:
            log(30, "memory retrieval failed", session_id=session_id, error=type(error).__name__)
            return []

    def _retrieve(self, actor_id: str, memory_session: str, query: str) -> list[str]:
        texts: list[str] = []
        for template in self._namespaces:
            namespace = template.replace("{actorId}", actor_id).replace(
                "{sessionId}", memory_session
            )
            found = self._data_plane().retrieve_memory_records(
                memoryId=self.memory_id,
                namespace=namespace,
                searchCriteria={"searchQuery": query[:10000], "topK": self._top_k},
                maxResults=self._top_k,
            )
            for record in found.get("memoryRecordSummaries", []):
                text = record.get("content", {}).get("text")
                if text:
                    texts.append(text)
        return texts


def restorable(turns: Sequence[list[dict[str, Any]]], window: int) -> list[dict[str, Any]]:
    """The newest whole turns that fit ``window`` messages, oldest first (at least the last
    turn): a restored history never starts inside a turn, so never with an orphan tool result."""
    kept: list[list[dict[str, Any]]] = []
    size = 0
    for turn in reversed(turns):
        if kept and size + len(turn) > window:
            break
        kept.append(turn)
        size += len(turn)
    return [message for turn in reversed(kept) for message in turn]


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def messages_json(messages: list[Any]) -> list[dict[str, Any]]:
    """Strands messages as plain JSON (bytes in documents or images would not serialise)."""
    return json.loads(json.dumps(messages, default=str))
