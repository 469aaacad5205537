"""`agentcore-invoke` end to end over real HTTP: token flow, SigV4, the agent's SSE, failures."""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.credentials import Credentials

from agentcore_invoke.cli import main
from tests.doubles.order_mcp_server import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

from .conftest import RUNTIME_ARN, STACK, StubbedAws, jwt_outputs
from .doubles import RuntimeFrontDoorDouble, TokenEndpointDouble, serve


def run(argv: list[str], aws, capsys) -> tuple[int, str, str]:
    code = 0
    try:
        main(argv, aws=aws)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def jwt_world(agent):
    tokens = TokenEndpointDouble()
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=tokens)
    with serve(tokens.app()) as token_url, serve(front.app()) as runtime_url:
        yield tokens, front, jwt_outputs(runtime_url, token_url)


def test_jwt_end_to_end_streams_the_agents_answer(jwt_world, capsys) -> None:
    tokens, front, outputs = jwt_world
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    aws.client_secret()
    code, out, err = run(["--env", "dev", "Where is order ORD-1234?"], aws, capsys)
    assert code == 0, err
    assert out.strip() == (
        "Order ORD-1234 is IN_TRANSIT with FedEx, tracking number 794601234567, "
        "estimated delivery 2026-04-17."
    )
    assert '[tool] orders___get_order_status {"order_id": "ORD-1234"}' in err
    session = err.split("session: ")[1].split()[0]
    assert front.seen_sessions == [session] and 33 <= len(session) <= 256
    assert tokens.requests == 1
    for stub in aws.stubs.values():
        stub.assert_no_pending_responses()


def test_a_session_continues_and_the_token_is_reused(jwt_world, capsys) -> None:
    tokens, _, outputs = jwt_world
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    aws.client_secret()
    session = "session-continued-conversation-0000000000"
    assert run(["--env", "dev", "--session", session, "Where is ORD-3150?"], aws, capsys)[0] == 0
    aws.stack_outputs(outputs)  # no client secret this time: the cached token is used
    code, out, _ = run(["--env", "dev", "--session", session, "Which order was that?"], aws, capsys)
    assert code == 0
    assert "Earlier in this conversation you asked about ORD-3150." in out
    assert tokens.requests == 1


def test_json_output_for_scripts(jwt_world, capsys) -> None:
    _, _, outputs = jwt_world
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    aws.client_secret()
    code, out, err = run(["--env", "dev", "--json", "Status of ORD-4477?"], aws, capsys)
    assert code == 0 and err == ""
    body = json.loads(out)
    assert "DELAYED with DHL" in body["response"]
    assert body["tool_calls"] == [
        {"name": "orders___get_order_status", "input": {"order_id": "ORD-4477"}}
    ]
    assert len(body["session_id"]) >= 33


def test_token_cache_is_private_and_expired_tokens_are_refreshed(
    jwt_world, capsys, isolated_cache
) -> None:
    tokens, _, outputs = jwt_world
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    aws.client_secret()
    assert run(["--env", "dev", "hello"], aws, capsys)[0] == 0
    (cache_file,) = isolated_cache.glob("*.json")
    assert oct(cache_file.stat().st_mode & 0o777) == "0o600"
    entry = json.loads(cache_file.read_text())
    cache_file.write_text(
        json.dumps({**entry, "expires_at": time.time() + 30})
    )  # within the margin
    aws.stack_outputs(outputs)
    aws.client_secret()
    assert run(["--env", "dev", "hello again"], aws, capsys)[0] == 0
    assert tokens.requests == 2


def test_outputs_file_instead_of_cloudformation(jwt_world, capsys, tmp_path) -> None:
    _, _, outputs = jwt_world
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps({STACK: outputs}))
    aws = StubbedAws()
    aws.client_secret()
    code, out, _ = run(
        ["--env", "dev", "--outputs-file", str(outputs_file), "ORD-2001?"], aws, capsys
    )
    assert code == 0 and "DELIVERED with UPS" in out


def test_iam_mode_signs_each_call_with_sigv4(agent, capsys) -> None:
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=None)
    verifier = front.app(sigv4=True)
    with serve(verifier) as runtime_url:
        outputs = {
            "RuntimeArn": RUNTIME_ARN,
            "InvokeUrl": jwt_outputs(runtime_url, "http://unused")["InvokeUrl"],
            "AuthMode": "iam",
        }
        aws = StubbedAws(credentials=Credentials(FAKE_ACCESS_KEY, FAKE_SECRET_KEY))
        aws.stack_outputs(outputs)
        code, out, err = run(["--env", "dev", "Where is ORD-1234?"], aws, capsys)
    assert code == 0, err
    assert "794601234567" in out
    assert verifier.accepted == 1 and verifier.refused == []


