"""Gateway outages and recovery, SigV4 on every request, credentials, no gateway, SIGTERM."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.doubles.order_mcp_server import FAKE_ACCESS_KEY, FAKE_SECRET_KEY
from tests.doubles.processes import ROOT, clean_env, running_agent, running_mcp_server

from .conftest import SESSION_HEADER, session_id

ORDER_PROMPT = {"prompt": "Where is ORD-1234?"}


def test_gateway_down_then_back_without_restarting_the_agent(tmp_path) -> None:
    with (
        running_mcp_server(tmp_path) as gateway,
        running_agent(
            tmp_path, GATEWAY_ENDPOINT=gateway.url, GATEWAY_AUTH="none", GATEWAY_TIMEOUT_SECONDS="3"
        ) as agent,
        httpx.Client(base_url=agent.base_url, timeout=60) as client,
    ):
        assert client.post("/invocations", json=ORDER_PROMPT).status_code == 200

        gateway.stop()
        down = client.post("/invocations", json=ORDER_PROMPT)
        assert down.status_code in (502, 503)
        assert down.json()["error"]["code"] in ("gateway_error", "gateway_unavailable")
        assert "gateway" in down.json()["error"]["message"]
        still_down = client.post("/invocations", json=ORDER_PROMPT)
        assert still_down.status_code == 503
        assert still_down.json()["error"]["code"] == "gateway_unavailable"
        assert client.get("/ping").json()["status"] == "Healthy"

        gateway.start()
        back = client.post("/invocations", json=ORDER_PROMPT)
        assert back.status_code == 200, back.text
        assert "794601234567" in back.json()["response"]


def test_gateway_dropping_mid_stream_ends_with_an_error_frame(tmp_path) -> None:
    with (
        running_mcp_server(tmp_path) as gateway,
        running_agent(tmp_path, GATEWAY_ENDPOINT=gateway.url, GATEWAY_AUTH="none") as agent,
        httpx.Client(base_url=agent.base_url, timeout=60) as client,
    ):
        assert client.post("/invocations", json=ORDER_PROMPT).status_code == 200
        gateway.stop()
        response = client.post(
            "/invocations",
            json={**ORDER_PROMPT, "stream": True},
            headers={SESSION_HEADER: session_id("drop")},
        )
        frames = [
            json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
        ]
        assert frames[0]["type"] == "tool_use"
        assert frames[-1]["type"] == "error"
        assert frames[-1]["error"]["code"] == "gateway_error" and frames[-1]["status"] == 502


def test_gateway_unreachable_from_the_start_is_503_and_ping_is_healthy(tmp_path) -> None:
    with (
        running_agent(
            tmp_path,
            GATEWAY_ENDPOINT="http://127.0.0.1:9/mcp",
            GATEWAY_AUTH="none",
            GATEWAY_TIMEOUT_SECONDS="2",
        ) as agent,
        httpx.Client(base_url=agent.base_url, timeout=60) as client,
    ):
        assert client.get("/ping").status_code == 200
        response = client.post("/invocations", json=ORDER_PROMPT)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "gateway_unavailable"


def test_every_gateway_request_carries_a_fresh_valid_sigv4_signature(tmp_path) -> None:
    with (
        running_mcp_server(tmp_path, sigv4=True) as gateway,
        running_agent(
            tmp_path,
            GATEWAY_ENDPOINT=gateway.url,
            GATEWAY_AUTH="sigv4",
            AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=FAKE_SECRET_KEY,
            AWS_REGION="us-east-1",
        ) as agent,
        httpx.Client(base_url=agent.base_url, timeout=60) as client,
    ):
        for order in ("ORD-1234", "ORD-2001"):
            reply = client.post("/invocations", json={"prompt": f"Where is {order}?"})
            assert reply.status_code == 200, reply.text
            assert order in reply.json()["response"]
        stats = httpx.get(gateway.url.replace("/mcp", "/_stats")).json()
        assert stats["refused"] == []
        assert stats["accepted"] >= 4, "initialize, list tools and each tool call were signed"


def test_wrong_signature_is_refused_and_reported(tmp_path) -> None:
    with (
        running_mcp_server(tmp_path, sigv4=True) as gateway,
        running_agent(
            tmp_path,
            GATEWAY_ENDPOINT=gateway.url,
            GATEWAY_AUTH="sigv4",
            AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY="a-different-secret",
            AWS_REGION="us-east-1",
            GATEWAY_TIMEOUT_SECONDS="3",
        ) as agent,
    ):
        reply = httpx.post(f"{agent.base_url}/invocations", json=ORDER_PROMPT, timeout=60)
        assert reply.status_code == 503
        stats = httpx.get(gateway.url.replace("/mcp", "/_stats")).json()
        assert stats["accepted"] == 0
        assert "signature does not match" in stats["refused"]


def test_missing_credentials_for_sigv4_is_a_clear_503(tmp_path) -> None:
    with (
        running_mcp_server(tmp_path, sigv4=True) as gateway,
        running_agent(tmp_path, GATEWAY_ENDPOINT=gateway.url, GATEWAY_AUTH="sigv4") as agent,
    ):
        reply = httpx.post(f"{agent.base_url}/invocations", json=ORDER_PROMPT, timeout=60)
        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "aws_credentials_missing"
        assert "no AWS credentials" in reply.json()["error"]["message"]
        assert httpx.get(f"{agent.base_url}/ping").status_code == 200


def test_no_gateway_answers_without_tools_and_says_so(tmp_path) -> None:
    with running_agent(tmp_path) as agent:
        body = httpx.post(f"{agent.base_url}/invocations", json=ORDER_PROMPT, timeout=60).json()
        assert body["tools"]["gateway"] == "not_configured"
        assert body["tool_calls"] == []
        assert "no order tools" in body["response"]
        assert "no GATEWAY_ENDPOINT configured" in agent.log_text()


def test_sigterm_finishes_in_flight_work_and_exits_zero(tmp_path) -> None:
    with (
        running_agent(tmp_path, SHUTDOWN_GRACE_SECONDS="20") as agent,
        ThreadPoolExecutor(1) as pool,
    ):
        future = pool.submit(
            httpx.post,
            f"{agent.base_url}/invocations",
            json={"prompt": "[slow:1.5] hi"},
            timeout=60,
        )
        while httpx.get(f"{agent.base_url}/ping").json()["status"] != "HealthyBusy":
            assert not future.done(), "the slow invocation ended before SIGTERM was sent"
            time.sleep(0.02)
        assert agent.stop() == 0
        assert future.result().status_code == 200, "in-flight work finished before exit"
        assert '"message": "stopped"' in agent.log_text()


def test_bad_settings_fail_at_start_with_one_line_each() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent"],
        cwd=ROOT,
        env=clean_env(GATEWAY_AUTH="oauth", PORT="http", GATEWAY_ENDPOINT="gateway.local"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "agent: invalid configuration"
    assert any(line.startswith("GATEWAY_ENDPOINT='gateway.local': must be") for line in lines)
    assert "GATEWAY_AUTH='oauth': use sigv4 (IAM inbound auth) or none (local use)" in lines
    assert "PORT='http': must be a whole number between 1 and 65535" in lines
    assert "Traceback" not in result.stderr


def test_startup_imports_nothing_heavy() -> None:
    probe = (
        "import sys, agent.__main__, agent.server;"
        "heavy = [m for m in ('strands', 'mcp', 'boto3', 'botocore', 'httpx2') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_a_turn_over_its_time_limit_is_504_and_the_session_stays_usable(tmp_path) -> None:
    with (
        running_agent(tmp_path, INVOCATION_TIMEOUT_SECONDS="1") as agent,
        httpx.Client(base_url=agent.base_url, timeout=60) as client,
    ):
        session = {SESSION_HEADER: session_id("timeout")}
        for body in ({"prompt": "[slow:3] hi"}, {"prompt": "[slow:3] hi", "stream": True}):
            reply = client.post("/invocations", json=body, headers=session)
            assert reply.status_code == 504
            assert reply.json()["error"]["code"] == "invocation_timeout"
        assert (
            client.post("/invocations", json={"prompt": "hi"}, headers=session).status_code == 200
        )
        assert client.get("/ping").json()["status"] == "Healthy"
