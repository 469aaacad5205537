"""AgentCore Memory's cost: per-invocation overhead on a warm session (memory on vs off), and
the first call of a session whose 50 turns must be restored, against moto on localhost.
Goals: <= 5 ms p50 overhead on a warm session; restoring 50 turns <= 100 ms locally.
Run: `make bench-memory` (loopback only).
"""

from __future__ import annotations

import datetime
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.memory import BLOB_KIND
from tests.doubles.processes import running_agent, running_mcp_server, running_moto_server

INVOCATIONS = 150
RESTORES = 20
TURNS = 50
MEMORY_ID = "bench_memory-AbCdEf1234"
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def p50_invocation(base_url: str, session: str) -> float:
    timings = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for _ in range(10):
            client.post("/invocations", json={"prompt": "hi"}, headers={SESSION_HEADER: session})
        for _ in range(INVOCATIONS):
            began = time.perf_counter()
            client.post("/invocations", json={"prompt": "hi"}, headers={SESSION_HEADER: session})
            timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def seed(moto_url: str, session: str) -> None:
    """50 stored turns (user, assistant) as the agent writes them."""
    client = boto3.client(
        "bedrock-agentcore",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    for turn in range(TURNS):
        messages = [
            {"role": "user", "content": [{"text": f"Question {turn} about ORD-{1000 + turn}"}]},
            {"role": "assistant", "content": [{"text": f"Answer {turn}: it is in transit."}]},
        ]
        client.create_event(
            memoryId=MEMORY_ID,
            actorId="default",
            sessionId=session,
            eventTimestamp=start + datetime.timedelta(minutes=turn),
            payload=[{"blob": {"kind": BLOB_KIND, "messages": messages}}],
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        with running_mcp_server(scratch) as gateway, running_moto_server(scratch) as moto:
            common = {"GATEWAY_ENDPOINT": gateway.url, "GATEWAY_AUTH": "none", **AWS}
            with running_agent(scratch, **common) as agent:
                off = p50_invocation(agent.base_url, "s" * 40)
            with_memory = {
                **common,
                "MEMORY_ID": MEMORY_ID,
                "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": moto.url,
            }
            with running_agent(scratch, **with_memory) as agent:
                on = p50_invocation(agent.base_url, "m" * 40)
                restores = []
                with httpx.Client(base_url=agent.base_url, timeout=60) as client:
                    for _ in range(RESTORES):
                        session = f"restore-{uuid.uuid4()}"
                        seed(moto.url, session)
                        began = time.perf_counter()
                        reply = client.post(
                            "/invocations",
                            json={"prompt": "Which order?"},
                            headers={SESSION_HEADER: session},
                        )
                        restores.append((time.perf_counter() - began) * 1000)
                        assert "ORD-1049" in reply.json()["response"], reply.text
    print(f"warm session p50: memory off {off:.2f} ms, on {on:.2f} ms ({on - off:+.2f} ms)")
    print(
        f"first call restoring {TURNS} turns: p50 {statistics.median(restores):.1f} ms, "
        f"max {max(restores):.1f} ms (includes the answer)"
    )


if __name__ == "__main__":
    main()
