"""Conversation history per runtime session, bounded in count and idle time."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    """One conversation. The lock serialises its turns: a Strands Agent is not reentrant."""

    session_id: str
    # The verified user's Memory actor, or None: then nothing is read from or written to Memory.
    actor_id: str | None = None
    messages: list[Any] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = 0.0
    # False until the history is loaded from AgentCore Memory (when memory is configured).
    loaded: bool = False


class SessionStore:
    """Least-recently-used sessions, evicting idle ones and never one that is mid-turn."""

    def __init__(
        self,
        *,
        max_sessions: int,
        idle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions: OrderedDict[tuple[str | None, str], Session] = OrderedDict()
        self._max_sessions = max_sessions
        self._idle_seconds = idle_seconds
        self._clock = clock

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str, actor_id: str | None = None, owner: str = "") -> Session:
        """One conversation per owner and session id: two users, two machine clients, or a
        user and an unverified caller never share one (``Caller.owner``)."""
        now = self._clock()
        self._evict_idle(now)
        key = (owner or actor_id or "", session_id)
        session = self._sessions.get(key)
        if session is None:
            self._make_room()
            session = self._sessions[key] = Session(session_id, actor_id)
        self._sessions.move_to_end(key)
        session.last_used = now
        return session

    def _evict_idle(self, now: float) -> None:
        for key, session in list(self._sessions.items()):
            if now - session.last_used > self._idle_seconds and not session.lock.locked():
                del self._sessions[key]

    def _make_room(self) -> None:
        for key, session in list(self._sessions.items()):
            if len(self._sessions) < self._max_sessions:
                return
            if not session.lock.locked():
                del self._sessions[key]
