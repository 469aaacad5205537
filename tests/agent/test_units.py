"""Pieces of the agent that need no server: settings, sessions, health, SigV4 signing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from botocore.credentials import Credentials

from agent.health import Health
from agent.sessions import SessionStore
from agent.settings import Settings, SettingsError, load_settings
from agent.sigv4 import MissingCredentialsError, SigV4HttpxAuth


def test_settings_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.port == 8080 and settings.gateway_endpoint is None
    assert settings.model_id.startswith("us.anthropic.claude")


def test_settings_report_every_problem() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"PORT": "0", "MAX_BODY_BYTES": "big", "AGENT_MODEL_FACTORY": "nocolon"})
    lines = str(raised.value).splitlines()
    assert lines == [
        "AGENT_MODEL_FACTORY='nocolon': must be 'module:callable'",
        "PORT=0: must be between 1 and 65535",
        "MAX_BODY_BYTES='big': must be a whole number between 1024 and 104857600",
    ]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sessions_are_bounded_and_least_recently_used_go_first() -> None:
    store = SessionStore(max_sessions=2, idle_seconds=100, clock=FakeClock())
    first = store.get("a")
    store.get("b")
    store.get("a")
    store.get("c")
    assert len(store) == 2
    assert store.get("a") is first, "a was used more recently than b"


def test_idle_sessions_are_evicted_but_not_mid_turn() -> None:
    clock = FakeClock()
    store = SessionStore(max_sessions=10, idle_seconds=60, clock=clock)
    busy, idle = store.get("busy"), store.get("idle")

    async def scenario() -> None:
        async with busy.lock:
            clock.now = 61
            store.get("other")
            assert store.get("busy") is busy
        assert store.get("idle") is not idle

    asyncio.run(scenario())


def test_health_flips_to_busy_and_back() -> None:
    health = Health()
    assert health.status()["status"] == "Healthy"
    with health.busy(), health.busy():
        assert health.status()["status"] == "HealthyBusy"
    assert health.status()["status"] == "Healthy"


def test_sigv4_signs_each_request_including_its_body() -> None:
    auth = SigV4HttpxAuth(
        region="us-east-1", credentials=lambda: Credentials("AKID", "SECRET", "TOKEN")
    )
    signed = []
    for body in (b'{"a": 1}', b'{"a": 2}'):
        request = httpx.Request("POST", "https://gw.example.com/mcp", content=body)
        flow = auth.auth_flow(request)
        signed.append(next(flow).headers)
    for headers in signed:
        assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
        assert "/us-east-1/bedrock-agentcore/aws4_request" in headers["Authorization"]
        assert headers["X-Amz-Security-Token"] == "TOKEN"
    assert signed[0]["Authorization"] != signed[1]["Authorization"], "the body is signed"


def test_sigv4_without_credentials_says_what_to_do() -> None:
    auth = SigV4HttpxAuth(region="us-east-1", credentials=lambda: None)
    with pytest.raises(MissingCredentialsError, match="execution role"):
        next(auth.auth_flow(httpx.Request("POST", "https://gw.example.com/mcp")))


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        ({"AGENT_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AGENT_REGION": "eu-west-1", "AWS_REGION": "eu-central-1"}, "eu-central-1"),
        ({"AGENT_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ({}, "us-east-1"),
    ],
)
def test_region_prefers_what_the_platform_sets(environ, region) -> None:
    """The stack passes AGENT_REGION; AWS_REGION, when the platform sets it, wins."""
    assert load_settings(environ).region == region
