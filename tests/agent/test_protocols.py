"""Every protocol the config accepts, served by `python -m agent` and driven by its real client.

HTTP's WebSocket path with the `websockets` client, A2A with the a2a-sdk client, MCP with the
`mcp` client, AG-UI over SSE and WebSocket. Each gets a tool-backed answer (the scripted test
model and the local MCP gateway), keeps two sessions apart, answers /ping on its own port, and
meets bad input with its protocol's error, never a 500 or a dropped server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.doubles.processes import AgentServer, McpServer, running_agent

from .conftest import SESSION_HEADER, session_id

RUNTIME_URL = (
    "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/"
    "arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Forders_agent-AbC/invocations"
)


def start(tmp_path_factory, gateway: McpServer, protocol: str, **env: str):
    return running_agent(
        tmp_path_factory.mktemp(protocol.lower()),
        AGENT_PROTOCOL=protocol,
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        **env,
    )


@pytest.fixture(scope="module")
def http_agent(tmp_path_factory, gateway) -> Iterator[AgentServer]:
    with start(tmp_path_factory, gateway, "HTTP") as server:
        yield server


@pytest.fixture(scope="module")
def a2a_agent(tmp_path_factory, gateway) -> Iterator[AgentServer]:
    with start(tmp_path_factory, gateway, "A2A") as server:
        yield server


@pytest.fixture(scope="module")
def mcp_agent(tmp_path_factory, gateway) -> Iterator[AgentServer]:
    with start(tmp_path_factory, gateway, "MCP") as server:
        yield server


@pytest.fixture(scope="module")
def agui_agent(tmp_path_factory, gateway) -> Iterator[AgentServer]:
    with start(tmp_path_factory, gateway, "AGUI") as server:
        yield server


def receive_all(ws) -> list[dict]:
    """Every frame until the server closes, whatever the close code."""
    frames = []
    try:
        while True:
            frames.append(json.loads(ws.recv()))
    except ConnectionClosed:
        return frames


def ws_url(agent: AgentServer) -> str:
    return agent.base_url.replace("http://", "ws://") + "/ws"


def assert_pings(agent: AgentServer) -> None:
    assert httpx.get(f"{agent.base_url}/ping").json()["status"] in ("Healthy", "HealthyBusy")


# -- HTTP: the WebSocket path -------------------------------------------------------------------


def ws_turn(agent: AgentServer, prompt: str, session: str) -> list[dict]:
    with connect(ws_url(agent), additional_headers={SESSION_HEADER: session}) as ws:
        assert ws.response.headers[SESSION_HEADER] == session
        ws.send(json.dumps({"prompt": prompt}))
        frames = [json.loads(message) for message in ws]  # until the server closes
        assert ws.close_code == 1000
    return frames


def test_websocket_streams_the_sse_events_then_closes(http_agent) -> None:
    frames = ws_turn(http_agent, "Where is ORD-1234?", session_id("ws-a"))
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "tool_use" and "tool_result" in kinds and kinds[-1] == "final"
    assert frames[0]["name"] == "orders___get_order_status"
    assert "794601234567" in frames[-1]["response"]
    assert frames[-1]["session_id"] == session_id("ws-a")
    assert_pings(http_agent)


def test_websocket_sessions_stay_apart(http_agent) -> None:
    ws_turn(http_agent, "Where is ORD-3150?", session_id("ws-b"))
    same = ws_turn(http_agent, "Which order did I ask about?", session_id("ws-b"))[-1]
    other = ws_turn(http_agent, "Which order did I ask about?", session_id("ws-c"))[-1]
    assert "ORD-3150" in same["response"] and "ORD-3150" not in other["response"]


@pytest.mark.parametrize(
    ("message", "code"),
    [("not json", "invalid_json"), ('{"question": 1}', "missing_prompt"), ("[1]", "invalid_body")],
)
def test_a_bad_websocket_message_gets_an_error_frame(http_agent, message, code) -> None:
    with connect(ws_url(http_agent)) as ws:
        ws.send(message)
        frames = receive_all(ws)
        assert ws.close_code == 1003
    assert frames == [
        {
            "type": "error",
            "error": {"code": code, "message": frames[0]["error"]["message"]},
            "status": 400,
        }
    ]
    assert http_agent.process.poll() is None and "Traceback" not in http_agent.log_text()


def test_a_websocket_client_that_leaves_early_does_not_hurt(http_agent) -> None:
    with connect(
        ws_url(http_agent), additional_headers={SESSION_HEADER: session_id("ws-gone")}
    ) as ws:
        ws.send(json.dumps({"prompt": "[slow:0.5] ORD-4477"}))
        ws.recv()
    recall = ws_turn(http_agent, "Which order?", session_id("ws-gone"))[-1]
    assert "ORD-4477" in recall["response"]
    assert "Traceback" not in http_agent.log_text()


# -- A2A ------------------------------------------------------------------------------------------


async def a2a_ask(
    agent: AgentServer,
    text: str,
    *,
    session: str | None,
    streaming: bool,
    context_id: str | None = None,
    user: str | None = None,
):
    # The a2a and mcp clients load where used: every xdist worker collects this module.
    from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
    from a2a.types import Message, Part, Role, TextPart

    headers = caller_headers(session, user)
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:
        card = await A2ACardResolver(http, agent.base_url).get_agent_card()
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=streaming)).create(card)
        message = Message(
            role=Role.user,
            parts=[Part(root=TextPart(text=text))],
            message_id=uuid.uuid4().hex,
            context_id=context_id,
        )
        events = [event async for event in client.send_message(message)]
    task, _ = events[-1]
    return task, events


def caller_headers(session: str | None, user: str | None) -> dict[str, str]:
    headers = {SESSION_HEADER: session} if session else {}
    return headers | ({"X-Amzn-Bedrock-AgentCore-Runtime-User-Id": user} if user else {})


async def a2a_get_task(agent: AgentServer, task_id: str, *, session: str, user: str):
    """``tasks/get`` with the a2a-sdk client, as this session and user."""
    from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
    from a2a.types import TaskQueryParams

    async with httpx.AsyncClient(timeout=60, headers=caller_headers(session, user)) as http:
        card = await A2ACardResolver(http, agent.base_url).get_agent_card()
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
        return await client.get_task(TaskQueryParams(id=task_id))


def test_a2a_tasks_belong_to_their_session_and_user(tmp_path_factory, gateway) -> None:
    from a2a.client.errors import A2AClientJSONRPCError

    with start(tmp_path_factory, gateway, "A2A", AGENT_AUTH_MODE="iam") as agent:
        mine = session_id("a2a-owner")
        task, _ = asyncio.run(
            a2a_ask(agent, "Where is ORD-3150?", session=mine, streaming=False, user="alice")
        )
        own = asyncio.run(a2a_get_task(agent, task.id, session=mine, user="alice"))
        assert own.id == task.id and "ORD-3150" in answer_of(own)[0]
        for session, user in ((mine, "bob"), (session_id("a2a-thief"), "alice")):
            with pytest.raises(A2AClientJSONRPCError) as refused:
                asyncio.run(a2a_get_task(agent, task.id, session=session, user=user))
            assert refused.value.error.code == -32001, "task not found, for anyone else"
            assert "ORD-3150" not in str(refused.value)


def answer_of(task) -> tuple[str, dict]:
    from a2a.types import DataPart, TextPart

    text = "".join(
        p.root.text
        for a in task.artifacts or []
        if a.name == "answer"
        for p in a.parts
        if isinstance(p.root, TextPart)
    )
    (details,) = [
        p.root.data
        for a in task.artifacts or []
        if a.name == "details"
        for p in a.parts
        if isinstance(p.root, DataPart)
    ]
    return text, details


def test_a2a_card_lists_the_order_skill(a2a_agent) -> None:
    card = httpx.get(f"{a2a_agent.base_url}/.well-known/agent-card.json").json()
    assert card["skills"][0]["id"] == "order_status"
    assert card["capabilities"]["streaming"] is True
    assert card["url"] == f"{a2a_agent.base_url}/"
    assert_pings(a2a_agent)


@pytest.mark.parametrize("streaming", [False, True], ids=["message/send", "message/stream"])
def test_a2a_client_gets_the_tool_backed_answer(a2a_agent, streaming) -> None:
    task, events = asyncio.run(
        a2a_ask(
            a2a_agent,
            "Where is order ORD-1234?",
            session=session_id(f"a2a-{streaming}"),
            streaming=streaming,
        )
    )
    from a2a.types import TaskState

    assert task.status.state == TaskState.completed
    text, details = answer_of(task)
    assert "794601234567" in text and "FedEx" in text
    assert details["tool_calls"] == [
        {"name": "orders___get_order_status", "input": {"order_id": "ORD-1234"}}
    ]
    assert details["session_id"] == session_id(f"a2a-{streaming}")
    if streaming:
        assert len(events) > 3, "status and artifact updates arrived one by one"


def test_a2a_sessions_stay_apart_by_header_and_by_context(a2a_agent) -> None:
    asyncio.run(
        a2a_ask(a2a_agent, "Where is ORD-3150?", session=session_id("a2a-x"), streaming=False)
    )
    same, _ = asyncio.run(
        a2a_ask(
            a2a_agent, "Which order did I ask about?", session=session_id("a2a-x"), streaming=False
        )
    )
    other, _ = asyncio.run(
        a2a_ask(
            a2a_agent, "Which order did I ask about?", session=session_id("a2a-y"), streaming=False
        )
    )
    assert "ORD-3150" in answer_of(same)[0] and "ORD-3150" not in answer_of(other)[0]
    context = uuid.uuid4().hex
    asyncio.run(
        a2a_ask(a2a_agent, "Where is ORD-2001?", session=None, streaming=False, context_id=context)
    )
    again, _ = asyncio.run(
        a2a_ask(a2a_agent, "Which order?", session=None, streaming=False, context_id=context)
    )
    assert "ORD-2001" in answer_of(again)[0], "without the header, the A2A context is the session"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "no/such"}', -32601),
        (
            b'{"jsonrpc": "2.0", "id": 2, "method": "message/send", "params": {"message": 7}}',
            -32602,
        ),
        (b"[]", -32600),
    ],
)
def test_bad_json_rpc_gets_a_json_rpc_error(a2a_agent, body, code) -> None:
    response = httpx.post(
        a2a_agent.base_url + "/", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code < 500
    assert response.json()["error"]["code"] == code
    assert_pings(a2a_agent)


def test_a2a_card_advertises_the_runtime_url(tmp_path_factory, gateway) -> None:
    with start(tmp_path_factory, gateway, "A2A", AGENTCORE_RUNTIME_URL=RUNTIME_URL) as agent:
        card = httpx.get(f"{agent.base_url}/.well-known/agent-card.json").json()
    assert card["url"] == RUNTIME_URL + "/", "the service's invoke URL, with the trailing slash"


# -- MCP ------------------------------------------------------------------------------------------


async def mcp_call(agent: AgentServer, prompt: str, session: str | None, extra: dict | None = None):
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    headers = {**({SESSION_HEADER: session} if session else {}), **(extra or {})}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{agent.base_url}/mcp", http_client=http) as streams,
        ClientSession(streams[0], streams[1]) as client,
    ):
        await client.initialize()
        tools = await client.list_tools()
        result = await client.call_tool("ask_order_agent", {"prompt": prompt})
    return tools, result


def text_of(result) -> str:
    return " ".join(block.text for block in result.content if getattr(block, "text", None))


def test_mcp_client_lists_the_agent_tool_and_calls_it(mcp_agent) -> None:
    tools, result = asyncio.run(mcp_call(mcp_agent, "Where is ORD-1234?", session_id("mcp-a")))
    (tool,) = tools.tools
    assert tool.name == "ask_order_agent" and tool.input_schema["required"] == ["prompt"]
    assert not result.is_error
    assert "794601234567" in text_of(result) and "FedEx" in text_of(result)
    assert_pings(mcp_agent)


def test_mcp_sessions_stay_apart(mcp_agent) -> None:
    asyncio.run(mcp_call(mcp_agent, "Where is ORD-3150?", session_id("mcp-b")))
    _, same = asyncio.run(mcp_call(mcp_agent, "Which order did I ask about?", session_id("mcp-b")))
    _, other = asyncio.run(mcp_call(mcp_agent, "Which order did I ask about?", session_id("mcp-c")))
    assert "ORD-3150" in text_of(same) and "ORD-3150" not in text_of(other)


def test_mcp_accepts_the_platforms_session_header_and_another_host(mcp_agent) -> None:
    """AgentCore adds its own Mcp-Session-Id and its own Host; stateless mode must take both."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    response = httpx.post(
        f"{mcp_agent.base_url}/mcp",
        json=body,
        headers={
            "Accept": "application/json, text/event-stream",
            "Mcp-Session-Id": "platform-generated-session-0001",
            "Host": "bedrock-agentcore.us-east-1.amazonaws.com",
        },
    )
    assert response.status_code == 200, response.text
    assert "serverInfo" in response.text


