"""Without the optional protocol clients the command says what to install, in one line."""

from __future__ import annotations

import pytest

from agentcore_invoke import protocol_clients
from agentcore_invoke.errors import InvokeError


@pytest.mark.parametrize(
    ("client", "hidden", "package"),
    [
        (protocol_clients.invoke_a2a, "a2a.client", "a2a-sdk"),
        (protocol_clients.invoke_mcp, "mcp.client.streamable_http", "mcp"),
    ],
)
def test_a_missing_protocol_client_names_the_extra(monkeypatch, client, hidden, package) -> None:
    monkeypatch.setitem(__import__("sys").modules, hidden, None)  # import now raises ImportError
    frames = client(
        "https://example.invalid/invocations?qualifier=DEFAULT",
        "hi",
        session_id="s" * 40,
        auth=None,
        headers={},
        timeout=1,
    )
    with pytest.raises(InvokeError) as raised:
        list(frames)
    assert f"({package}) is not installed" in str(raised.value)
    assert "agentcore-strands-app[protocols]" in str(raised.value)
