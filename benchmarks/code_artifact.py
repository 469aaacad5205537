"""Benchmark the code artifact against the container one.

Prints: bundle build cold (empty cache, pip runs) and warm; zip size; `python app.py` synth
time of dev as `code` and as `container`; resources and cdk-nag acknowledgments in each; and,
on emulated arm64 (QEMU, Debian's aarch64 CPython), start to /ping and to the first
tool-backed answer from the unpacked zip, without and with the bundler's ``bytecode`` option
(compiled by the emulated CPython 3.13, standing in for a local one).
Emulated figures are for comparing the two variants only; the service's are its own.
Run: `make bench-code` (needs PyPI for the cold build, deb.debian.org once for the sysroot).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentcore_constructs.code import Bundler, BundleSpec
from agentcore_constructs.code.bundle import BYTECODE_PYTHON_ENV
from tests.arm64.sysroot import ensure_qemu, ensure_sysroot, python_command, python_env
from tests.doubles.processes import clean_env, free_port, running_mcp_server

ROOT = Path(__file__).resolve().parents[1]
AGENT = ROOT / "agent"
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
SYNTH_RUNS = 3
EMULATED_RUNS = 2


def bundle_spec(bytecode: bool = False) -> BundleSpec:
    from stacks.agent_runtime_stack import CONTAINER_ONLY_FILES

    return BundleSpec(
        source=AGENT,
        python="3.13",
        requirements=AGENT / "requirements.lock",
        package="agent",
        exclude=CONTAINER_ONLY_FILES,
        bytecode=bytecode,
    )


def emulated_python(scratch: Path) -> Path:
    """A ``python3.13`` command for the bundler: the emulated aarch64 interpreter (bytecode is
    the same on every platform), so the benchmark measures the library's own option."""
    argv = python_command(ensure_sysroot(), ensure_qemu())
    wrapper = scratch / "python3.13"
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(argv) + ' "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def timed(action) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def synth(artifact: str, outdir: Path) -> float:
    context = json.loads(json.dumps(CONTEXT))
    context["environments"]["dev"]["runtime"]["artifact"] = artifact
    context["environments"]["dev"]["account"] = "123456789012"
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({**context, "env": "dev"})}
    env["CDK_OUTDIR"] = str(outdir)
    seconds, _ = timed(
        lambda: subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, check=True)
    )
    return seconds


def template_figures(outdir: Path) -> tuple[int, int]:
    template = json.loads((outdir / "agentcore-orders-dev.template.json").read_text())
    report = json.loads((outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    return len(template["Resources"]), len(nag["suppressedViolations"])


def emulated_start(bundle: Path, gateway_url: str, scratch: Path) -> tuple:
    argv = python_command(ensure_sysroot(), ensure_qemu())
    unpacked = Path(tempfile.mkdtemp(dir=scratch))
    zipfile.ZipFile(bundle).extractall(unpacked)
    doubles = unpacked.parent / f"{unpacked.name}-doubles"
    doubles.mkdir()
    shutil.copy(ROOT / "tests" / "doubles" / "scripted_model.py", doubles)
    port = free_port()
    env = clean_env(
        PORT=str(port),
        PYTHONPATH=str(doubles),
        AGENT_MODEL_FACTORY="scripted_model:ScriptedOrderModelTestDouble",
        GATEWAY_ENDPOINT=gateway_url,
        GATEWAY_AUTH="none",
        GATEWAY_TIMEOUT_SECONDS="120",
        **python_env(Path()),
    )
    began = time.perf_counter()
    process = subprocess.Popen(
        [*argv, "main.py"],
        cwd=unpacked,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        ready = time.perf_counter() - began
        reply = httpx.post(
            f"http://127.0.0.1:{port}/invocations",
            json={"prompt": "Where is ORD-1234?"},
            timeout=900,
        )
        assert reply.status_code == 200 and "FedEx" in reply.json()["response"], reply.text
        answered = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(60)
    return ready, answered


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        bundler = Bundler(scratch / "cache")
        cold, bundle = timed(lambda: bundler.build(bundle_spec()))
        warm = statistics.median(timed(lambda: bundler.build(bundle_spec()))[0] for _ in range(5))
        assert isinstance(bundle, Path)
        with zipfile.ZipFile(bundle) as zf:
            unzipped = sum(i.file_size for i in zf.infolist())
        print(f"bundle build: cold {cold:.1f} s, warm {warm * 1000:.0f} ms")
        zipped = bundle.stat().st_size
        print(f"zip: {zipped / 1_048_576:.1f} MiB, {unzipped / 1_048_576:.1f} MiB unzipped")

        for artifact in ("container", "code"):
            outdir = scratch / f"out-{artifact}"
            synth(artifact, outdir)  # warm the bundle cache and Node's module cache
            seconds = statistics.median(synth(artifact, outdir) for _ in range(SYNTH_RUNS))
            resources, acknowledgments = template_figures(outdir)
            print(
                f"synth dev as {artifact}: {seconds:.2f} s (median of {SYNTH_RUNS}), "
                f"{resources} resources, {acknowledgments} nag acknowledgments"
            )

        os.environ[BYTECODE_PYTHON_ENV] = str(emulated_python(scratch))
        compiled = bundler.build(bundle_spec(bytecode=True))
        with running_mcp_server(scratch) as gateway:
            for precompile, zipped in ((False, bundle), (True, compiled)):
                runs = [emulated_start(zipped, gateway.url, scratch) for _ in range(EMULATED_RUNS)]
                ready = statistics.median(r[0] for r in runs)
                answer = statistics.median(r[1] for r in runs)
                label = "with precompiled bytecode" if precompile else "without bytecode"
                print(
                    f"emulated arm64, {label}: start to /ping {ready:.1f} s, "
                    f"start to first tool-backed answer {answer:.1f} s"
                )


if __name__ == "__main__":
    main()
