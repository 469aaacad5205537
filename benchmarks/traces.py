"""Traces on vs off: start to /ping, start to the first answer, per-invocation p50 and RSS.

The same agent (scripted model, local MCP tool) runs three ways: AGENT_TRACES=off, otlp (the
OTLP/HTTP exporter to a local receiver) and aws (ADOT, exporting to the same receiver). Goals:
p50 overhead <= 2 ms, RSS overhead <= 25 MiB, /ping readiness unchanged.
Run: `make bench-traces` (loopback only).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.doubles.otlp_receiver import running_otlp_receiver
from tests.doubles.processes import AgentServer, clean_env, free_port, running_mcp_server

INVOCATIONS = 150
WARM_UP = 10
RUNS = 3


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(env: dict[str, str], scratch: Path) -> tuple[float, float, float, float]:
    port = free_port()
    server = AgentServer(
        argv=[sys.executable, "-m", "agent"],
        env=clean_env(PORT=str(port), **env),
        probe_url=f"http://127.0.0.1:{port}/ping",
        log_path=scratch / f"agent-{port}.log",
        base_url=f"http://127.0.0.1:{port}",
    )
    began = time.perf_counter()
    server.start()
    ready = time.perf_counter() - began
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            first = client.post("/invocations", json={"prompt": "Where is ORD-1234?"})
            answered = time.perf_counter() - began
            assert first.status_code == 200, first.text
            for _ in range(WARM_UP):
                client.post("/invocations", json={"prompt": "Where is ORD-1234?"})
            timings = []
            for _ in range(INVOCATIONS):
                start = time.perf_counter()
                client.post("/invocations", json={"prompt": "Where is ORD-1234?"})
                timings.append((time.perf_counter() - start) * 1000)
            assert server.process is not None
            rss = rss_mib(server.process.pid)
    finally:
        server.stop()
    return ready, answered, statistics.median(timings), rss


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        with running_mcp_server(scratch) as gateway, running_otlp_receiver() as receiver:
            common = {
                "AGENT_MODEL_FACTORY": "tests.doubles.scripted_model:ScriptedOrderModelTestDouble",
                "GATEWAY_ENDPOINT": gateway.url,
                "GATEWAY_AUTH": "none",
            }
            exporter = {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{receiver.url}/v1/traces",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            }
            variants = {
                "off": {**common, "AGENT_TRACES": "off"},
                "otlp": {**common, **exporter, "AGENT_TRACES": "otlp"},
                "aws (ADOT)": {
                    **common,
                    **exporter,
                    "AGENT_TRACES": "aws",
                    "AGENT_OBSERVABILITY_ENABLED": "true",
                    "OTEL_PYTHON_DISTRO": "aws_distro",
                    "OTEL_PYTHON_CONFIGURATOR": "aws_configurator",
                    "OTEL_TRACES_EXPORTER": "otlp",
                    "OTEL_METRICS_EXPORTER": "none",
                    "OTEL_LOGS_EXPORTER": "none",
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_REGION": "us-east-1",
                },
            }
            rows = {}
            for label, env in variants.items():
                runs = [measure(env, scratch) for _ in range(RUNS)]
                rows[label] = [statistics.median(r[i] for r in runs) for i in range(4)]
            spans = len(receiver.spans)
    base = rows["off"]
    print(f"{'traces':<12} {'to /ping':>9} {'1st answer':>11} {'p50 ms':>8} {'RSS MiB':>8}")
    for label, (ready, answered, p50, rss) in rows.items():
        print(
            f"{label:<12} {ready:8.3f}s {answered:10.3f}s {p50:8.2f} {rss:8.1f}"
            f"   (p50 {p50 - base[2]:+.2f} ms, RSS {rss - base[3]:+.1f} MiB)"
        )
    print(f"spans received: {spans}")


if __name__ == "__main__":
    main()
