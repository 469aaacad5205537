"""Every bad input and failure gets its status and a clear JSON error, never a traceback."""

from __future__ import annotations

import httpx
import pytest

from .conftest import session_id


def assert_error(response: httpx.Response, status: int, code: str, phrase: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert phrase in error["message"]
    assert "Traceback" not in response.text and "Exception" not in response.text


@pytest.mark.parametrize(
    ("content", "content_type", "code", "phrase"),
    [
        (b'{"prompt": "hi"', "application/json", "invalid_json", "not valid JSON"),
        (b"\xff\xfe", "application/json", "invalid_json", "not valid JSON"),
        (b'["hi"]', "application/json", "invalid_body", "must be a JSON object"),
        (b'{"question": "hi"}', "application/json", "missing_prompt", '"prompt" string'),
        (b'{"prompt": 42}', "application/json", "invalid_prompt", "must be a string"),
        (b'{"prompt": "   "}', "application/json", "empty_prompt", "must not be empty"),
    ],
)
def test_bad_bodies_are_400(client, content, content_type, code, phrase) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/invocations", content=content, headers=headers)
    assert_error(response, 400, code, phrase)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_an_explicit_non_json_type_is_415(client, content_type) -> None:
    response = client.post(
        "/invocations", content=b'{"prompt": "hi"}', headers={"Content-Type": content_type}
    )
    assert_error(response, 415, "unsupported_content_type", "Content-Type: application/json")


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8", "application/vnd.api+json"]
)
def test_missing_or_json_family_content_type_is_json(client, content_type) -> None:
    """boto3's documented call and the AWS CLI send no contentType at all."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(
        "/invocations", content=b'{"prompt": "Where is ORD-2001?"}', headers=headers
    )
    if content_type is None:
        assert "content-type" not in response.request.headers
    assert response.status_code == 200, response.text
    assert "DELIVERED" in response.json()["response"]


def test_body_over_the_limit_is_413(client) -> None:
    response = client.post("/invocations", json={"prompt": "x" * 4096})
    assert_error(response, 413, "body_too_large", "over 2048 bytes")


def test_chunked_body_over_the_limit_is_413(client) -> None:
    def chunks():
        yield b'{"prompt": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/invocations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "body_too_large", "over 2048 bytes")


def test_unknown_path_is_404(client) -> None:
    assert_error(client.get("/nope"), 404, "not_found", "POST /invocations")


def test_wrong_method_is_405(client) -> None:
    assert_error(client.get("/invocations"), 405, "method_not_allowed", "GET is not allowed")
    assert_error(client.post("/ping"), 405, "method_not_allowed", "POST is not allowed")


def test_throttled_model_is_503(client) -> None:
    response = client.post("/invocations", json={"prompt": "[throttle] ORD-1234"})
    assert_error(response, 503, "model_throttled", "throttling")


def test_missing_model_credentials_is_503(client) -> None:
    response = client.post("/invocations", json={"prompt": "[nocreds] hi"})
    assert_error(response, 503, "aws_credentials_missing", "no AWS credentials")


def test_stream_request_failing_before_any_frame_gets_a_json_error(client) -> None:
    response = client.post("/invocations", json={"prompt": "[throttle] hi", "stream": True})
    assert_error(response, 503, "model_throttled", "throttling")


def test_failed_turn_leaves_history_untouched(client) -> None:
    session = {"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session_id("rollback")}
    assert (
        client.post(
            "/invocations", json={"prompt": "[throttle] ORD-4477"}, headers=session
        ).status_code
        == 503
    )
    recall = client.post("/invocations", json={"prompt": "Which order?"}, headers=session).json()
    assert "Earlier in this conversation" not in recall["response"]


def test_logs_are_json_lines_with_ids_and_no_prompts(agent, client) -> None:
    import json

    client.post(
        "/invocations",
        json={"prompt": "secret-prompt-text ORD-1234"},
        headers={
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session_id("logs"),
            "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": "req-123",
        },
    )
    lines = [json.loads(line) for line in agent.log_text().splitlines() if line.startswith("{")]
    (entry,) = [line for line in lines if line.get("request_id") == "req-123"]
    assert entry["session_id"] == session_id("logs") and entry["status"] == 200
    assert "secret-prompt-text" not in agent.log_text()
