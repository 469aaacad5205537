"""The AgentCore Runtime HTTP contract, over a real socket."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import SESSION_HEADER, session_id


def invoke(
    client: httpx.Client, prompt: str, session: str | None = None, **kwargs
) -> httpx.Response:
    headers = {SESSION_HEADER: session} if session else {}
    return client.post("/invocations", json={"prompt": prompt}, headers=headers, **kwargs)


def sse_frames(response: httpx.Response) -> list[dict]:
    frames = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            frames.append(json.loads(line.removeprefix("data: ")))
    return frames


def test_ping_schema(client: httpx.Client) -> None:
    response = client.get("/ping")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "time_of_last_update"}
    assert body["status"] == "Healthy"
    assert isinstance(body["time_of_last_update"], int)
    assert abs(body["time_of_last_update"] - time.time()) < 3600


def test_json_reply_carries_the_tools_data(client: httpx.Client) -> None:
    response = invoke(client, "Where is order ORD-1234?", session_id("json"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "794601234567" in body["response"] and "FedEx" in body["response"]
    assert body["tool_calls"] == [
        {"name": "orders___get_order_status", "input": {"order_id": "ORD-1234"}}
    ]
    assert body["session_id"] == session_id("json")
    assert body["tools"] == {"gateway": "connected"}
    assert response.headers[SESSION_HEADER] == session_id("json")


def test_tool_errors_reach_the_user(client: httpx.Client) -> None:
    body = invoke(client, "Where is ORD-99999?", session_id("unknown")).json()
    assert "No order ORD-99999 was found" in body["response"]


@pytest.mark.parametrize("ask_for_stream", ["accept", "body"])
def test_sse_reply_streams_json_frames(client: httpx.Client, ask_for_stream: str) -> None:
    if ask_for_stream == "accept":
        response = client.post(
            "/invocations",
            json={"prompt": "Status of ORD-2001 please"},
            headers={
                "Accept": "text/event-stream",
                SESSION_HEADER: session_id("sse-" + ask_for_stream),
            },
        )
    else:
        response = client.post(
            "/invocations",
            json={"prompt": "Status of ORD-2001 please", "stream": True},
            headers={SESSION_HEADER: session_id("sse-" + ask_for_stream)},
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = sse_frames(response)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "tool_use" and kinds[-1] == "final"
    assert frames[0]["name"] == "orders___get_order_status"
    assert frames[0]["input"] == {"order_id": "ORD-2001"}
    (result,) = [f for f in frames if f["type"] == "tool_result"]
    assert result["status"] == "success"
    assert "1Z999AA10123456784" in json.dumps(result["content"])
    text = "".join(f["text"] for f in frames if f["type"] == "text")
    assert kinds.count("text") > 1, "text arrives as deltas"
    assert "DELIVERED with UPS" in text
    assert frames[-1]["response"] == text.strip()
    assert frames[-1]["session_id"] == session_id("sse-" + ask_for_stream)


def test_sessions_keep_separate_histories(client: httpx.Client) -> None:
    first, second = session_id("history-a"), session_id("history-b")
    assert invoke(client, "Where is ORD-1234?", first).status_code == 200
    assert invoke(client, "Where is ORD-3150?", second).status_code == 200
    recall_first = invoke(client, "Which order did I ask about?", first).json()["response"]
    recall_second = invoke(client, "Which order did I ask about?", second).json()["response"]
    assert "ORD-1234" in recall_first and "ORD-3150" not in recall_first
    assert "ORD-3150" in recall_second and "ORD-1234" not in recall_second


def test_a_new_session_remembers_nothing(client: httpx.Client) -> None:
    body = invoke(client, "Which order did I ask about?", session_id("fresh")).json()
    assert "Earlier in this conversation" not in body["response"]


def test_missing_session_header_gets_a_generated_id(client: httpx.Client) -> None:
    response = invoke(client, "hello")
    generated = response.headers[SESSION_HEADER]
    assert response.status_code == 200
    assert 33 <= len(generated) <= 256
    assert response.json()["session_id"] == generated


def test_concurrent_calls_on_one_session_run_one_at_a_time(client: httpx.Client) -> None:
    session = session_id("serial")
    delay = 1.0
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        replies = list(
            pool.map(lambda p: invoke(client, p, session), [f"[slow:{delay}] ORD-1234"] * 2)
        )
    elapsed = time.monotonic() - started
    assert [r.status_code for r in replies] == [200, 200]
    assert all("794601234567" in r.json()["response"] for r in replies)
    assert elapsed >= 2 * delay, "the second turn waited for the first"


def test_different_sessions_run_concurrently_and_ping_stays_fast(client: httpx.Client) -> None:
    delay = 2.0
    with ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        futures = [
            pool.submit(invoke, client, f"[slow:{delay}] ORD-1234", session_id(f"parallel-{i}"))
            for i in range(6)
        ]
        pings = []
        busy_seen = False
        while not all(f.done() for f in futures):
            before = time.monotonic()
            status = client.get("/ping").json()["status"]
            pings.append(time.monotonic() - before)
            busy_seen |= status == "HealthyBusy"
            time.sleep(0.05)
        elapsed = time.monotonic() - started
    assert all(f.result().status_code == 200 for f in futures)
    assert busy_seen
    assert max(pings) < 1.0, f"ping took {max(pings):.3f} s while invocations ran"
    assert elapsed < 6 * delay, "sessions did not run one after another"


def test_ping_reports_busy_then_healthy(client: httpx.Client) -> None:
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(invoke, client, "[slow:1.5] hello", session_id("busy"))
        statuses = set()
        while not future.done():
            statuses.add(client.get("/ping").json()["status"])
            time.sleep(0.05)
    assert future.result().status_code == 200
    assert "HealthyBusy" in statuses
    after = client.get("/ping").json()
    assert after["status"] == "Healthy"
