"""AgentCore Memory against moto's bedrock-agentcore events backend (a real wire-protocol fake).

The agent process is pointed at moto through botocore's AWS_ENDPOINT_URL_BEDROCK_AGENTCORE.
Conversations survive a restart of the process, stay per actor and per session, and Memory
failures are answered as documented: a 503 when history cannot be loaded, a reply that does
not wait for a failing write, and the write retried until it lands.
"""

from __future__ import annotations

import json
import time

import boto3
import httpx

from tests.doubles.processes import (
    AgentServer,
    MotoServer,
    free_port,
    running_agent,
    running_moto_server,
)

from .conftest import FAKE_AWS, SESSION_HEADER, session_id

MEMORY_ID = "orders_memory-AbCdEf1234"
CREATE_EVENT = f"POST /memories/{MEMORY_ID}/events HTTP/1.1"  # in moto's request log
USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"


def events(moto_url: str, actor: str, session: str) -> list[dict]:
    client = boto3.client(
        "bedrock-agentcore",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client.list_events(
        memoryId=MEMORY_ID, actorId=actor, sessionId=session, includePayloads=True
    )["events"]


def wait_for_events(moto: MotoServer, actor: str, session: str, count: int) -> list[dict]:
    """The session's events once moto holds ``count``: re-read after each event it stores
    (its request log has a line per CreateEvent), not on a timer."""
    deadline = time.monotonic() + 30
    while True:
        stored = moto.log_text().count(CREATE_EVENT)
        found = events(moto.url, actor, session)
        if len(found) >= count:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{count} events for {actor}/{session} never arrived")
        moto.wait_for_log(lambda log, stored=stored: log.count(CREATE_EVENT) > stored, remaining)


def agent_with_memory(tmp_path, moto_url: str, **env: str):
    return running_agent(
        tmp_path,
        MEMORY_ID=MEMORY_ID,
        AWS_ENDPOINT_URL_BEDROCK_AGENTCORE=moto_url,
        GATEWAY_ENDPOINT=env.pop("GATEWAY_ENDPOINT"),
        GATEWAY_AUTH="none",
        **FAKE_AWS,
        **env,
    )


def ask(agent: AgentServer, prompt: str, session: str, user: str) -> httpx.Response:
    return httpx.post(
        f"{agent.base_url}/invocations",
        json={"prompt": prompt},
        headers={SESSION_HEADER: session, USER_HEADER: user},
        timeout=60,
    )


def test_a_conversation_survives_a_new_process(tmp_path, moto, gateway) -> None:
    session = session_id("memory-restart")
    with agent_with_memory(tmp_path, moto.url, GATEWAY_ENDPOINT=gateway.url) as first:
        reply = ask(first, "Where is order ORD-3150?", session, "customer-1")
        assert reply.status_code == 200 and "PROCESSING" in reply.json()["response"]
        (event,) = wait_for_events(moto, "customer-1", session, 1)
    payload = event["payload"]
    assert payload[0]["conversational"] == {
        "content": {"text": "Where is order ORD-3150?"},
        "role": "USER",
    }
    assert payload[1]["conversational"]["role"] == "ASSISTANT"
    stored = json.dumps(payload[2]["blob"]["messages"])
    assert '"toolUse"' in stored and '"toolResult"' in stored, "tool use and result are kept"

    with agent_with_memory(tmp_path, moto.url, GATEWAY_ENDPOINT=gateway.url) as second:
        recall = ask(second, "Which order did I mention before?", session, "customer-1")
        assert recall.status_code == 200
        assert "ORD-3150" in recall.json()["response"], "the new process restored the history"
        other_session = ask(
            second, "Which order did I mention before?", session_id("memory-other"), "customer-1"
        )
        assert "ORD-3150" not in other_session.json()["response"]
        other_actor = ask(second, "Which order did I mention before?", session, "customer-2")
        assert "ORD-3150" not in other_actor.json()["response"], "actors never share history"


def test_history_that_cannot_be_loaded_is_a_503_not_amnesia(tmp_path, gateway) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with agent_with_memory(
        tmp_path, closed, GATEWAY_ENDPOINT=gateway.url, MEMORY_TIMEOUT_SECONDS="2"
    ) as agent:
        started = time.monotonic()
        reply = ask(agent, "Where is ORD-1234?", session_id("memory-down"), "customer-3")
        elapsed = time.monotonic() - started
        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "memory_unavailable"
        assert elapsed < 15, "answered within the Memory timeout, not the invocation's"
        assert httpx.get(f"{agent.base_url}/ping").json()["status"] == "Healthy"


def test_a_failing_write_does_not_block_the_reply_and_is_retried(tmp_path, gateway) -> None:
    session = session_id("memory-retry")
    with running_moto_server(tmp_path) as flaky:
        port = flaky.url.rsplit(":", 1)[1]
        with agent_with_memory(tmp_path, flaky.url, GATEWAY_ENDPOINT=gateway.url) as agent:
            assert ask(agent, "Where is ORD-1234?", session, "customer-4").status_code == 200
            wait_for_events(flaky, "customer-4", session, 1)
            flaky.stop()
            started = time.monotonic()
            reply = ask(agent, "And ORD-2001?", session, "customer-4")
            assert reply.status_code == 200 and "DELIVERED" in reply.json()["response"]
            assert time.monotonic() - started < 5, "the reply did not wait for Memory"
            agent.wait_for_log('"memory write failed"', 20)
            flaky.start()  # back on the same port, empty: the pending turn must still arrive
            assert flaky.url == f"http://127.0.0.1:{port}"
            (kept,) = wait_for_events(flaky, "customer-4", session, 1)
    assert kept["payload"][0]["conversational"]["content"]["text"] == "And ORD-2001?"
