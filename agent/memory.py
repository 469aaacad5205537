"""Conversations that outlive the microVM: AgentCore Memory events, with boto3.

A session's history is loaded from Memory the first time this process sees the session, and
every finished turn (the user's message, tool uses and results, the reply) is written as one
event. The event carries the turn twice: as ``conversational`` items (what long-term
strategies extract from) and as a ``blob`` with the exact Strands messages (what a restore
replays). Writes happen in the background, with retries, so a slow Memory never delays a
reply; a turn that cannot be written yet is kept and retried, and logged, not dropped. A history
that cannot be loaded is an error (503), never a silently empty conversation.

Events are keyed by actor and session, so two actors never read each other's history; with
long-term strategies, records are retrieved from namespaces filled with the actor's id.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvocationError
from .log import log

ACTOR_ALLOWED = re.compile(r"[^a-zA-Z0-9\-_/]")
MAX_PAGES = 100
BLOB_KIND = "agent-turn/v1"


def actor_id_from(value: str | None) -> str:
    """Memory's actor id pattern allows letters, digits, ``-``, ``_`` and ``/``."""
    cleaned = ACTOR_ALLOWED.sub("-", value or "").strip("-_/")[:255]
    return cleaned or "default"


@dataclass(frozen=True)
class PendingTurn:
    actor_id: str
    session_id: str
    at: datetime.datetime
    messages: list[dict[str, Any]]
    prompt: str
    reply: str


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
        self._pending: list[PendingTurn] = []
        self._writer: asyncio.Task[None] | None = None

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

    async def load(self, actor_id: str, session_id: str) -> list[dict[str, Any]]:
        """The session's messages, oldest first; a 503 when Memory cannot be read in time."""
        try:
            async with asyncio.timeout(self._timeout * 2):
                events = await asyncio.to_thread(self._list_events, actor_id, session_id)
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
                    turns.append((event.get("eventTimestamp"), blob["messages"]))
        turns.sort(key=lambda turn: str(turn[0]))
        return [message for _, messages in turns for message in messages]

    def _list_events(self, actor_id: str, session_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request = {
            "memoryId": self.memory_id,
            "actorId": actor_id,
            "sessionId": session_id,
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
                    log(
                        30 if attempt < self._attempts else 40,
                        "memory write failed",
                        session_id=turn.session_id,
                        attempt=attempt,
                        pending_turns=len(self._pending),
                        error=type(error).__name__,
                    )
                    await asyncio.sleep(self._retry_delay * attempt)
            else:
                # Kept, not dropped: the next finished turn starts the writer again.
                return
            self._pending.pop(0)

    def _create_event(self, turn: PendingTurn) -> None:
        self._data_plane().create_event(
            memoryId=self.memory_id,
            actorId=turn.actor_id,
            sessionId=turn.session_id,
            eventTimestamp=turn.at,
            payload=[
                {"conversational": {"content": {"text": turn.prompt}, "role": "USER"}},
                {"conversational": {"content": {"text": turn.reply or "-"}, "role": "ASSISTANT"}},
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
        try:
            async with asyncio.timeout(self._timeout):
                return await asyncio.to_thread(self._retrieve, actor_id, session_id, query)
        except Exception as error:
            log(30, "memory retrieval failed", session_id=session_id, error=type(error).__name__)
            return []

    def _retrieve(self, actor_id: str, session_id: str, query: str) -> list[str]:
        texts: list[str] = []
        for template in self._namespaces:
            namespace = template.replace("{actorId}", actor_id).replace("{sessionId}", session_id)
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


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def messages_json(messages: list[Any]) -> list[dict[str, Any]]:
    """Strands messages as plain JSON (bytes in documents or images would not serialise)."""
    return json.loads(json.dumps(messages, default=str))
