"""Start the agent server and the local MCP gateway double as real processes on free ports."""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

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


def answers(url: str) -> bool:
    """One GET: does anything answer HTTP there? (http.client: no TLS context to build.)"""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=1.0)
    try:
        connection.request("GET", parts.path or "/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """For processes that print no readiness line: poll the URL."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        if answers(url):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


class OutputPump:
    """Copies a child's stdout+stderr into its log file as it comes, and sets ``ready`` when
    the readiness line goes by (or the output ends), so start-up is awaited, not polled."""

    def __init__(self, stream: BinaryIO, log_path: Path, ready_line: str) -> None:
        self._fd = stream.fileno()
        self._log = log_path.open("ab")
        self._marker = ready_line.encode()
        # The whole log (earlier runs of the process too), to await a line without polling.
        self._text = bytearray(log_path.read_bytes() if log_path.exists() else b"")
        self._start = len(self._text)
        self._done = False
        self._copied = threading.Condition()
        self.ready = threading.Event()
        self.saw_ready_line = False
        self._thread = threading.Thread(target=self._run, name=f"pump {log_path.name}")
        self._thread.daemon = True
        self._thread.start()

    def _run(self) -> None:
        while True:
            select.select([self._fd], [], [])
            with self._copied:  # drain() sees either bytes in the pipe or bytes in the file
                data = os.read(self._fd, 65536)
                if data:
                    self._log.write(data)
                    self._log.flush()
                    self._text += data
                    if not self.saw_ready_line and self._marker in self._text[self._start :]:
                        self.saw_ready_line = True
                        self.ready.set()
                else:
                    self._done = True
                    self._log.close()
                self._copied.notify_all()
            if not data:
                self.ready.set()
                return

    def _unread(self) -> int:
        return struct.unpack("i", fcntl.ioctl(self._fd, termios.FIONREAD, b"\0" * 4))[0]

    def drain(self, timeout: float = 10.0) -> None:
        """Return once everything the child has written so far is in the log file."""
        with self._copied:
            self._copied.wait_for(lambda: self._done or self._unread() == 0, timeout)

    def wait_until(self, done: Callable[[str], bool], timeout: float) -> str | None:
        """The output once ``done(output)`` holds (checked on every write), else None."""
        with self._copied:
            if self._copied.wait_for(lambda: done(self._decoded()) or self._done, timeout):
                text = self._decoded()
                return text if done(text) else None
            return None

    def _decoded(self) -> str:
        return self._text.decode(errors="replace")

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)


@dataclass
class ManagedProcess:
    """A child process with its output in a log file; stop() sends SIGTERM.

    With ``ready_line``, start() returns when the child prints it (checking ``probe_url`` every
    half second in case it never does); without, it polls ``probe_url``.
    """

    argv: list[str]
    env: dict[str, str]
    probe_url: str
    log_path: Path
    cwd: Path = ROOT
    startup_timeout: float = 60.0
    ready_line: str | None = None
    process: subprocess.Popen | None = field(default=None, init=False)
    pump: OutputPump | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        if self.ready_line is None:
            log = self.log_path.open("ab")
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=log
            )
            wait_until_up(self.probe_url, self.process, self.startup_timeout)
            return
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        self.pump = OutputPump(self.process.stdout, self.log_path, self.ready_line)
        deadline = time.monotonic() + self.startup_timeout
        while not self.pump.ready.wait(0.5):
            if answers(self.probe_url):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.probe_url} did not answer within {self.startup_timeout} s"
                )
        if not self.pump.saw_ready_line:  # the output ended: the process is gone
            raise RuntimeError(f"{self.probe_url}: process exited with {self.process.wait(10)}")

    def stop(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.pump is not None:
            self.pump.join()
            assert self.process.stdout is not None
            self.process.stdout.close()
        return self.process.returncode

    def kill(self) -> int:
        """Fixture teardown: SIGKILL, no graceful shutdown to wait out (a quarter second of CPU
        for the agent). The SIGTERM path is stop()'s, which the lifecycle tests assert."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        return self.stop()

    def log_text(self) -> str:
        if self.pump is not None:
            self.pump.drain()
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, expected: str | Callable[[str], bool], timeout: float = 30.0) -> str:
        """The log once it contains ``expected`` (or ``expected(log)`` holds): awaited on the
        process's output as it is written, not polled."""
        done = expected if callable(expected) else lambda text: expected in text
        if self.pump is not None:
            found = self.pump.wait_until(done, timeout)
            if found is None:
                raise TimeoutError(f"{self.log_path.name}: {expected!r} not logged in {timeout} s")
            return self.log_text()
        deadline = time.monotonic() + timeout
        while not done(text := self.log_text()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.log_path.name}: {expected!r} not logged in {timeout} s")
            time.sleep(0.05)
        return text


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
        ready_line="Uvicorn running on",
        base_url=f"http://127.0.0.1:{port}",
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()


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
        ready_line="Uvicorn running on",
        url=f"http://127.0.0.1:{port}/mcp",
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()


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
        ready_line=" * Running on http",
        url=f"http://127.0.0.1:{port}",
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()
