"""`agentcore-invoke` end to end over real HTTP: token flow, SigV4, the agent's SSE, failures."""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.credentials import Credentials

from agentcore_invoke.cli import login as cli_login
from agentcore_invoke.cli import main
from tests.doubles.cognito_tokens import access_token
from tests.doubles.order_mcp_server import FAKE_ACCESS_KEY, FAKE_SECRET_KEY
from tests.doubles.processes import free_port

from .conftest import RUNTIME_ARN, STACK, StubbedAws, jwt_outputs
from .doubles import ALICE, BOB, CognitoDouble, RuntimeFrontDoorDouble, browser, serve


def run(argv: list[str], aws, capsys) -> tuple[int, str, str]:
    code = 0
    try:
        main(argv, aws=aws)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def jwt_world(jwt_agent):
    cognito = CognitoDouble()
    front = RuntimeFrontDoorDouble(agent_url=jwt_agent.base_url, tokens=cognito)
    with serve(cognito.app()) as cognito_url, serve(front.app()) as runtime_url:
        yield cognito, front, jwt_outputs(runtime_url, cognito_url)


def login(outputs, capsys, *extra: str, aws=None) -> tuple[int, str]:
    """``agentcore-invoke login`` with the browser played by httpx (it follows the redirect)."""
    aws = aws or StubbedAws()
    aws.stack_outputs(outputs)
    code = 0
    try:
        cli_login(
            ["--env", "dev", "--callback-port", str(free_port()), *extra],
            aws=aws,
            open_url=browser,
        )
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    return code, capsys.readouterr().err


def test_jwt_sign_in_then_the_agents_answer_streams(jwt_world, capsys) -> None:
    cognito, front, outputs = jwt_world
    code, err = login(outputs, capsys)
    assert code == 0 and "signed in to dev" in err, err
    assert cognito.requests == ["authorization_code"], "PKCE code exchanged once"
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    code, out, err = run(["--env", "dev", "Where is order ORD-1234?"], aws, capsys)
    assert code == 0, err
    assert out.strip() == (
        "Order ORD-1234 is IN_TRANSIT with FedEx, tracking number 794601234567, "
        "estimated delivery 2026-04-17."
    )
    assert '[tool] orders___get_order_status {"order_id": "ORD-1234"}' in err
    session = err.split("session: ")[1].split()[0]
    assert front.seen_sessions == [session] and 33 <= len(session) <= 256
    for stub in aws.stubs.values():
        stub.assert_no_pending_responses()


def test_two_users_on_one_session_are_kept_apart(jwt_world, capsys, monkeypatch, tmp_path) -> None:
    cognito, _, outputs = jwt_world
    session = "session-shared-by-two-users-000000000000"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "alice"))
    assert login(outputs, capsys)[0] == 0
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    assert run(["--env", "dev", "--session", session, "Where is ORD-3150?"], aws, capsys)[0] == 0
    cognito.user = BOB
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "bob"))
    assert login(outputs, capsys)[0] == 0
    aws.stack_outputs(outputs)
    code, out, _ = run(["--env", "dev", "--session", session, "Which order was that?"], aws, capsys)
    assert code == 0 and "ORD-3150" not in out, "Bob does not see Alice's conversation"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "alice"))
    aws.stack_outputs(outputs)
    code, out, _ = run(["--env", "dev", "--session", session, "Which order was that?"], aws, capsys)
    assert "Earlier in this conversation you asked about ORD-3150." in out


def test_without_signing_in_the_command_says_how(jwt_world, capsys) -> None:
    _, _, outputs = jwt_world
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    line = one_line_error(*run(["--env", "dev", "hi"], aws, capsys)[::2])
    assert "not signed in to this environment: run `agentcore-invoke login --env <env>`" in line


def test_json_output_for_scripts(jwt_world, capsys) -> None:
    _, _, outputs = jwt_world
    assert login(outputs, capsys)[0] == 0
    aws = StubbedAws()
    aws.stack_outputs(outputs)
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
    cognito, _, outputs = jwt_world
    assert login(outputs, capsys)[0] == 0
    (cache_file,) = isolated_cache.glob("*.json")
    assert oct(cache_file.stat().st_mode & 0o777) == "0o600"
    entry = json.loads(cache_file.read_text())
    cache_file.write_text(json.dumps({**entry, "expires_at": time.time() + 30}))  # in the margin
    aws = StubbedAws()
    aws.stack_outputs(outputs)
    assert run(["--env", "dev", "hello again"], aws, capsys)[0] == 0
    assert cognito.requests == ["authorization_code", "refresh_token"]
    assert json.loads(cache_file.read_text())["refresh_token"] == entry["refresh_token"]


