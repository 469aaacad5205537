"""AgentCore Memory against moto's events backend, behind a gate that enforces the service's
published request limits (tests/doubles/model_gate.py: botocore's service model; moto checks
none). The agent process reaches it through AWS_ENDPOINT_URL_BEDROCK_AGENTCORE.

One user's conversation never reaches another, in both auth modes; a caller who is not a
verified user gets no memory at all; every turn is stored exactly, however long the
conversation or the prompt, whatever the session id; Memory failures are answered as
documented (503 when history cannot be loaded, writes retried without delaying the reply).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest

from agent.identity import actor_for
from agent.memory import memory_session_id
from tests.doubles.cognito_tokens import APP_CLIENT, CLI_CLIENT, access_token, jwt_environment
from tests.doubles.model_gate import ModelGate
from tests.doubles.processes import (
    AgentServer,
    MotoServer,
    free_port,
    running_agent,
    running_moto_server,
)
from tests.invoke.doubles import serve

from .conftest import FAKE_AWS, SESSION_HEADER, session_id

MEMORY_ID = "orders_memory-AbCdEf1234"
CREATE_EVENT = f"POST /memories/{MEMORY_ID}/events HTTP/1.1"  # in moto's request log
USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"
ALICE, BOB = "11111111-aaaa-4aaa-8aaa-000000000001", "22222222-bbbb-4bbb-8bbb-000000000002"


@pytest.fixture(scope="module")
def gated(moto: MotoServer) -> Iterator[tuple[str, ModelGate]]:
    """Memory's limits in front of the module's moto: (url, gate)."""
    gate = ModelGate("bedrock-agentcore", moto.url)
    with serve(gate) as url:
        yield url, gate


def events(moto_url: str, user: str, session: str) -> list[dict]:
    """A user's stored events of a runtime session, read as the agent derives the ids."""
    client = boto3.client(
        "bedrock-agentcore",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    actor = actor_for(user)
    return client.list_events(
        memoryId=MEMORY_ID,
        actorId=actor,
        sessionId=memory_session_id(actor, session),
        includePayloads=True,
        maxResults=100,
    )["events"]


def wait_for_events(moto: MotoServer, user: str, session: str, count: int) -> list[dict]:
    """The session's events once moto holds ``count``: re-read after each event it stores
    (its request log has a line per CreateEvent), not on a timer."""
    deadline = time.monotonic() + 60
    while True:
        stored = moto.log_text().count(CREATE_EVENT)
        found = events(moto.url, user, session)
        if len(found) >= count:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{count} events for {user}/{session} never arrived")
        moto.wait_for_log(lambda log, stored=stored: log.count(CREATE_EVENT) > stored, remaining)


def agent_with_memory(tmp_path, memory_url: str, *, mode: str = "iam", **env: str):
    identity = jwt_environment() if mode == "jwt" else {"AGENT_AUTH_MODE": mode}
    return running_agent(
        tmp_path,
        MEMORY_ID=MEMORY_ID,
        AWS_ENDPOINT_URL_BEDROCK_AGENTCORE=memory_url,
        GATEWAY_ENDPOINT=env.pop("GATEWAY_ENDPOINT"),
        GATEWAY_AUTH="none",
        **identity,
        **FAKE_AWS,
        **env,
    )


def ask(agent: AgentServer, prompt: str, session: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{agent.base_url}/invocations",
        json={"prompt": prompt},
        headers={SESSION_HEADER: session, **headers},
        timeout=60,
    )


def as_user(user: str) -> dict[str, str]:
    """IAM mode: what InvokeAgentRuntimeForUser adds."""
    return {USER_HEADER: user}


def signed_in(user: str, **claims) -> dict[str, str]:
    """JWT mode: what the runtime forwards for a signed-in user."""
    return {"Authorization": access_token(user, **claims)}


def test_a_conversation_survives_a_new_process(tmp_path, moto, gated, gateway) -> None:
    url, gate = gated
    session = session_id("memory-restart")
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as first:
        reply = ask(first, "Where is order ORD-3150?", session, **as_user("customer-1"))
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

    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as second:
        again = "Which order did I mention before?"
        recall = ask(second, again, session, **as_user("customer-1"))
        assert recall.status_code == 200
        assert "ORD-3150" in recall.json()["response"], "the new process restored the history"
        other_session = ask(second, again, session_id("memory-other"), **as_user("customer-1"))
        assert "ORD-3150" not in other_session.json()["response"]
        other_user = ask(second, again, session, **as_user("customer-2"))
        assert "ORD-3150" not in other_user.json()["response"], "users never share history"
    assert gate.refused == []


def test_jwt_two_users_on_one_session_id_never_meet(tmp_path, moto, gated, gateway) -> None:
    url, gate = gated
    session = session_id("memory-jwt-two-users")
    with agent_with_memory(tmp_path, url, mode="jwt", GATEWAY_ENDPOINT=gateway.url) as agent:
        assert ask(agent, "Where is ORD-2001?", session, **signed_in(ALICE)).status_code == 200
        wait_for_events(moto, ALICE, session, 1)
    with agent_with_memory(tmp_path, url, mode="jwt", GATEWAY_ENDPOINT=gateway.url) as agent:
        again = "Which order did I mention before?"
        bob = ask(agent, again, session, **signed_in(BOB))
        assert bob.status_code == 200 and "ORD-2001" not in bob.json()["response"]
        # Bob naming Alice in the user-id header changes nothing: JWT calls ignore it.
        forged = ask(
            agent, again, session_id("memory-jwt-forged"), **signed_in(BOB), **as_user(ALICE)
        )
        assert "ORD-2001" not in forged.json()["response"]
        alice = ask(agent, again, session, **signed_in(ALICE))
        assert "ORD-2001" in alice.json()["response"]
    assert events(moto.url, BOB, session) and not events(
        moto.url, ALICE, session_id("memory-jwt-forged")
    )
    assert gate.refused == []


def test_tokens_no_authorizer_would_pass_are_refused(tmp_path, gated, gateway) -> None:
    url, _ = gated
    session = session_id("memory-jwt-refused")
    with agent_with_memory(tmp_path, url, mode="jwt", GATEWAY_ENDPOINT=gateway.url) as agent:
        for headers in (
            signed_in(ALICE, alg="none", signature=""),
            signed_in(ALICE, client_id="another-client-0009"),
            signed_in(12345),
        ):
            reply = ask(agent, "Where is ORD-1234?", session, **headers)
            assert reply.status_code == 401, headers
            assert reply.json()["error"]["code"] == "untrusted_token"
        log = agent.log_text()
        assert "Traceback" not in log and '"untrusted token refused"' in log
        assert ALICE not in log, "the token's claims never reach the log"


def test_the_review_s_identity_attacks_are_refused(tmp_path, gated, gateway) -> None:
    """Fresh-context attacker review of per-user identity: a second identity header naming
    another user (whichever copy a framework keeps), two machine clients on one session id, a
    subject no text encoding holds, an expiry that is not a number."""
    url, _ = gated
    session = session_id("memory-review")
    with agent_with_memory(tmp_path, url, mode="jwt", GATEWAY_ENDPOINT=gateway.url) as agent:
        forged = access_token(ALICE, signature="Zm9yZ2Vk")
        for pair in ([signed_in(BOB)["Authorization"], forged], [forged, forged]):
            reply = httpx.post(
                f"{agent.base_url}/invocations",
                json={"prompt": "Which order did I mention before?"},
                headers=[(SESSION_HEADER, session), *(("Authorization", t) for t in pair)],
                timeout=60,
            )
            assert reply.status_code == 401, pair
            assert reply.json()["error"]["code"] == "ambiguous_identity"
        for odd in (signed_in("\ud800evil"), signed_in(ALICE, exp=float("nan"))):
            reply = ask(agent, "Where is ORD-1234?", session, **odd)
            assert reply.status_code == 401 and reply.json()["error"]["code"] == "untrusted_token"

        def machine(client: str, prompt: str) -> str:
            headers = signed_in(client, client_id=client)
            reply = ask(agent, prompt, session_id("memory-two-machines"), **headers)
            assert reply.status_code == 200
            return reply.json()["response"]

        machine(CLI_CLIENT, "Where is ORD-2001?")
        assert "ORD-2001" not in machine(APP_CLIENT, "Which order did I mention before?")
        assert "ORD-2001" in machine(CLI_CLIENT, "Which order did I mention before?")
        assert "Traceback" not in agent.log_text()
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as agent:
        reply = httpx.post(
            f"{agent.base_url}/invocations",
            json={"prompt": "Which order did I mention before?"},
            headers=[(SESSION_HEADER, session), (USER_HEADER, "bob"), (USER_HEADER, "alice")],
            timeout=60,
        )
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "ambiguous_identity"


def test_without_a_verified_user_memory_is_never_touched(tmp_path, gated, gateway) -> None:
    url, gate = gated
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as agent:
        before = len(gate.operations)
        no_user = ask(agent, "Where is ORD-1234?", session_id("memory-nobody"))
        token_only = ask(
            agent, "Where is ORD-1234?", session_id("memory-nobody-2"), **signed_in(ALICE)
        )
        assert no_user.status_code == token_only.status_code == 200
        assert "IN_TRANSIT" in no_user.json()["response"]
        agent.wait_for_log('"invocation"', 10)
    with agent_with_memory(tmp_path, url, mode="jwt", GATEWAY_ENDPOINT=gateway.url) as agent:
        machine = ask(
            agent, "Where is ORD-1234?", session_id("memory-m2m"), **signed_in("cli-client-0001")
        )
        assert machine.status_code == 200, "a machine client answers, without memory"
    assert gate.operations[before:] == [], "no history read, nothing retrieved, nothing written"


def test_a_long_conversation_restores_whole_turns_in_order(tmp_path, moto, gated, gateway) -> None:
    url, gate = gated
    session = session_id("memory-long")
    orders = [f"ORD-{1000 + n}" for n in range(24)] + ["ORD-3150"]
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as agent:
        for order in orders:
            assert ask(agent, f"Where is {order}?", session, **as_user("long-1")).status_code == 200
        stored = wait_for_events(moto, "long-1", session, len(orders))
    turns = [e["payload"][2]["blob"]["messages"] for e in stored]
    assert [len(t) for t in turns] == [4] * len(orders), "each turn stored whole (100 messages)"
    assert all(t[0]["role"] == "user" and "text" in t[0]["content"][0] for t in turns)
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as agent:
        recall = ask(agent, "Which order did I mention before?", session, **as_user("long-1"))
        assert recall.status_code == 200
        assert "ORD-3150" in recall.json()["response"], "the newest turns, in order"
    assert gate.refused == []


def test_a_prompt_over_memorys_limit_does_not_stop_later_turns(
    tmp_path, moto, gated, gateway
) -> None:
    url, gate = gated
    session = session_id("memory-huge")
    huge = "x" * 100_001 + " Where is ORD-1234?"
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as agent:
        assert ask(agent, huge, session, **as_user("huge-1")).status_code == 200
        assert ask(agent, "And ORD-2001?", session, **as_user("huge-1")).status_code == 200
        first, second = wait_for_events(moto, "huge-1", session, 2)
    text = first["payload"][0]["conversational"]["content"]["text"]
    assert len(text) <= 100_000 and text.endswith("more characters not stored here]")
    assert huge in json.dumps(first["payload"][2]["blob"]), "the exact turn is kept whole"
    assert second["payload"][0]["conversational"]["content"]["text"] == "And ORD-2001?"
    assert gate.refused == []


@pytest.mark.parametrize(
    "session",
    ["s" * 101, "session.with.dots.and:colons-0000000000000000", "S" * 256],
    ids=["101-chars", "dots", "256-chars"],
)
def test_every_valid_runtime_session_id_works(tmp_path, moto, gated, gateway, session) -> None:
    url, gate = gated
    with agent_with_memory(tmp_path, url, GATEWAY_ENDPOINT=gateway.url) as agent:
        reply = ask(agent, "Where is ORD-4477?", session, **as_user("ids-1"))
        assert reply.status_code == 200, reply.text
        wait_for_events(moto, "ids-1", session, 1)
    assert gate.refused == []


def test_history_that_cannot_be_loaded_is_a_503_not_amnesia(tmp_path, gateway) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with agent_with_memory(
        tmp_path, closed, GATEWAY_ENDPOINT=gateway.url, MEMORY_TIMEOUT_SECONDS="2"
    ) as agent:
        started = time.monotonic()
        reply = ask(agent, "Where is ORD-1234?", session_id("memory-down"), **as_user("c-3"))
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
            assert ask(agent, "Where is ORD-1234?", session, **as_user("c-4")).status_code == 200
            wait_for_events(flaky, "c-4", session, 1)
            flaky.stop()
            started = time.monotonic()
            reply = ask(agent, "And ORD-2001?", session, **as_user("c-4"))
            assert reply.status_code == 200 and "DELIVERED" in reply.json()["response"]
            assert time.monotonic() - started < 5, "the reply did not wait for Memory"
            agent.wait_for_log('"memory write failed"', 20)
            flaky.start()  # back on the same port, empty: the pending turn must still arrive
            assert flaky.url == f"http://127.0.0.1:{port}"
            (kept,) = wait_for_events(flaky, "c-4", session, 1)
    assert kept["payload"][0]["conversational"]["content"]["text"] == "And ORD-2001?"
