"""The agent's dependencies import and run on aarch64 CPython, emulated by QEMU on this host.

The first run fetches Debian trixie's arm64 CPython from deb.debian.org (seconds); later runs
use the cached sysroot offline. Skips, with the reason, when QEMU or the mirror is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.arm64 import sysroot as harness
from tests.arm64.sysroot import (
    Arm64Unavailable,
    ensure_qemu,
    ensure_sysroot,
    install_wheels,
    python_command,
    python_env,
)

pytestmark = pytest.mark.arm64_emulated

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "3.13"
STDLIB_CHECK = """
import importlib, os, sys, sysconfig
import ssl, ctypes, sqlite3, lzma, bz2, zlib, decimal, uuid, json, asyncio, _decimal
import platform
dynload = os.path.join(sysconfig.get_path("platstdlib"), "lib-dynload")
names = sorted(n.split(".")[0] for n in os.listdir(dynload) if n.endswith(".so"))
for name in names:
    if not name.startswith(("_test", "xx", "_xx", "_ctypes_test")):
        importlib.import_module(name)
assert ctypes.CDLL(None).getpid() == os.getpid()
assert sqlite3.connect(":memory:").execute("select 1").fetchone() == (1,)
assert ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED
print(platform.machine(), len(names), ssl.OPENSSL_VERSION, sep="|")
"""
WHEEL_CHECK = """
import asyncio, platform
import httpx, pydantic, pydantic_core

class Event(pydantic.BaseModel):
    name: str
    count: int

event = Event.model_validate_json('{"name": "invoke", "count": "3"}')
assert event.count == 3, event

async def main() -> int:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    async with httpx.AsyncClient(transport=transport) as client:
        return (await client.get("https://example.invalid/ping")).status_code

assert asyncio.run(main()) == 200
print(platform.machine(), pydantic_core._pydantic_core.__file__, sep="|")
"""


@pytest.fixture(scope="module")
def arm64_python() -> tuple[list[str], dict[str, str]]:
    """The emulated interpreter's argv prefix and environment, or a skip with the reason."""
    try:
        qemu = ensure_qemu()
        root = ensure_sysroot(PYTHON)
    except Arm64Unavailable as reason:
        pytest.skip(str(reason))
    host = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return python_command(root, qemu), {**host, **python_env(root)}


def run(arm64: tuple[list[str], dict[str, str]], code: str, **env: str) -> str:
    command, base = arm64
    result = subprocess.run(
        [*command, "-c", code], env={**base, **env}, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def pin(requirements: Path, name: str) -> str:
    match = re.search(rf"^{name}==(\S+)$", requirements.read_text(), re.MULTILINE | re.IGNORECASE)
    assert match, f"{requirements} must pin {name}"
    return f"{name}=={match[1]}"


def test_interpreter_is_aarch64_and_loads_every_stdlib_extension(
    arm64_python: tuple[list[str], dict[str, str]],
) -> None:
    machine, extensions, openssl = run(arm64_python, STDLIB_CHECK).split("|")
    assert machine == "aarch64"
    assert int(extensions) > 30
    assert openssl.startswith("OpenSSL 3.")


def test_second_call_uses_the_cache_without_apt(
    arm64_python: tuple[list[str], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"cached sysroot ran {args}")

    first = ensure_sysroot(PYTHON)
    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert ensure_sysroot(PYTHON) == first


def test_unreachable_mirror_raises_arm64_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "MIRROR", "http://127.0.0.1:9/debian")
    try:
        ensure_sysroot(PYTHON, cache_dir=tmp_path)
    except Arm64Unavailable as reason:
        assert "Failed to fetch" in str(reason) or "not found" in str(reason)
        assert "\n" not in str(reason)
    else:
        pytest.fail("no Arm64Unavailable for an unreachable mirror")


@pytest.mark.slow
def test_native_and_pure_wheels_import_under_emulation(
    arm64_python: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    pins = [pin(ROOT / "agent" / "requirements.txt", "httpx")]
    pins.append(pin(ROOT / "requirements.txt", "pydantic"))  # pins pydantic-core exactly
    requirements.write_text("\n".join([*pins, "pydantic-core"]) + "\n")
    target = tmp_path / "site"
    install_wheels(PYTHON, requirements, target)
    machine, native = run(arm64_python, WHEEL_CHECK, PYTHONPATH=str(target)).split("|")
    assert machine == "aarch64"
    assert native.endswith("-aarch64-linux-gnu.so") and native.startswith(str(target))