# --- failures: one line each, exit status 1 ---


def one_line_error(code: int, err: str) -> str:
    assert code == 1
    lines = [line for line in err.strip().splitlines() if not line.startswith("session: ")]
    assert len(lines) == 1 and lines[0].startswith("agentcore-invoke: "), err
    assert "Traceback" not in err
    return lines[0]


def test_stack_not_deployed(capsys) -> None:
    aws = StubbedAws()
    aws.stubs["cloudformation"].add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist"
    )
    line = one_line_error(*run(["--env", "dev", "hi"], aws, capsys)[::2])
    assert line == (
        f"agentcore-invoke: stack {STACK} is not deployed in us-east-1: run `cdk deploy -c env=dev` first"
    )


def test_no_aws_credentials(capsys, monkeypatch) -> None:
    import boto3

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    line = one_line_error(*run(["--env", "dev", "hi"], boto3.Session(), capsys)[::2])
    assert "no AWS credentials" in line


def test_token_refused(agent, capsys) -> None:
    tokens = TokenEndpointDouble(refuse_with=(401, "invalid_client"))
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=tokens)
    with serve(tokens.app()) as token_url, serve(front.app()) as runtime_url:
        aws = StubbedAws()
        aws.stack_outputs(jwt_outputs(runtime_url, token_url))
        aws.client_secret()
        line = one_line_error(*run(["--env", "dev", "hi"], aws, capsys)[::2])
    assert "Cognito refused the token request (401 invalid_client)" in line


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            {"message": "User is not authorized to perform InvokeAgentRuntime"},
            "the runtime answered 403: User is not authorized",
        ),
        (429, {"message": "Rate exceeded"}, "the runtime answered 429: Rate exceeded"),
        (
            503,
            {
                "error": {
                    "code": "gateway_unavailable",
                    "message": "The tool gateway is unreachable",
                }
            },
            "503: gateway_unavailable: The tool gateway is unreachable",
        ),
    ],
)
def test_runtime_errors_carry_the_services_message(agent, capsys, status, body, expected) -> None:
    tokens = TokenEndpointDouble()
    front = RuntimeFrontDoorDouble(
        agent_url=agent.base_url, tokens=tokens, fail_with=(status, body)
    )
    with serve(tokens.app()) as token_url, serve(front.app()) as runtime_url:
        aws = StubbedAws()
        aws.stack_outputs(jwt_outputs(runtime_url, token_url))
        aws.client_secret()
        line = one_line_error(*run(["--env", "dev", "hi"], aws, capsys)[::2])
    assert expected in line


def test_timeout(agent, capsys) -> None:
    tokens = TokenEndpointDouble()
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=tokens, delay_seconds=3)
    with serve(tokens.app()) as token_url, serve(front.app()) as runtime_url:
        aws = StubbedAws()
        aws.stack_outputs(jwt_outputs(runtime_url, token_url))
        aws.client_secret()
        line = one_line_error(*run(["--env", "dev", "--timeout", "1", "hi"], aws, capsys)[::2])
    assert "timed out after 1 s" in line


def test_unreachable_runtime(capsys) -> None:
    aws = StubbedAws(credentials=Credentials("AKID", "SECRET"))
    aws.stack_outputs(
        {
            "RuntimeArn": RUNTIME_ARN,
            "InvokeUrl": "http://127.0.0.1:9/runtimes/x/invocations",
            "AuthMode": "iam",
        }
    )
    line = one_line_error(*run(["--env", "dev", "hi"], aws, capsys)[::2])
    assert "cannot reach the runtime at 127.0.0.1" in line


def test_unknown_env_and_bad_session_id(capsys) -> None:
    line = one_line_error(*run(["--env", "staging", "hi"], StubbedAws(), capsys)[::2])
    assert (
        line
        == "agentcore-invoke: unknown environment 'staging': use --env <name> (one of: dev, prod)"
    )
    code, _, err = run(["--session", "too-short", "hi"], StubbedAws(), capsys)
    assert code == 2 and "--session must be 33 to 256 characters (got 9)" in err
