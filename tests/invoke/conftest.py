"""The real agent (scripted model + local MCP gateway) behind local Cognito and runtime doubles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.session import get_session
from botocore.stub import Stubber

from tests.doubles.cognito_tokens import CLI_CLIENT, jwt_environment
from tests.doubles.processes import AgentServer, McpServer, running_agent

STACK = "agentcore-orders-dev"
RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/orders_agent_dev-AbCdEf1234"
ENCODED_ARN = RUNTIME_ARN.replace(":", "%3A").replace("/", "%2F")
POOL_ID = "us-east-1_LocalPool1"


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory, gateway: McpServer) -> Iterator[AgentServer]:
    """One per worker for the invoke tests (each test its own session id), as an IAM runtime
    runs it: the caller is the user a ForUser call names."""
    with running_agent(
        tmp_path_factory.mktemp("invoke"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        AGENT_AUTH_MODE="iam",
    ) as server:
        yield server


@pytest.fixture(scope="session")
def jwt_agent(
    tmp_path_factory: pytest.TempPathFactory, gateway: McpServer
) -> Iterator[AgentServer]:
    """The agent as a JWT runtime runs it: the caller is the signed-in user."""
    with running_agent(
        tmp_path_factory.mktemp("invoke-jwt"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        **jwt_environment(),
    ) as server:
        yield server


# One botocore session for the module: it loads each service model once (about 50 ms a
# client otherwise); every StubbedAws still gets clients and stubs of its own.
_BOTOCORE = get_session()


class StubbedAws:
    """A boto3.Session look-alike whose clients answer from botocore Stubbers (no AWS)."""

    def __init__(self, credentials=None) -> None:
        session = _BOTOCORE
        self.credentials = credentials
        self.clients = {
            name: session.create_client(
                name,
                region_name="us-east-1",
                aws_access_key_id="AKIAFAKE",
                aws_secret_access_key="fake",
            )
            for name in ("cloudformation", "cognito-idp")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def client(self, name: str, region_name: str | None = None):
        return self.clients[name]

    def get_credentials(self):
        return self.credentials

    def stack_outputs(self, outputs: dict[str, str]) -> None:
        self.stubs["cloudformation"].add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": STACK,
                        "CreationTime": "2026-11-24T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                    }
                ]
            },
            {"StackName": STACK},
        )

    def password_sign_in(self, user: str, password: str, access_token: str) -> None:
        self.stubs["cognito-idp"].add_response(
            "initiate_auth",
            {
                "AuthenticationResult": {
                    "AccessToken": access_token,
                    "RefreshToken": "refresh-not-real",
                    "ExpiresIn": 3600,
                    "TokenType": "Bearer",
                }
            },
            {
                "ClientId": CLI_CLIENT,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": user, "PASSWORD": password},
            },
        )


def jwt_outputs(runtime_url: str, cognito_url: str) -> dict[str, str]:
    return {
        "RuntimeArn": RUNTIME_ARN,
        "InvokeUrl": f"{runtime_url}/runtimes/{ENCODED_ARN}/invocations?qualifier=DEFAULT",
        "AuthMode": "jwt",
        "CognitoDomainUrl": cognito_url,
        "CognitoCliClientId": CLI_CLIENT,
        "CognitoUserPoolId": POOL_ID,
        "CognitoUserGroup": "agent-users",
    }


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "agentcore-invoke"
