"""`agentcore-invoke` against A2A, MCP and AG-UI deployments, each with its real client.

The front door (a TEST DOUBLE of the service's) checks the SigV4 signature of every request,
maps /runtimes/<arn>/invocations to the protocol's container path as AgentCore does, and the
A2A container learns its public URL from AGENTCORE_RUNTIME_URL, as on the service.
"""

from __future__ import annotations

import json

import pytest
from botocore.credentials import Credentials

from tests.doubles.order_mcp_server import FAKE_ACCESS_KEY, FAKE_SECRET_KEY
from tests.doubles.processes import free_port, running_agent

from .conftest import ENCODED_ARN, RUNTIME_ARN, StubbedAws
from .doubles import RuntimeFrontDoorDouble, serve
from .test_invoke_command import run


@pytest.fixture(scope="module", params=["A2A", "MCP", "AGUI", "HTTP"])
def deployed(request, gateway, tmp_path_factory):
    """One agent and front door per protocol for the module (each test uses its own sessions)."""
    protocol = request.param
    door_port = free_port()
    invocations = f"http://127.0.0.1:{door_port}/runtimes/{ENCODED_ARN}/invocations"
    with running_agent(
        tmp_path_factory.mktemp(f"deployment-{protocol.lower()}"),
        AGENT_PROTOCOL=protocol,
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        AGENTCORE_RUNTIME_URL=invocations,
    ) as agent:
        door = RuntimeFrontDoorDouble(
            agent_url=agent.base_url, tokens=None, protocol=protocol, endpoints=("DEFAULT", "live")
        )
        with serve(door.app(sigv4=True), port=door_port):
            outputs = {
                "RuntimeArn": RUNTIME_ARN,
                "InvokeUrl": f"{invocations}?qualifier=DEFAULT",
                "AuthMode": "iam",
                "Protocol": protocol,
            }
            yield protocol, door, outputs


@pytest.fixture
def deployment(deployed):
    """The protocol's deployment, with what its front door saw so far forgotten."""
    _, door, _ = deployed
    for name, seen in vars(door).items():
        if name.startswith("seen_"):
            seen.clear()
    return deployed


def signed_aws(outputs: dict) -> StubbedAws:
    aws = StubbedAws(credentials=Credentials(FAKE_ACCESS_KEY, FAKE_SECRET_KEY))
    aws.stack_outputs(outputs)
    return aws


def test_each_protocol_gets_a_tool_backed_answer(deployment, capsys) -> None:
    protocol, door, outputs = deployment
    code, out, err = run(
        ["--env", "dev", "--json", "Where is order ORD-1234?"], signed_aws(outputs), capsys
    )
    assert code == 0, err
    answer = json.loads(out)
    assert "794601234567" in answer["response"] and "FedEx" in answer["response"]
    if protocol in ("A2A", "AGUI"):  # MCP hides the agent's own tool calls inside its one tool
        assert answer["tool_calls"][0]["name"] == "orders___get_order_status"
    assert door.seen_sessions and set(door.seen_sessions) == {answer["session_id"]}


def test_each_protocol_continues_a_session(deployment, capsys) -> None:
    _, _, outputs = deployment
    session = "protocol-session-continue".ljust(40, "0")
    run(["--env", "dev", "--session", session, "Where is ORD-3150?"], signed_aws(outputs), capsys)
    code, out, err = run(
        ["--env", "dev", "--session", session, "--json", "Which order did I ask about?"],
        signed_aws(outputs),
        capsys,
    )
    assert code == 0, err
    assert "ORD-3150" in json.loads(out)["response"]
    other = "protocol-session-other".ljust(40, "0")
    code, out, _ = run(
        ["--env", "dev", "--session", other, "--json", "Which order did I ask about?"],
        signed_aws(outputs),
        capsys,
    )
    assert "ORD-3150" not in json.loads(out)["response"]


def test_streaming_text_reaches_the_terminal(deployment, capsys) -> None:
    protocol, _, outputs = deployment
    code, out, err = run(["--env", "dev", "Status of ORD-2001?"], signed_aws(outputs), capsys)
    assert code == 0, err
    assert "DELIVERED with UPS" in out
    if protocol != "MCP":
        assert "[tool] orders___get_order_status" in err


def test_each_protocol_goes_through_the_stacks_endpoint(deployment, capsys) -> None:
    """prod outputs Qualifier=live: every request of every client names it, card included."""
    _, door, outputs = deployment
    live = {
        **outputs,
        "Qualifier": "live",
        "InvokeUrl": outputs["InvokeUrl"].replace("DEFAULT", "live"),
    }
    code, out, err = run(["--env", "dev", "--json", "Where is ORD-1234?"], signed_aws(live), capsys)
    assert code == 0, err
    assert "FedEx" in json.loads(out)["response"]
    assert door.seen_qualifiers and set(door.seen_qualifiers) == {"live"}
    door.seen_qualifiers.clear()
    code, _, err = run(
        ["--env", "dev", "--qualifier", "DEFAULT", "Where is ORD-1234?"], signed_aws(live), capsys
    )
    assert code == 0, err
    assert set(door.seen_qualifiers) == {"DEFAULT"}


def test_an_unknown_endpoint_is_named_in_the_error(deployment, capsys) -> None:
    _, _, outputs = deployment
    code, _, err = run(
        ["--env", "dev", "--qualifier", "canary", "Where is ORD-1234?"],
        signed_aws(outputs),
        capsys,
    )
    assert code == 1
    notes = ("session: ", "no --user: ")
    (error_line,) = [line for line in err.splitlines() if not line.startswith(notes)]
    assert error_line.startswith("agentcore-invoke: "), err  # one line, no traceback
    # The service's message where the protocol's client passes it on; MCP's says Not Found.
    assert "404" in error_line or "Not Found" in error_line, error_line