def test_mcp_bad_json_rpc_gets_a_json_rpc_error(mcp_agent) -> None:
    response = httpx.post(
        f"{mcp_agent.base_url}/mcp",
        content=b"{oops",
        headers={
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        },
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == -32700
    _, result = asyncio.run(mcp_call(mcp_agent, "   ", session_id("mcp-empty")))
    assert result.is_error and "empty_prompt" in text_of(result)
    assert_pings(mcp_agent)


# -- AG-UI ----------------------------------------------------------------------------------------


def run_input(text: str, thread: str) -> dict:
    return {
        "threadId": thread,
        "runId": uuid.uuid4().hex,
        "messages": [{"id": uuid.uuid4().hex, "role": "user", "content": text}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }


def agui_sse(agent: AgentServer, text: str, thread: str, headers: dict | None = None) -> list[dict]:
    response = httpx.post(
        f"{agent.base_url}/invocations", json=run_input(text, thread), headers=headers, timeout=60
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/event-stream"
    )
    return [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]


def test_agui_sse_streams_run_tool_and_text_events(agui_agent) -> None:
    events = agui_sse(agui_agent, "Where is ORD-2001?", "thread-agui-a")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "RUN_STARTED" and kinds[-1] == "RUN_FINISHED"
    (start,) = [e for e in events if e["type"] == "TOOL_CALL_START"]
    assert start["toolCallName"] == "orders___get_order_status"
    (result,) = [e for e in events if e["type"] == "TOOL_CALL_RESULT"]
    assert "1Z999AA10123456784" in result["content"]
    text = "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert "DELIVERED with UPS" in text
    assert kinds.index("TEXT_MESSAGE_START") < kinds.index("TEXT_MESSAGE_END")
    assert_pings(agui_agent)


def test_agui_threads_and_session_headers_keep_conversations_apart(agui_agent) -> None:
    agui_sse(agui_agent, "Where is ORD-3150?", "thread-agui-b")
    same = agui_sse(agui_agent, "Which order did I ask about?", "thread-agui-b")
    other = agui_sse(
        agui_agent,
        "Which order did I ask about?",
        "thread-agui-b",
        headers={SESSION_HEADER: session_id("agui-other")},
    )

    def said(events):
        return "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")

    assert "ORD-3150" in said(same) and "ORD-3150" not in said(other)


def test_agui_websocket_carries_the_same_events(agui_agent) -> None:
    with connect(ws_url(agui_agent)) as ws:
        ws.send(json.dumps(run_input("Where is ORD-1234?", "thread-agui-ws")))
        events = [json.loads(m) for m in ws]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "RUN_STARTED" and kinds[-1] == "RUN_FINISHED" and "TOOL_CALL_RESULT" in kinds


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "invalid_run_input"),
        (b'{"threadId": "t"}', "invalid_run_input"),
        (json.dumps(run_input(" ", "t")).encode(), "missing_prompt"),
        # without a session header the thread id is the session id, sent back in a header
        (json.dumps(run_input("hi", "t\r\nSet-Cookie: x=1")).encode(), "invalid_thread_id"),
        (json.dumps(run_input("hi", "t\u20ac")).encode(), "invalid_thread_id"),
    ],
)
def test_agui_bad_input_is_a_400(agui_agent, body, code) -> None:
    response = httpx.post(
        f"{agui_agent.base_url}/invocations",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    with connect(ws_url(agui_agent)) as ws:
        ws.send(body)
        (event,) = receive_all(ws)
        assert event["type"] == "RUN_ERROR" and event["code"] == code and ws.close_code == 1003
    assert_pings(agui_agent)
