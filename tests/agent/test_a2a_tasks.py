"""The A2A task store: tasks by owner, bounded."""

from __future__ import annotations

import asyncio

from a2a.server.context import ServerCallContext
from a2a.types import Task, TaskState, TaskStatus

from agent.a2a_tasks import OwnedTaskStore
from agent.identity import IdentityPolicy

SESSION = "x-amzn-bedrock-agentcore-runtime-session-id"
USER = "x-amzn-bedrock-agentcore-runtime-user-id"


def context(session: str, user: str | None = None) -> ServerCallContext:
    headers = {SESSION: session, **({USER: user} if user else {})}
    return ServerCallContext(state={"headers": headers})


def task(task_id: str) -> Task:
    return Task(id=task_id, context_id="c", status=TaskStatus(state=TaskState.completed))


def test_only_the_owner_finds_a_task_and_the_oldest_are_evicted() -> None:
    store = OwnedTaskStore(IdentityPolicy("iam").caller, max_tasks=2)

    async def run() -> None:
        alice = context("s" * 40, "alice")
        await store.save(task("t1"), alice)
        assert (await store.get("t1", alice)).id == "t1"
        assert await store.get("t1", context("s" * 40, "bob")) is None
        assert await store.get("t1", context("t" * 40, "alice")) is None
        assert await store.get("t1", None) is None, "no context: nobody's task"
        await store.save(task("t2"), alice)
        await store.save(task("t3"), alice)
        assert len(store) == 2 and await store.get("t1", alice) is None

    asyncio.run(run())
