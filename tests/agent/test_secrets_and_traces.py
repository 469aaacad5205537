"""Secrets from moto's Secrets Manager and traces to a local OTLP receiver, end to end.

The agent runs as a process pointed at moto's server (`moto[server]`, a real wire-protocol
fake) through botocore's standard AWS_ENDPOINT_URL_SECRETS_MANAGER; the trace backend's API key
is a secret, so rotating it shows in the headers the receiver sees. The secret's value must
appear nowhere: not in logs, replies or spans.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest

from tests.doubles.otlp_receiver import OtlpReceiver, running_otlp_receiver
from tests.doubles.processes import AgentServer, MotoServer, running_agent, running_moto_server

from .conftest import FAKE_AWS, SESSION_HEADER, session_id

FIRST_KEY = "otlp-key-first-5c1d9a"
ROTATED_KEY = "otlp-key-rotated-77ab02"
MARKER = "PROMPT-MARKER-3f9e1b"


def secrets_client(moto: MotoServer, **credentials: str):
    return boto3.client(
        "secretsmanager",
        endpoint_url=moto.url,
        region_name="us-east-1",
        aws_access_key_id=credentials.get("key", "testing"),
        aws_secret_access_key=credentials.get("secret", "testing"),
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with running_otlp_receiver() as found:
        yield found


@pytest.fixture(scope="module")
def traced_agent(tmp_path_factory, moto, receiver, gateway) -> Iterator[tuple[AgentServer, str]]:
    arn = secrets_client(moto).create_secret(Name="otlp-api-key", SecretString=FIRST_KEY)["ARN"]
    with running_agent(
        tmp_path_factory.mktemp("traced"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        AWS_ENDPOINT_URL_SECRETS_MANAGER=moto.url,
        SECRET_ARN_TRACES_API_KEY=arn,
        SECRETS_REFRESH_SECONDS="5",
        AGENT_TRACES="otlp",
        AGENT_TRACES_API_KEY_SECRET="TRACES_API_KEY",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{receiver.url}/v1/traces",
        OTEL_BSP_SCHEDULE_DELAY="100",
        **FAKE_AWS,
    ) as agent:
        yield agent, arn


def answered(moto_log: str, status: int) -> int:
    """Secrets Manager calls moto answered with ``status``: its request log has one line each."""
    return len(re.findall(rf'"\S*POST / HTTP/1\.1\S*" {status} ', moto_log))


def ask(agent: AgentServer, prompt: str, session: str) -> httpx.Response:
    return httpx.post(
        f"{agent.base_url}/invocations",
        json={"prompt": prompt},
        headers={SESSION_HEADER: session},
        timeout=60,
    )


def test_one_trace_per_invocation_with_model_and_tool_spans(traced_agent, receiver) -> None:
    agent, _ = traced_agent
    receiver.clear()
    reply = ask(agent, f"{MARKER} Where is ORD-1234?", session_id("traced"))
    assert reply.status_code == 200 and "FedEx" in reply.json()["response"]
    spans = receiver.wait_for("invocation")
    by_name = {s.name: s for s in spans}
    (root,) = [s for s in spans if s.name == "invocation"]
    agent_span = next(s for s in spans if s.name.startswith("invoke_agent"))
    tool = by_name["execute_tool orders___get_order_status"]
    chats = [s for s in spans if s.name == "chat"]
    assert len(chats) == 2, "the model is called before and after the tool"
    assert {s.trace_id for s in spans} == {root.trace_id}, "one trace"
    assert root.parent_span_id == "" and agent_span.parent_span_id == root.span_id
    ids = {s.span_id: s for s in spans}

    def ancestors(span):
        while span.parent_span_id:
            span = ids[span.parent_span_id]
            yield span

    for child in (tool, *chats):
        assert agent_span in list(ancestors(child)), child.name
    for span in (root, agent_span, tool, *chats):
        assert span.attributes.get("session.id") == session_id("traced"), span.name
    assert not [s.name for s in spans if MARKER in s.raw], "prompt text left the process"


def test_the_backend_key_comes_from_the_secret_and_follows_rotation(
    traced_agent, receiver, moto
) -> None:
    agent, arn = traced_agent
    receiver.clear()
    ask(agent, "Where is ORD-2001?", session_id("key-a"))
    assert {s.headers.get("x-api-key") for s in receiver.wait_for("invocation")} == {FIRST_KEY}
    secrets_client(moto).put_secret_value(SecretId=arn, SecretString=ROTATED_KEY)
    # The agent's next refresh (every 5 s) is the next request moto serves after the rotation.
    served = answered(moto.log_text(), 200)
    moto.wait_for_log(lambda log: answered(log, 200) > served)
    deadline = time.monotonic() + 30
    keys: set = set()
    while keys != {ROTATED_KEY} and time.monotonic() < deadline:
        receiver.clear()
        ask(agent, "Where is ORD-3150?", session_id("key-b"))
        keys = {s.headers.get("x-api-key") for s in receiver.wait_for("invocation")}
    assert keys == {ROTATED_KEY}, "the refreshed value is used without a restart"
    log = agent.log_text()
    assert FIRST_KEY not in log and ROTATED_KEY not in log
    assert '"secret loaded"' in log and "TRACES_API_KEY" in log


def test_content_is_exported_only_when_asked(tmp_path_factory, receiver, gateway) -> None:
    receiver.clear()
    with running_agent(
        tmp_path_factory.mktemp("content"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        AGENT_TRACES="otlp",
        AGENT_TRACES_CAPTURE_CONTENT="true",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{receiver.url}/v1/traces",
        OTEL_BSP_SCHEDULE_DELAY="100",
    ) as agent:
        ask(agent, f"{MARKER} Where is ORD-1234?", session_id("content"))
        spans = receiver.wait_for("invocation")
    assert [s.name for s in spans if MARKER in s.raw], "with capture on, the prompt is there"


def test_aws_mode_runs_adot_and_exports_the_same_spans(tmp_path_factory, receiver, gateway) -> None:
    """ADOT as AgentCore starts it (the OTEL_* variables the runtime sets), sent to a local
    receiver instead of X-Ray."""
    receiver.clear()
    with running_agent(
        tmp_path_factory.mktemp("adot"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        AGENT_TRACES="aws",
        AGENT_OBSERVABILITY_ENABLED="true",
        OTEL_PYTHON_DISTRO="aws_distro",
        OTEL_PYTHON_CONFIGURATOR="aws_configurator",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{receiver.url}/v1/traces",
        OTEL_BSP_SCHEDULE_DELAY="100",
        OTEL_RESOURCE_ATTRIBUTES="service.name=orders_agent_dev.DEFAULT",
        **FAKE_AWS,
    ) as agent:
        reply = ask(agent, f"{MARKER} Where is ORD-4477?", session_id("adot"))
        assert reply.status_code == 200
        spans = receiver.wait_for("invocation")
    names = {s.name for s in spans}
    assert "execute_tool orders___get_order_status" in names and "chat" in names
    assert not [s.name for s in spans if MARKER in s.raw]


def test_a_missing_required_secret_is_a_clear_503_and_one_log_line(
    tmp_path_factory, moto, gateway
) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:does-not-exist-AbCdEf"
    with running_agent(
        tmp_path_factory.mktemp("missing"),
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        AWS_ENDPOINT_URL_SECRETS_MANAGER=moto.url,
        SECRET_ARN_PARTNER_KEY=missing,
        AGENT_REQUIRED_SECRETS="PARTNER_KEY",
        SECRETS_REFRESH_SECONDS="5",
        **FAKE_AWS,
    ) as agent:
        assert httpx.get(f"{agent.base_url}/ping").json()["status"] == "Healthy"
        agent.wait_for_log("secret unavailable")  # the first fetch, right after start
        refused = answered(moto.log_text(), 404)  # ResourceNotFoundException
        reply = ask(agent, "Where is ORD-1234?", session_id("missing"))
        assert reply.status_code == 503
        error = reply.json()["error"]
        assert error["code"] == "secret_unavailable" and "PARTNER_KEY" in error["message"]
        assert "ResourceNotFoundException" in error["message"]
        # Another refresh (5 s later) meets the same problem, which is not logged again.
        moto.wait_for_log(lambda log: answered(log, 404) > refused)
        assert ask(agent, "Where is ORD-1234?", session_id("missing")).status_code == 503
        lines = [line for line in agent.log_text().splitlines() if "secret unavailable" in line]
    assert len(lines) == 1 and "PARTNER_KEY" in lines[0]


def test_a_denied_secret_is_a_clear_503(tmp_path_factory, gateway) -> None:
    """moto enforcing IAM: after the setup calls, an identity without a policy is refused."""
    setup_calls = 3
    with running_moto_server(
        tmp_path_factory.mktemp("moto-iam"), INITIAL_NO_AUTH_ACTION_COUNT=str(setup_calls)
    ) as iam_moto:
        admin = {"endpoint_url": iam_moto.url, "region_name": "us-east-1"}
        arn = secrets_client(iam_moto).create_secret(Name="denied", SecretString="shh-000111")[
            "ARN"
        ]
        iam = boto3.client(
            "iam", aws_access_key_id="testing", aws_secret_access_key="testing", **admin
        )
        iam.create_user(UserName="agent-without-access")
        key = iam.create_access_key(UserName="agent-without-access")["AccessKey"]
        with running_agent(
            tmp_path_factory.mktemp("denied"),
            GATEWAY_ENDPOINT=gateway.url,
            GATEWAY_AUTH="none",
            AWS_ENDPOINT_URL_SECRETS_MANAGER=iam_moto.url,
            SECRET_ARN_PARTNER_KEY=arn,
            AGENT_REQUIRED_SECRETS="PARTNER_KEY",
            AWS_ACCESS_KEY_ID=key["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
            AWS_REGION="us-east-1",
        ) as agent:
            agent.wait_for_log("secret unavailable")  # the first fetch was refused
            reply = ask(agent, "Where is ORD-1234?", session_id("denied"))
            log = agent.log_text()
    assert reply.status_code == 503
    assert "AccessDenied" in reply.json()["error"]["message"]
    assert "shh-000111" not in log and "shh-000111" not in reply.text
