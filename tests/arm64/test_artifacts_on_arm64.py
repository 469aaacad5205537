"""What we ship starts and serves on arm64, whichever artifact it is (emulated, no Docker).

- code: the very zip `cdk synth` stages for a `runtime.artifact: code` environment, unpacked
  and started with its entry point (`python3.13 main.py`) on Debian's aarch64 CPython under
  QEMU user-mode emulation;
- container: `agent/requirements.txt` installed as the Dockerfile installs it (wheels only,
  for linux/aarch64), then `python3.13 -m agent` from the image's layout.

Each waits for `GET /ping` and makes one invocation with the scripted test model and the local
MCP gateway (a tool call included). Emulated timings are printed, never asserted: they are not
the service's. Slow by nature (minutes): deselect with `-m "not arm64_emulated"`.
"""

from __future__ import annotations

import shutil
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.arm64.sysroot import (
    Arm64Unavailable,
    ensure_qemu,
    ensure_sysroot,
    install_wheels,
    python_command,
    python_env,
)
from tests.doubles.processes import AgentServer, McpServer, clean_env, free_port, running_mcp_server

pytestmark = [pytest.mark.arm64_emulated, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
SCRIPTED_MODEL = ROOT / "tests" / "doubles" / "scripted_model.py"
STARTUP_TIMEOUT = 600.0
ANSWER_TIMEOUT = 900.0


@pytest.fixture(scope="module")
def arm64_python() -> list[str]:
    try:
        return python_command(ensure_sysroot(), ensure_qemu())
    except Arm64Unavailable as reason:
        pytest.skip(f"no emulated arm64 CPython here: {reason}")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpServer]:
    with running_mcp_server(tmp_path_factory.mktemp("arm64-gateway")) as server:
        yield server


def scripted_model_path(tmp_path: Path) -> Path:
    """The test double alone on the path, so the unpacked artifact supplies everything else."""
    folder = tmp_path / "test-doubles"
    folder.mkdir()
    shutil.copy(SCRIPTED_MODEL, folder / "scripted_model.py")
    return folder


def serve_and_ask(
    argv: list[str], cwd: Path, python_path: str, gateway: McpServer, log_dir: Path, label: str
) -> None:
    port = free_port()
    env = clean_env(
        PORT=str(port),
        PYTHONPATH=python_path,
        AGENT_MODEL_FACTORY="scripted_model:ScriptedOrderModelTestDouble",
        GATEWAY_ENDPOINT=gateway.url,
        GATEWAY_AUTH="none",
        GATEWAY_TIMEOUT_SECONDS="120",  # everything is slow under emulation
        INVOCATION_TIMEOUT_SECONDS="900",
        **python_env(Path()),
    )
    server = AgentServer(
        argv=argv,
        env=env,
        probe_url=f"http://127.0.0.1:{port}/ping",
        log_path=log_dir / f"{label}.log",
        cwd=cwd,
        startup_timeout=STARTUP_TIMEOUT,
        base_url=f"http://127.0.0.1:{port}",
    )
    started = time.monotonic()
    server.start()
    ready = time.monotonic() - started
    try:
        with httpx.Client(base_url=server.base_url, timeout=ANSWER_TIMEOUT) as client:
            assert client.get("/ping").json()["status"] in ("Healthy", "HealthyBusy")
            asked = time.monotonic()
            reply = client.post("/invocations", json={"prompt": "Where is order ORD-1234?"})
            answered = time.monotonic() - asked
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["tool_calls"] == [
                {"name": "orders___get_order_status", "input": {"order_id": "ORD-1234"}}
            ]
            assert "794601234567" in body["response"] and "FedEx" in body["response"]
            again = time.monotonic()
            second = client.post("/invocations", json={"prompt": "And ORD-2001?"})
            assert second.status_code == 200 and "DELIVERED" in second.json()["response"]
            warm = time.monotonic() - again
    finally:
        assert server.stop() == 0, server.log_text()[-3000:]
    print(
        f"\n[arm64 emulated, {label}] start to /ping {ready:.1f} s, first tool-backed answer "
        f"{answered:.1f} s, next answer {warm:.1f} s",
        file=sys.__stdout__,
    )


def test_code_artifact_serves_on_arm64(arm64_python, gateway, tmp_path: Path) -> None:
    from tests.infra.conftest import synthesize

    synthesized = synthesize(
        "dev", tmp_path / "cdk.out", mutate=lambda env: env["runtime"].update(artifact="code")
    )
    runtime = synthesized.only("AWS::BedrockAgentCore::Runtime")["Properties"]
    code = runtime["AgentRuntimeArtifact"]["CodeConfiguration"]
    bundle = synthesized.outdir / f"asset.{code['Code']['S3']['Prefix']}"
    unpacked = tmp_path / "code"
    zipfile.ZipFile(bundle).extractall(unpacked)
    assert code["EntryPoint"] == ["main.py"]
    serve_and_ask(
        [*arm64_python, *code["EntryPoint"]],
        unpacked,
        str(scripted_model_path(tmp_path)),
        gateway,
        tmp_path,
        "code artifact",
    )


def test_container_dependency_set_serves_on_arm64(arm64_python, gateway, tmp_path: Path) -> None:
    site_packages = tmp_path / "site-packages"
    install_wheels("3.13", ROOT / "agent" / "requirements.txt", site_packages)
    app = tmp_path / "app"  # the image's WORKDIR: /app, with the package at /app/agent
    shutil.copytree(ROOT / "agent", app / "agent", ignore=shutil.ignore_patterns("__pycache__"))
    serve_and_ask(
        [*arm64_python, "-m", "agent"],
        app,
        f"{site_packages}:{scripted_model_path(tmp_path)}",
        gateway,
        tmp_path,
        "container dependency set",
    )
