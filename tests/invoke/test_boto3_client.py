"""The agent driven by boto3's own ``invoke_agent_runtime``, through a local front door.

The front door (a TEST DOUBLE of the service's) checks the SigV4 signature boto3 makes, then
forwards to the real agent server with the session header and streams the reply back, so
what boto3 sends (no Content-Type unless ``contentType`` is given) reaches the container as is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.doubles.order_mcp_server import FAKE_ACCESS_KEY, FAKE_REGION, FAKE_SECRET_KEY

from .conftest import RUNTIME_ARN
from .doubles import RuntimeFrontDoorDouble, serve


@pytest.fixture(scope="module")
def front_door(agent) -> Iterator[tuple[RuntimeFrontDoorDouble, str]]:
    door = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=None)
    with serve(door.app(sigv4=True)) as url:
        yield door, url


@pytest.fixture(scope="module")
def agentcore(front_door):
    _, url = front_door
    return boto3.client(
        "bedrock-agentcore",
        region_name=FAKE_REGION,
        endpoint_url=url,
        aws_access_key_id=FAKE_ACCESS_KEY,
        aws_secret_access_key=FAKE_SECRET_KEY,
    )


def session(name: str) -> str:
    return f"boto3-session-{name}".ljust(40, "0")


def ask(agentcore, prompt: str, session_id: str, **options) -> dict:
    """boto3's documented call: payload as a JSON string, no contentType unless given."""
    response = agentcore.invoke_agent_runtime(
        agentRuntimeArn=RUNTIME_ARN,
        runtimeSessionId=session_id,
        payload=json.dumps({"prompt": prompt}),
        qualifier="DEFAULT",
        **options,
    )
    assert response["runtimeSessionId"] == session_id
    return response


def test_json_reply_without_content_type(agentcore, front_door) -> None:
    door, _ = front_door
    response = ask(agentcore, "Where is ORD-1234?", session("plain"))
    assert door.seen_content_types[-1] is None, "boto3 sent no Content-Type"
    assert response["statusCode"] == 200
    assert response["contentType"].startswith("application/json")
    body = json.loads(response["response"].read())
    assert "FedEx" in body["response"] and "794601234567" in body["response"]
    assert body["tool_calls"][0]["name"] == "orders___get_order_status"


def test_json_reply_with_content_type(agentcore) -> None:
    response = ask(
        agentcore, "Status of ORD-3150?", session("typed"), contentType="application/json"
    )
    assert "PROCESSING" in json.loads(response["response"].read())["response"]


def test_sse_reply_streams(agentcore) -> None:
    response = ask(agentcore, "Status of ORD-2001?", session("sse"), accept="text/event-stream")
    assert response["contentType"].startswith("text/event-stream")
    frames = [
        json.loads(line[len(b"data: ") :])
        for line in response["response"].iter_lines()
        if line.startswith(b"data: ")
    ]
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "tool_use" and "tool_result" in kinds and kinds[-1] == "final"
    assert "DELIVERED with UPS" in frames[-1]["response"]
    assert frames[-1]["session_id"] == session("sse")


def test_same_session_continues_and_another_is_isolated(agentcore) -> None:
    first, second = session("continue"), session("isolated")
    ask(agentcore, "Where is ORD-4477?", first)["response"].read()
    recall = json.loads(ask(agentcore, "Which order did I ask about?", first)["response"].read())
    assert "ORD-4477" in recall["response"]
    other = json.loads(ask(agentcore, "Which order did I ask about?", second)["response"].read())
    assert "ORD-4477" not in other["response"]
    assert "Earlier in this conversation" not in other["response"]


def test_agent_errors_reach_boto3_as_their_status(agentcore) -> None:
    with pytest.raises(ClientError) as raised:
        agentcore.invoke_agent_runtime(
            agentRuntimeArn=RUNTIME_ARN, runtimeSessionId=session("bad"), payload=b'{"prompt": '
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
