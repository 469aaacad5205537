"""Per-protocol overhead: the same tool-backed turn over HTTP, WebSocket, A2A, MCP and AG-UI.

Each protocol's server (`python -m agent` with AGENT_PROTOCOL) answers the scripted test model
with a call of the local MCP order tool; requests are sent with plain HTTP/WebSocket so the
figures are the servers', not a client library's. Prints p50/p99 and p50 minus HTTP's.
Run: `make bench-protocols` (loopback only).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.doubles.processes import running_agent, running_mcp_server

REQUESTS = 150
WARM_UP = 10
PROMPT = "Where is ORD-1234?"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def http_call(base: str, client: httpx.Client) -> None:
    reply = client.post(f"{base}/invocations", json={"prompt": PROMPT})
    assert "FedEx" in reply.json()["response"]


def ws_call(base: str, client: httpx.Client) -> None:
    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"prompt": PROMPT}))
        frames = [json.loads(m) for m in ws]
    assert "FedEx" in frames[-1]["response"]


def a2a_call(base: str, client: httpx.Client) -> None:
    message = {
        "role": "user",
        "parts": [{"kind": "text", "text": PROMPT}],
        "messageId": uuid.uuid4().hex,
    }
    reply = client.post(
        f"{base}/",
        json={"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message": message}},
    )
    assert "FedEx" in reply.text


def mcp_call(base: str, client: httpx.Client) -> None:
    reply = client.post(
        f"{base}/mcp",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "ask_order_agent", "arguments": {"prompt": PROMPT}},
        },
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert "FedEx" in reply.text


def agui_call(base: str, client: httpx.Client) -> None:
    run = {
        "threadId": uuid.uuid4().hex,
        "runId": uuid.uuid4().hex,
        "messages": [{"id": "m1", "role": "user", "content": PROMPT}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }
    reply = client.post(f"{base}/invocations", json=run)
    assert "FedEx" in reply.text


CASES: list[tuple[str, str, Callable[[str, httpx.Client], None]]] = [
    ("HTTP /invocations", "HTTP", http_call),
    ("HTTP /ws", "HTTP", ws_call),
    ("A2A message/send", "A2A", a2a_call),
    ("MCP tools/call", "MCP", mcp_call),
    ("AG-UI SSE", "AGUI", agui_call),
]


def main() -> None:
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        with running_mcp_server(scratch) as gateway:
            for label, protocol, call in CASES:
                with (
                    running_agent(
                        scratch,
                        AGENT_PROTOCOL=protocol,
                        GATEWAY_ENDPOINT=gateway.url,
                        GATEWAY_AUTH="none",
                    ) as agent,
                    httpx.Client(timeout=60) as client,
                ):
                    for _ in range(WARM_UP):
                        call(agent.base_url, client)
                    timings = []
                    for _ in range(REQUESTS):
                        began = time.perf_counter()
                        call(agent.base_url, client)
                        timings.append((time.perf_counter() - began) * 1000)
                    results[label] = timings
    baseline = statistics.median(results["HTTP /invocations"])
    print(f"{'protocol':<20} {'p50 ms':>8} {'p99 ms':>8} {'p50 - HTTP':>11}")
    for label, timings in results.items():
        p50 = statistics.median(timings)
        print(f"{label:<20} {p50:8.1f} {percentile(timings, 0.99):8.1f} {p50 - baseline:+11.1f}")


if __name__ == "__main__":
    main()
