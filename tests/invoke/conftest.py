"""The real agent (scripted model + local MCP gateway) behind local Cognito and runtime doubles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.session import get_session
from botocore.stub import Stubber

from tests.doubles.processes import AgentServer, McpServer, running_agent

from .doubles import CLIENT_ID, CLIENT_SECRET, SCOPE

STACK = "agentcore-orders-dev"
RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/orders_agent_dev-AbCdEf1234"
ENCODED_ARN = RUNTIME_ARN.replace(":", "%3A").replace("/", "%2F")
POOL_ID = "us-east-1_LocalPool1"


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory, gateway: McpServer) -> Iterator[AgentServer]:
    """One per worker for the invoke tests (each test its own session id)."""
    with running_agent(
        tmp_path_factory.mktemp("invoke"), GATEWAY_ENDPOINT=gateway.url, GATEWAY_AUTH="none"
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

    def client_secret(self) -> None:
        self.stubs["cognito-idp"].add_response(
            "describe_user_pool_client",
            {
                "UserPoolClient": {
                    "ClientId": CLIENT_ID,
                    "UserPoolId": POOL_ID,
                    "ClientSecret": CLIENT_SECRET,
                }
            },
            {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID},
        )


def jwt_outputs(runtime_url: str, token_url: str) -> dict[str, str]:
    return {
        "RuntimeArn": RUNTIME_ARN,
        "InvokeUrl": f"{runtime_url}/runtimes/{ENCODED_ARN}/invocations?qualifier=DEFAULT",
        "AuthMode": "jwt",
        "CognitoTokenUrl": f"{token_url}/oauth2/token",
        "CognitoClientId": CLIENT_ID,
        "CognitoUserPoolId": POOL_ID,
        "InvokeScope": SCOPE,
    }


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "agentcore-invoke"
