"""A2A tasks that belong to their caller: a bounded task store keyed by owner.

a2a-sdk's ``InMemoryTaskStore`` is one per process and never evicts, so any caller could read
another's task (prompt, tool calls, answer) by its id with ``tasks/get``. Here a task is saved
under its owner, the verified user (else nobody) and the runtime session of the request, and
only that owner finds it again; another owner's ``tasks/get`` is "task not found". The oldest
tasks are evicted beyond ``max_tasks``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping

from a2a.server.context import ServerCallContext
from a2a.server.tasks import TaskStore
from a2a.types import Task

from .errors import InvocationError
from .identity import Caller

SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
MAX_TASKS = 1000


class OwnedTaskStore(TaskStore):
    """Tasks by (owner, task id); ``identify`` maps request headers to the caller."""

    def __init__(
        self, identify: Callable[[Mapping[str, str]], Caller], max_tasks: int = MAX_TASKS
    ) -> None:
        self._identify = identify
        self._max_tasks = max_tasks
        self._tasks: OrderedDict[tuple[str, str], Task] = OrderedDict()

    def _owner(self, context: ServerCallContext | None) -> str | None:
        """Who the request is from; ``None`` (nobody's tasks) when that cannot be told."""
        if context is None:
            return None
        headers = {k.lower(): v for k, v in context.state.get("headers", {}).items()}
        try:
            caller = self._identify(headers)
        except InvocationError:
            return None
        return f"{caller.owner or '-'}\n{headers.get(SESSION_HEADER, '')}"

    async def save(self, task: Task, context: ServerCallContext | None = None) -> None:
        owner = self._owner(context)
        if owner is None:
            return
        key = (owner, task.id)
        self._tasks[key] = task
        self._tasks.move_to_end(key)
        while len(self._tasks) > self._max_tasks:
            self._tasks.popitem(last=False)

    async def get(self, task_id: str, context: ServerCallContext | None = None) -> Task | None:
        owner = self._owner(context)
        return None if owner is None else self._tasks.get((owner, task_id))

    async def delete(self, task_id: str, context: ServerCallContext | None = None) -> None:
        owner = self._owner(context)
        if owner is not None:
            self._tasks.pop((owner, task_id), None)

    def __len__(self) -> int:
        return len(self._tasks)
