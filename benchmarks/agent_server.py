"""Benchmark the agent server against an eager-import baseline (the blog post's start-up).

Prints, for each: process start -> first /ping 200; invocation latency p50/p99 with the
scripted test model and the local MCP tool (and without tools: the server + agent loop
overhead); /ping p99 while 16 invocations stream; RSS with 100 idle sessions.
Run: `make bench` (loopback only; bounded request counts).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.doubles.processes import (
    ROOT,
    SCRIPTED_MODEL,
    clean_env,
    free_port,
    running_mcp_server,
)

EAGER = (
    "import boto3, strands, strands.tools.mcp, mcp.client.streamable_http;"
    "import runpy; runpy.run_module('agent', run_name='__main__')"
)
INVOCATIONS = 200
STREAMS = 16
IDLE_SESSIONS = 100


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start(argv: list[str], env: dict[str, str], port: int) -> tuple[subprocess.Popen, float]:
    began = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/ping"
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process, time.perf_counter() - began
        except httpx.TransportError:
            time.sleep(0.002)
        if time.perf_counter() - began > 60:
            raise TimeoutError(url)


def latencies(client: httpx.Client, prompt: str, count: int) -> list[float]:
    values = []
    for i in range(count):
        began = time.perf_counter()
        response = client.post(
            "/invocations",
            json={"prompt": prompt},
            headers={"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": f"bench-{i}".ljust(40, "0")},
        )
        values.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
    return values


def busy_ping_p99(client: httpx.Client, base_url: str) -> float:
    def stream(index: int) -> None:
        with httpx.stream(
            "POST",
            f"{base_url}/invocations",
            json={"prompt": "[slow:1.5] ORD-1234", "stream": True},
            headers={
                "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": f"stream-{index}".ljust(40, "0")
            },
            timeout=60,
        ) as response:
            for _ in response.iter_lines():
                pass

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(STREAMS)]
    for thread in threads:
        thread.start()
    pings = []
    while any(t.is_alive() for t in threads) and len(pings) < 2000:
        began = time.perf_counter()
        client.get("/ping")
        pings.append((time.perf_counter() - began) * 1000)
        time.sleep(0.005)
    for thread in threads:
        thread.join()
    return percentile(pings, 0.99)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(name: str, argv: list[str], gateway_url: str) -> dict[str, float]:
    results: dict[str, float] = {}
    for with_tools in (True, False):
        port = free_port()
        env = clean_env(PORT=str(port), AGENT_MODEL_FACTORY=SCRIPTED_MODEL)
        if with_tools:
            env.update(GATEWAY_ENDPOINT=gateway_url, GATEWAY_AUTH="none")
        process, ready = start(argv, env, port)
        base_url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base_url, timeout=60) as client:
                if with_tools:
                    results["ready_s"] = ready
                    latencies(client, "Where is ORD-1234?", 5)  # warm-up: connect, import
                    tool = latencies(client, "Where is ORD-1234?", INVOCATIONS)
                    results["tool_p50_ms"], results["tool_p99_ms"] = (
                        statistics.median(tool),
                        percentile(tool, 0.99),
                    )
                    results["busy_ping_p99_ms"] = busy_ping_p99(client, base_url)
                else:
                    latencies(client, "hello", 5)
                    plain = latencies(client, "hello", INVOCATIONS)
                    results["plain_p50_ms"], results["plain_p99_ms"] = (
                        statistics.median(plain),
                        percentile(plain, 0.99),
                    )
                    results["rss_start_mib"] = rss_mib(process.pid)
                    latencies(client, "hello", IDLE_SESSIONS)
                    results["rss_100_sessions_mib"] = rss_mib(process.pid)
        finally:
            process.terminate()
            process.wait(30)
    print(f"measured {name}", file=sys.stderr)
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, running_mcp_server(Path(tmp)) as gateway:
        ours = measure("lazy (this server)", [sys.executable, "-m", "agent"], gateway.url)
        eager = measure("eager baseline", [sys.executable, "-c", EAGER], gateway.url)
    rows = [
        ("process start -> first /ping 200 (s)", "ready_s", "<= 0.3"),
        ("invocation with MCP tool call p50 (ms)", "tool_p50_ms", ""),
        ("invocation with MCP tool call p99 (ms)", "tool_p99_ms", ""),
        ("server + agent loop, no tool, p50 (ms)", "plain_p50_ms", "<= 5"),
        ("server + agent loop, no tool, p99 (ms)", "plain_p99_ms", ""),
        (f"/ping p99 while {STREAMS} invocations stream (ms)", "busy_ping_p99_ms", "<= 20"),
        ("RSS after 5 warm-up invocations (MiB)", "rss_start_mib", ""),
        (f"RSS with {IDLE_SESSIONS} idle sessions (MiB)", "rss_100_sessions_mib", ""),
    ]
    print(f"{'metric':<50} {'this server':>12} {'eager':>10} {'target':>8}")
    for label, key, target in rows:
        print(f"{label:<50} {ours[key]:>12.3f} {eager[key]:>10.3f} {target:>8}")


if __name__ == "__main__":
    main()
