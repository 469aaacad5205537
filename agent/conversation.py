"""One turn of a session's conversation: a Strands agent loop over the session's history.

A fresh ``Agent`` is built per turn from the session's messages, so every turn gets the
gateway's current tools (after a reconnect, too) and a failed turn leaves the history as it was.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from .errors import GatewayFailedError
from .gateway import FAILURES_KEY, Gateway
from .sessions import Session
from .settings import Settings


def build_model(settings: Settings) -> Any:
    """Bedrock by default; a test double only when AGENT_MODEL_FACTORY names one."""
    if settings.model_factory:
        module_name, _, attribute = settings.model_factory.partition(":")
        return getattr(importlib.import_module(module_name), attribute)()
    from strands.models.bedrock import BedrockModel

    return BedrockModel(model_id=settings.model_id, region_name=settings.region)


class Conversation:
    """Runs turns with the shared model and gateway; yields JSON-ready events."""

    def __init__(self, settings: Settings, gateway: Gateway) -> None:
        self._settings = settings
        self._gateway = gateway
        self._model: Any = None

    def warm_up(self) -> None:
        """Import the agent stack and build the model (no network I/O)."""
        import strands  # noqa: F401

        if self._model is None:
            self._model = build_model(self._settings)

    async def turn(
        self, session: Session, prompt: str, context: Sequence[str] = ()
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream one turn; the caller holds ``session.lock``. ``context``: what long-term
        memory knows about this user, added to the system prompt."""
        from strands import Agent, ModelRetryStrategy

        tools = await self._gateway.tools()
        if self._model is None:
            self.warm_up()
        agent = Agent(
            model=self._model,
            tools=tools,
            system_prompt=_with_context(self._settings.system_prompt, context),
            messages=[dict(m) for m in session.messages],
            callback_handler=None,
            trace_attributes={"session.id": session.session_id},
            # Bounded so a throttled model answers 503 within seconds, not minutes.
            retry_strategy=ModelRetryStrategy(
                max_attempts=self._settings.model_max_attempts,
                initial_delay=self._settings.model_retry_delay_seconds,
            ),
        )
        state: dict[str, Any] = {}
        async for event in agent.stream_async(prompt, invocation_state=state):
            for frame in _frames(event):
                yield frame
            if "result" in event:
                failures = state.get(FAILURES_KEY)
                if failures:
                    raise GatewayFailedError(
                        "The tool gateway failed during this request; nothing was saved. "
                        "Retry: the agent reconnects on the next request."
                    )
                session.messages = list(agent.messages)
                result = event["result"]
                yield {
                    "type": "final",
                    "response": str(result).strip(),
                    "stop_reason": str(result.stop_reason),
                }


def _with_context(system_prompt: str, context: Sequence[str]) -> str:
    if not context:
        return system_prompt
    known = "\n".join(f"- {item}" for item in context)
    return f"{system_prompt}\n\nWhat earlier conversations tell you about this customer:\n{known}"


def _frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Only JSON-serialisable data leaves the process, never SDK objects."""
    if "data" in event and isinstance(event["data"], str):
        return [{"type": "text", "text": event["data"]}]
    message = event.get("message")
    if not isinstance(message, dict):
        return []
    frames = []
    for block in message.get("content", []):
        if "toolUse" in block:
            use = block["toolUse"]
            frames.append(
                {
                    "type": "tool_use",
                    "tool_use_id": use.get("toolUseId"),
                    "name": use.get("name"),
                    "input": use.get("input"),
                }
            )
        elif "toolResult" in block:
            result = block["toolResult"]
            frames.append(
                {
                    "type": "tool_result",
                    "tool_use_id": result.get("toolUseId"),
                    "status": result.get("status"),
                    "content": [
                        {"text": c["text"]} if "text" in c else {"json": c.get("json")}
                        for c in result.get("content", [])
                        if "text" in c or "json" in c
                    ],
                }
            )
    return frames
