"""The agent server and the local gateway double, running for real on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.doubles.processes import (
    AgentServer,
    McpServer,
    MotoServer,
    running_agent,
    running_moto_server,
)

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
# Credentials moto accepts; never real ones (the processes under test get no AWS_* of ours).
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def session_id(name: str) -> str:
    """Session ids are 33..256 characters on the service."""
    return f"test-session-{name}".ljust(40, "0")


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory, gateway: McpServer) -> Iterator[AgentServer]:
    """One per worker, for the modules that only talk to it (each test its own session id)."""
    with running_agent(
        tmp_path_factory.mktemp("agent"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        MAX_BODY_BYTES="2048",
        MODEL_MAX_ATTEMPTS="1",
    ) as server:
        yield server


@pytest.fixture
def client(agent: AgentServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=agent.base_url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """moto's server for the module: Secrets Manager, AgentCore Memory events, ..."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server