def test_ci_signs_in_with_a_password_from_the_environment(jwt_world, capsys, monkeypatch) -> None:
    cognito, _, outputs = jwt_world
    aws = StubbedAws()
    code, err = login(outputs, capsys, "--user", "ci-bot", aws=aws)
    assert code == 1 and "set AGENTCORE_PASSWORD to the password of ci-bot" in err
    monkeypatch.setenv("AGENTCORE_PASSWORD", "not-a-real-password")
    token = access_token(ALICE).removeprefix("Bearer ")
    cognito.issued.append(token)  # what Cognito's InitiateAuth hands out, for the front door
    aws.password_sign_in("ci-bot", "not-a-real-password", token)
    code, err = login(outputs, capsys, "--user", "ci-bot", aws=aws)
    assert code == 0, err
    aws.stack_outputs(outputs)
    assert run(["--env", "dev", "Where is ORD-2001?"], aws, capsys)[0] == 0
    aws.stubs["cognito-idp"].assert_no_pending_responses()


def test_outputs_file_instead_of_cloudformation(jwt_world, capsys, tmp_path) -> None:
    _, _, outputs = jwt_world
    assert login(outputs, capsys)[0] == 0
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps({STACK: outputs}))
    code, out, _ = run(
        ["--env", "dev", "--outputs-file", str(outputs_file), "ORD-2001?"], StubbedAws(), capsys
    )
    assert code == 0 and "DELIVERED with UPS" in out


def iam_outputs(runtime_url: str) -> dict[str, str]:
    """A deployed IAM environment's outputs, its runtime at ``runtime_url``."""
    return {
        "RuntimeArn": RUNTIME_ARN,
        "InvokeUrl": jwt_outputs(runtime_url, "http://unused")["InvokeUrl"],
        "AuthMode": "iam",
    }


def test_iam_mode_signs_each_call_with_sigv4(agent, capsys) -> None:
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=None)
    verifier = front.app(sigv4=True)
    with serve(verifier) as runtime_url:
        outputs = iam_outputs(runtime_url)
        aws = StubbedAws(credentials=Credentials(FAKE_ACCESS_KEY, FAKE_SECRET_KEY))
        aws.stack_outputs(outputs)
        code, out, err = run(["--env", "dev", "Where is ORD-1234?"], aws, capsys)
    assert code == 0, err
    assert "794601234567" in out
    assert verifier.accepted == 1 and verifier.refused == []
    assert "no --user: the agent answers without memory" in err


def test_iam_users_named_with_user_are_kept_apart(agent, capsys) -> None:
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=None)
    verifier = front.app(sigv4=True)
    session = "session-iam-two-users-0000000000000000000"
    with serve(verifier) as runtime_url:
        outputs = iam_outputs(runtime_url)
        aws = StubbedAws(credentials=Credentials(FAKE_ACCESS_KEY, FAKE_SECRET_KEY))

        def ask(user: str, prompt: str) -> str:
            aws.stack_outputs(outputs)
            argv = ["--env", "dev", "--session", session, "--user", user, prompt]
            code, out, err = run(argv, aws, capsys)
            assert code == 0, err
            return out

        ask("alice", "Where is ORD-3150?")
        assert "ORD-3150" not in ask("bob", "Which order was that?")
        assert "asked about ORD-3150" in ask("alice", "Which order was that?")
    assert verifier.refused == [], "the user-id header is signed with the call"


# --- failures: one line each, exit status 1 ---


def one_line_error(code: int, err: str) -> str:
    assert code == 1
    notes = ("session: ", "no --user: ")
    lines = [line for line in err.strip().splitlines() if not line.startswith(notes)]
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


def test_sign_in_refused(agent, capsys) -> None:
    cognito = CognitoDouble(refuse_with=(400, "invalid_grant"))
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=cognito)
    with serve(cognito.app()) as cognito_url, serve(front.app()) as runtime_url:
        code, err = login(jwt_outputs(runtime_url, cognito_url), capsys)
    assert code == 1 and "Cognito refused the sign-in (400 invalid_grant)" in err


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
    cognito = CognitoDouble()
    front = RuntimeFrontDoorDouble(
        agent_url=agent.base_url, tokens=cognito, fail_with=(status, body)
    )
    with serve(cognito.app()) as cognito_url, serve(front.app()) as runtime_url:
        outputs = jwt_outputs(runtime_url, cognito_url)
        assert login(outputs, capsys)[0] == 0
        aws = StubbedAws()
        aws.stack_outputs(outputs)
        line = one_line_error(*run(["--env", "dev", "hi"], aws, capsys)[::2])
    assert expected in line


def test_timeout(agent, capsys) -> None:
    cognito = CognitoDouble()
    front = RuntimeFrontDoorDouble(agent_url=agent.base_url, tokens=cognito, delay_seconds=3)
    with serve(cognito.app()) as cognito_url, serve(front.app()) as runtime_url:
        outputs = jwt_outputs(runtime_url, cognito_url)
        assert login(outputs, capsys)[0] == 0
        aws = StubbedAws()
        aws.stack_outputs(outputs)
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
