"""Hostile input to /invocations and /ping: a 4xx JSON error or a clean close, never a 500.

Each case runs against one real server process; after every case the server must still answer
the next request, and at the end its log must hold no traceback and no 5xx.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.doubles.processes import AgentServer, McpServer, running_agent

from .conftest import SESSION_HEADER, session_id

DEPTH = 5000


@pytest.fixture(scope="module")
def hostile_agent(tmp_path_factory, gateway: McpServer) -> Iterator[AgentServer]:
    """Default body limit (1 MiB), so the parser itself meets the deep and the huge."""
    with running_agent(
        tmp_path_factory.mktemp("hostile"), GATEWAY_ENDPOINT=gateway.url, GATEWAY_AUTH="none"
    ) as server:
        yield server


@pytest.fixture
def http(hostile_agent: AgentServer) -> Iterator[httpx.Client]:
    """A client for one case; afterwards the server must serve on and have logged cleanly."""
    log_offset = len(hostile_agent.log_text())
    with httpx.Client(base_url=hostile_agent.base_url, timeout=30) as client:
        yield client
    with httpx.Client(base_url=hostile_agent.base_url, timeout=30) as client:
        assert client.get("/ping").json()["status"] in ("Healthy", "HealthyBusy")
        after = client.post("/invocations", json={"prompt": "Where is ORD-1234?"})
        assert after.status_code == 200 and "FedEx" in after.json()["response"]
    assert_clean_log(hostile_agent.log_text()[log_offset:])


def assert_clean_log(text: str) -> None:
    assert "Traceback" not in text
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert [e for e in entries if e.get("status", 0) >= 500] == []
    assert [e for e in entries if e["level"] in ("ERROR", "CRITICAL")] == []


def raw_exchange(agent: AgentServer, data: bytes, *, half_close: bool = False) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it (or 10 s)."""
    host, port = agent.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return received


def assert_json_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert "Traceback" not in response.text


BODIES: dict[str, tuple[bytes, int, str]] = {
    "deep array": (b"[" * DEPTH + b"]" * DEPTH, 400, "invalid_json"),
    "deep object inside a good body": (
        b'{"prompt": "hi", "x": ' + b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH + b"}",
        400,
        "invalid_json",
    ),
    "integer over the digit limit": (
        b'{"prompt": "hi", "n": ' + b"9" * 5000 + b"}",
        400,
        "invalid_json",
    ),
    "huge float": (b'{"prompt": 1e999999}', 400, "invalid_prompt"),
    "invalid UTF-8": (b'{"prompt": "caf\xe9 \xff"}', 400, "invalid_json"),
    "lone surrogate": (b'{"prompt": "hi \\ud800 there"}', 400, "invalid_prompt"),
    "NUL bytes only": (b"\x00" * 64, 400, "invalid_json"),
    "empty body": (b"", 400, "invalid_json"),
    "JSON null": (b"null", 400, "invalid_body"),
}


@pytest.mark.parametrize("case", list(BODIES))
def test_bodies_the_parser_meets(http: httpx.Client, case: str) -> None:
    content, status, code = BODIES[case]
    response = http.post(
        "/invocations", content=content, headers={"Content-Type": "application/json"}
    )
    assert_json_error(response, status, code)


def test_a_valid_surrogate_pair_is_fine(http: httpx.Client) -> None:
    response = http.post(
        "/invocations",
        content=b'{"prompt": "ORD-3150 \\ud83d\\udce6"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200 and "PROCESSING" in response.json()["response"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml", "*/*"]
)
def test_wrong_content_types(http: httpx.Client, content_type: str) -> None:
    response = http.post(
        "/invocations", content=b'{"prompt": "hi"}', headers={"Content-Type": content_type}
    )
    assert_json_error(response, 415, "unsupported_content_type")


def test_huge_header_value_is_refused_and_the_connection_closed(hostile_agent, http) -> None:
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Huge: " + b"a" * 200_000 + b'\r\nContent-Length: 15\r\n\r\n{"prompt":"hi"}'
    )
    reply = raw_exchange(hostile_agent, request)
    status_line = reply.split(b"\r\n", 1)[0]
    assert reply == b"" or status_line.split()[1].startswith(b"4"), status_line


def test_huge_session_header_on_ping(http: httpx.Client) -> None:
    response = http.get("/ping", headers={SESSION_HEADER: "s" * 8000})
    assert response.status_code == 200 and response.json()["status"] in ("Healthy", "HealthyBusy")


def test_garbage_instead_of_http(hostile_agent, http) -> None:
    reply = raw_exchange(hostile_agent, b"\x16\x03\x01\x02\x00 not http at all\r\n\r\n")
    assert reply == b"" or reply.split()[1].startswith(b"4")


def test_body_that_stops_half_way(hostile_agent, http) -> None:
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 500\r\n\r\n{"prompt": "Where is'
    )
    reply = raw_exchange(hostile_agent, request, half_close=True)
    assert b" 500 " not in reply.split(b"\r\n", 1)[0]


def test_chunked_body_that_stops_half_way(hostile_agent, http) -> None:
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Transfer-Encoding: chunked\r\n\r\n10\r\n{"prompt": "Wher'
    )
    reply = raw_exchange(hostile_agent, request, half_close=True)
    assert b" 500 " not in reply.split(b"\r\n", 1)[0]


def test_client_gone_mid_stream_keeps_the_turn_whole(hostile_agent, http) -> None:
    session = session_id("hostile-gone")
    with http.stream(
        "POST",
        "/invocations",
        json={"prompt": "[slow:0.5] ORD-4477", "stream": True},
        headers={SESSION_HEADER: session},
    ) as response:
        assert response.status_code == 200
        next(response.iter_lines())  # first frame, then hang up
    recall = http.post(
        "/invocations", json={"prompt": "Which order was that?"}, headers={SESSION_HEADER: session}
    )
    assert recall.status_code == 200
    assert "ORD-4477" in recall.json()["response"], "the abandoned turn still reached history"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.post("/ping", content=b"x"),
        lambda c: c.request("DELETE", "/invocations"),
        lambda c: c.get("/ping/../invocations"),
        lambda c: c.get("/" + "a" * 6000),
    ],
    ids=["POST /ping", "DELETE /invocations", "dot-dot path", "long path"],
)
def test_wrong_methods_and_paths(http: httpx.Client, call: Callable) -> None:
    response = call(http)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in ("not_found", "method_not_allowed")
