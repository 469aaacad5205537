"""A scripted Strands model (a TEST DOUBLE, never used outside tests).

It emits Bedrock-shaped stream events without calling Bedrock: for a prompt that names an
order id it calls the gateway's order-status tool, then answers from the tool's result. The
real agent loop, MCP client and server run around it. Markers in the prompt script the rest:
``[slow:N]`` waits N seconds before answering, ``[throttle]`` raises the model-throttled
error, ``[nocreds]`` raises botocore's missing-credentials error.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from strands.models import Model

ORDER_ID = re.compile(r"\bORD-\d+\b", re.IGNORECASE)
SLOW = re.compile(r"\[slow:(\d+(?:\.\d+)?)\]")
TOOL_SUFFIX = "get_order_status"


def _text_of(message: dict[str, Any]) -> str:
    return " ".join(block.get("text", "") for block in message.get("content", []))


class ScriptedOrderModelTestDouble(Model):
    """Deterministic stand-in for Claude on Bedrock; selected with AGENT_MODEL_FACTORY."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {"model_id": "scripted-order-model-test-double"}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return self.config

    async def structured_output(self, output_model, prompt, system_prompt=None, **kwargs):
        raise NotImplementedError("the scripted test model does not do structured output")
        yield  # pragma: no cover

    async def stream(
        self, messages, tool_specs=None, system_prompt=None, **kwargs: Any
    ) -> AsyncIterator[dict[str, Any]]:
        last = messages[-1]
        tool_results = [b["toolResult"] for b in last["content"] if "toolResult" in b]
        if tool_results:
            async for event in self._text(self._answer_from(tool_results[0])):
                yield event
            return
        prompt = _text_of(last)
        await self._act_on_markers(prompt)
        tool = next((s["name"] for s in tool_specs or [] if s["name"].endswith(TOOL_SUFFIX)), None)
        order = ORDER_ID.search(prompt)
        if order and tool:
            async for event in self._tool_call(tool, order.group(0).upper()):
                yield event
            return
        async for event in self._text(self._reply_without_lookup(messages, tool)):
            yield event

    async def _act_on_markers(self, prompt: str) -> None:
        slow = SLOW.search(prompt)
        if slow:
            await asyncio.sleep(float(slow.group(1)))
        if "[throttle]" in prompt:
            from strands.types.exceptions import ModelThrottledException

            raise ModelThrottledException("ThrottlingException: Too many requests")
        if "[nocreds]" in prompt:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()

    @staticmethod
    def _answer_from(result: dict[str, Any]) -> str:
        texts = [c["text"] for c in result.get("content", []) if "text" in c]
        try:
            data = json.loads(texts[0])
        except (IndexError, json.JSONDecodeError):
            return f"The order lookup failed: {' '.join(texts)}"
        if "error" in data:
            return f"I could not look that order up: {data['error']['message']}."
        return (
            f"Order {data['order_id']} is {data['status']} with {data['carrier']}, "
            f"tracking number {data['tracking_number']}, estimated delivery {data['eta']}."
        )

    @staticmethod
    def _reply_without_lookup(messages: list[dict[str, Any]], tool: str | None) -> str:
        earlier = [
            m.group(0).upper()
            for message in messages[:-1]
            if message["role"] == "user"
            for m in ORDER_ID.finditer(_text_of(message))
        ]
        if earlier:
            return f"Earlier in this conversation you asked about {earlier[-1]}."
        if tool is None:
            return "I have no order tools available right now, so I cannot look orders up."
        return "Tell me an order id such as ORD-1234 and I will look it up."

    @staticmethod
    async def _tool_call(name: str, order_id: str) -> AsyncIterator[dict[str, Any]]:
        yield {"messageStart": {"role": "assistant"}}
        yield {
            "contentBlockStart": {
                "start": {
                    "toolUse": {"toolUseId": f"tooluse_{uuid.uuid4().hex[:12]}", "name": name}
                }
            }
        }
        yield {
            "contentBlockDelta": {
                "delta": {"toolUse": {"input": json.dumps({"order_id": order_id})}}
            }
        }
        yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "tool_use"}}
        yield _usage()

    @staticmethod
    async def _text(text: str) -> AsyncIterator[dict[str, Any]]:
        yield {"messageStart": {"role": "assistant"}}
        words = text.split(" ")
        for index, word in enumerate(words):
            yield {
                "contentBlockDelta": {
                    "delta": {"text": word + (" " if index < len(words) - 1 else "")}
                }
            }
        yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "end_turn"}}
        yield _usage()


def _usage() -> dict[str, Any]:
    return {
        "metadata": {
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        }
    }
