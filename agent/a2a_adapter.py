"""The A2A protocol (port 9000): JSON-RPC 2.0 at ``/`` and the agent card, with a2a-sdk.

AgentCore passes A2A JSON-RPC through unchanged (runtime-a2a). a2a-sdk owns the JSON-RPC,
tasks and streaming; this module only turns a task into a turn of the shared core: the
AgentCore session header names the conversation (else the A2A context id), tool calls become
``working`` status updates, text streams as chunks of one ``answer`` artifact.
"""

from __future__ import annotations

import uuid
from typing import Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.apps import A2AStarletteApplication
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.tasks import TaskUpdater
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentSkill,
    DataPart,
    Part,
    TaskState,
    TextPart,
    UnsupportedOperationError,
)
from a2a.utils import new_agent_text_message, new_task
from a2a.utils.errors import ServerError
from starlette.routing import BaseRoute

from .a2a_tasks import OwnedTaskStore
from .core import SESSION_HEADER, AgentCore
from .errors import InvocationError

AGENT_VERSION = "1.0.0"


def agent_card(url: str) -> AgentCard:
    """What other agents discover at /.well-known/agent-card.json."""
    return AgentCard(
        name="Order support agent",
        description=(
            "Answers questions about customer orders: shipping status, carrier, tracking "
            "number and estimated delivery, looked up live through the order-status tool."
        ),
        url=url,
        version=AGENT_VERSION,
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain", "application/json"],
        skills=[
            AgentSkill(
                id="order_status",
                name="Order status",
                description=(
                    "Look up an order by its id (ORD- followed by 4 to 10 digits) and report its "
                    "status, carrier, tracking number and estimated delivery date."
                ),
                tags=["orders", "shipping", "tracking"],
                examples=["Where is order ORD-1234?", "When will ORD-2001 arrive?"],
            )
        ],
    )


def card_url(runtime_url: str | None, port: int) -> str:
    """The runtime's invoke URL (AGENTCORE_RUNTIME_URL, set by the service without a trailing
    slash, which card clients need) or, outside AgentCore, this server's own address."""
    if runtime_url:
        return runtime_url if runtime_url.endswith("/") else f"{runtime_url}/"
    return f"http://127.0.0.1:{port}/"


class CoreExecutor(AgentExecutor):
    """Runs each A2A task as one turn of the shared core."""

    def __init__(self, core: AgentCore) -> None:
        self.core = core

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is None:
            assert context.message is not None
            task = new_task(context.message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        headers: dict[str, Any] = {}
        if context.call_context is not None:
            headers = context.call_context.state.get("headers", {})
        session_id = headers.get(SESSION_HEADER.lower()) or task.context_id
        prompt = context.get_user_input()

        def say(text: str) -> Any:
            return new_agent_text_message(text, task.context_id, task.id)

        if not prompt.strip():
            await updater.failed(say("empty_prompt: send a message with a text part."))
            return
        await updater.start_work()
        answer_id, streamed, tool_calls = str(uuid.uuid4()), False, []
        try:
            async for frame in self.core.stream(session_id, prompt, headers):
                if frame["type"] == "tool_use":
                    tool_calls.append({"name": frame["name"], "input": frame["input"]})
                    await updater.update_status(TaskState.working, say(f"Using {frame['name']}"))
                elif frame["type"] == "text":
                    await updater.add_artifact(
                        [Part(root=TextPart(text=frame["text"]))],
                        artifact_id=answer_id,
                        name="answer",
                        append=streamed,
                        last_chunk=False,
                    )
                    streamed = True
        except InvocationError as error:
            await updater.failed(say(f"{error.code}: {error.message}"))
            return
        details = {"session_id": session_id, "tool_calls": tool_calls}
        await updater.add_artifact([Part(root=DataPart(data=details))], name="details")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise ServerError(error=UnsupportedOperationError(message="A turn cannot be cancelled."))


def a2a_routes(core: AgentCore) -> list[BaseRoute]:
    """``POST /`` (JSON-RPC: message/send, message/stream, tasks/get) and the agent card."""
    settings = core.settings
    application = A2AStarletteApplication(
        agent_card=agent_card(card_url(settings.runtime_url, settings.port)),
        http_handler=DefaultRequestHandler(
            agent_executor=CoreExecutor(core), task_store=OwnedTaskStore(core.caller)
        ),
    )
    return list(application.routes())
