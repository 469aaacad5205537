"""Start the agent server and the local MCP gateway double as real processes on free ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SCRIPTED_MODEL = "tests.doubles.scripted_model:ScriptedOrderModelTestDouble"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**overrides: str) -> dict[str, str]:
    """No real AWS credentials or config ever reach the processes under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GATEWAY_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass
class ManagedProcess:
    """A child process with its output in a log file; stop() sends SIGTERM."""

    argv: list[str]
    env: dict[str, str]
    probe_url: str
    log_path: Path
    cwd: Path = ROOT
    startup_timeout: float = 60.0
    process: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=log
        )
        wait_until_up(self.probe_url, self.process, self.startup_timeout)

    def stop(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class AgentServer(ManagedProcess):
    base_url: str = ""


@contextlib.contextmanager
def running_agent(tmp_dir: Path, **env: str) -> Iterator[AgentServer]:
    """`python -m agent` with the scripted test model; extra env vars override the defaults."""
    port = free_port()
    server = AgentServer(
        argv=[sys.executable, "-m", "agent"],
        env=clean_env(PORT=str(port), AGENT_MODEL_FACTORY=SCRIPTED_MODEL, **env),
        probe_url=f"http://127.0.0.1:{port}/ping",
        log_path=tmp_dir / f"agent-{port}.log",
        base_url=f"http://127.0.0.1:{port}",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class McpServer(ManagedProcess):
    url: str = ""


@contextlib.contextmanager
def running_mcp_server(tmp_dir: Path, *, sigv4: bool = False) -> Iterator[McpServer]:
    """The order-status gateway double; stop() and start() again on the same port."""
    port = free_port()
    argv = [sys.executable, "-m", "tests.doubles.order_mcp_server", "--port", str(port)]
    server = McpServer(
        argv=argv + (["--sigv4"] if sigv4 else []),
        env=clean_env(),
        probe_url=f"http://127.0.0.1:{port}/_stats",
        log_path=tmp_dir / f"mcp-{port}.log",
        url=f"http://127.0.0.1:{port}/mcp",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class MotoServer(ManagedProcess):
    url: str = ""


@contextlib.contextmanager
def running_moto_server(tmp_dir: Path, **env: str) -> Iterator[MotoServer]:
    """moto's server (a real wire-protocol fake of AWS services) on a free port."""
    port = free_port()
    server = MotoServer(
        argv=[sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=clean_env(**env),
        probe_url=f"http://127.0.0.1:{port}/moto-api/data.json",
        log_path=tmp_dir / f"moto-{port}.log",
        url=f"http://127.0.0.1:{port}",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
