"""The code artifact: deterministic, cached bundles built without Docker, and its wiring.

Bundles resolve real wheels from PyPI for linux/aarch64 (small ones here; the app's own bundle
is exercised in tests/infra and run on emulated arm64 in tests/arm64).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from agentcore_constructs import (
    AgentPython,
    AgentRuntime,
    AgentRuntimeCode,
    AgentRuntimeImage,
    AgentRuntimeValidationError,
    BundleError,
)
from agentcore_constructs.code import bundle as bundle_module
from agentcore_constructs.code.bundle import Bundler, BundleSpec

ENV = cdk.Environment(account="111122223333", region="eu-west-1")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny agent package with a one-wheel lock (idna: pure Python, so any platform)."""
    package = tmp_path / "project" / "tiny_agent"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import idna\nprint('tiny agent up', idna.encode('b\\u00fccher.example').decode())\n"
    )
    (package / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    (package / "tool.sh").chmod(0o775)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "junk.pyc").write_bytes(b"junk")
    (package / "Dockerfile").write_text("FROM scratch\n")
    lock = tmp_path / "project" / "requirements.lock"
    lock.write_text("idna==3.10\n")
    return package


class CountingRunner:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, command: list[str]) -> subprocess.CompletedProcess:
        self.calls += 1
        return subprocess.run(command, capture_output=True, text=True, check=False)


def spec(package: Path, **overrides) -> BundleSpec:
    values = {
        "source": package,
        "python": "3.13",
        "requirements": package.parent / "requirements.lock",
        "package": "tiny_agent",
        "exclude": ("Dockerfile",),
    }
    return BundleSpec(**{**values, **overrides})


def test_same_source_and_lock_give_a_byte_identical_zip(project: Path, tmp_path: Path) -> None:
    first = Bundler(tmp_path / "cache-a").build(spec(project))
    second = Bundler(tmp_path / "cache-b").build(spec(project))  # cold: pip runs again
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as bundle:
        infos = bundle.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert modes["tiny_agent/tool.sh"] == 0o755 and modes["main.py"] == 0o644
        assert {i.create_system for i in infos} == {3}
        assert "idna/__init__.py" in names and "tiny_agent/__main__.py" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith("Dockerfile")]


def test_the_generated_entry_point_runs_the_package(project: Path, tmp_path: Path) -> None:
    built = Bundler(tmp_path / "cache").build(spec(project))
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(built).extractall(unpacked)
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=unpacked, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "tiny agent up xn--bcher-kva.example"


def test_a_warm_cache_runs_pip_only_when_the_lock_changes(project: Path, tmp_path: Path) -> None:
    runner = CountingRunner()
    bundler = Bundler(tmp_path / "cache", runner=runner)
    first = bundler.build(spec(project))
    assert runner.calls == 1
    assert bundler.build(spec(project)) == first and runner.calls == 1
    (project / "__main__.py").write_text("print('changed')\n")
    changed = bundler.build(spec(project))
    assert changed != first and runner.calls == 1, "code changes reuse the installed wheels"
    (project.parent / "requirements.lock").write_text("idna==3.10\nsix==1.17.0\n")
    bundler.build(spec(project))
    assert runner.calls == 2


def test_a_package_without_an_aarch64_wheel_fails_in_one_line(
    project: Path, tmp_path: Path
) -> None:
    (project.parent / "requirements.lock").write_text("pywin32==311\n")
    with pytest.raises(BundleError) as raised:
        Bundler(tmp_path / "cache").build(spec(project))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("pywin32 has no wheel for linux/aarch64 CPython 3.13")
    assert "pin a version that publishes one" in message


def test_a_bundle_over_the_size_limit_fails_in_one_line(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_module, "MAX_UNZIPPED_BYTES", 64 * 1024)
    with pytest.raises(
        BundleError, match=r"^the code bundle is \d+ MiB unzipped; AgentCore allows"
    ):
        Bundler(tmp_path / "cache").build(spec(project))


def test_console_scripts_get_a_portable_shebang(project: Path, tmp_path: Path) -> None:
    (project.parent / "requirements.lock").write_text("idna==3.10\nwheel==0.45.1\n")
    built = Bundler(tmp_path / "cache").build(spec(project))
    with zipfile.ZipFile(built) as bundle:
        script = bundle.read("bin/wheel")
        mode = (bundle.getinfo("bin/wheel").external_attr >> 16) & 0o777
    assert script.startswith(b"#!/usr/bin/env python3\n") and mode == 0o755
    assert sys.executable.encode() not in script


def synth(**props) -> Template:
    stack = cdk.Stack(cdk.App(), "CodeStack", env=ENV)
    AgentRuntime(stack, "Agent", runtime_name="code_agent", **props)
    return Template.from_stack(stack)


def test_runtime_with_a_bundled_directory(project: Path, tmp_path: Path) -> None:
    code = AgentRuntimeCode.from_directory(
        str(project),
        module="tiny_agent",
        requirements=str(project.parent / "requirements.lock"),
        python=AgentPython.PYTHON_3_12,
        bundler=Bundler(tmp_path / "cache"),
    )
    template = synth(code=code, model_ids=["us.anthropic.claude-sonnet-4-6"])
    (runtime,) = template.find_resources("AWS::BedrockAgentCore::Runtime").values()
    configuration = runtime["Properties"]["AgentRuntimeArtifact"]["CodeConfiguration"]
    assert configuration["Runtime"] == "PYTHON_3_12" and configuration["EntryPoint"] == ["main.py"]
    assert configuration["Code"]["S3"]["Prefix"].endswith(".zip")
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    document = str(policy["Properties"]["PolicyDocument"])
    assert "ecr:" not in document and "s3:" not in document


def test_runtime_from_a_bucket() -> None:
    stack = cdk.Stack(cdk.App(), "BucketStack", env=ENV)
    bucket = s3.Bucket.from_bucket_name(stack, "Code", "team-agent-code")
    AgentRuntime(
        stack,
        "Agent",
        runtime_name="bucket_agent",
        code=AgentRuntimeCode.from_bucket(
            bucket,
            "agents/v7.zip",
            entry_point=["opentelemetry-instrument", "main.py"],
            version_id="v7abc",
        ),
    )
    (runtime,) = (
        Template.from_stack(stack).find_resources("AWS::BedrockAgentCore::Runtime").values()
    )
    assert runtime["Properties"]["AgentRuntimeArtifact"]["CodeConfiguration"] == {
        "Code": {
            "S3": {"Bucket": "team-agent-code", "Prefix": "agents/v7.zip", "VersionId": "v7abc"}
        },
        "EntryPoint": ["opentelemetry-instrument", "main.py"],
        "Runtime": "PYTHON_3_13",
    }


@pytest.mark.parametrize(
    ("artifacts", "expected"),
    [
        ({}, "image/code='0 given': give exactly one artifact"),
        (
            {
                "image": AgentRuntimeImage.from_image_uri(
                    "111122223333.dkr.ecr.eu-west-1.amazonaws.com/a:1"
                ),
                "code": AgentRuntimeCode.from_bucket(
                    s3.Bucket.from_bucket_name(cdk.Stack(), "B", "code-bucket"),
                    "k.zip",
                    entry_point=["main.py"],
                ),
            },
            "image/code='2 given': give exactly one artifact",
        ),
        (
            {
                "code": AgentRuntimeCode.from_bucket(
                    s3.Bucket.from_bucket_name(cdk.Stack(), "B", "code-bucket"),
                    "k.zip",
                    entry_point=[],
                )
            },
            "code.entry_point=[]: give 1 or 2 items",
        ),
        (
            {
                "code": AgentRuntimeCode.from_bucket(
                    s3.Bucket.from_bucket_name(cdk.Stack(), "B", "code-bucket"),
                    "k.zip",
                    entry_point=["a", "b", "main.py"],
                )
            },
            "code.entry_point=['a', 'b', 'main.py']: give 1 or 2 items",
        ),
        (
            {
                "code": AgentRuntimeCode.from_directory(
                    "/nonexistent/agent", entry_point=["main.py"]
                )
            },
            "code.path='/nonexistent/agent': must be an existing directory",
        ),
        (
            {"code": AgentRuntimeCode.from_directory("/tmp", module="my-agent")},
            "code.module='my-agent': must be a top-level package name",
        ),
    ],
)
def test_artifact_validation(artifacts, expected) -> None:
    with pytest.raises(AgentRuntimeValidationError) as raised:
        synth(**artifacts)
    assert expected in str(raised.value)


def test_entry_point_file_must_exist(project: Path) -> None:
    with pytest.raises(
        AgentRuntimeValidationError, match=r"code.entry_point='app.py': is not a file in"
    ):
        synth(code=AgentRuntimeCode.from_directory(str(project), entry_point=["app.py"]))


def test_precompiled_bytecode_is_deterministic_and_used(project: Path, tmp_path: Path) -> None:
    """Compiled by a CPython of the target version (here the host's own, 3.11)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    compiled = spec(project, python=version, bytecode=True)
    first = Bundler(tmp_path / "a").build(compiled)
    assert first.read_bytes() == Bundler(tmp_path / "b").build(compiled).read_bytes()
    names = zipfile.ZipFile(first).namelist()
    tag = f"cpython-{version.replace('.', '')}"
    assert f"tiny_agent/__pycache__/__main__.{tag}.pyc" in names
    assert f"idna/__pycache__/core.{tag}.pyc" in names
    assert first != Bundler(tmp_path / "a").build(spec(project, python=version))
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(first).extractall(unpacked)
    unpacked.chmod(0o555)  # read-only, as deployed code may be: nothing to write, all precompiled
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "main.py"],
        cwd=unpacked,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "tiny agent up xn--bcher-kva.example"


def test_bytecode_without_a_matching_interpreter_fails_in_one_line(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_BYTECODE_PYTHON", sys.executable)
    with pytest.raises(
        BundleError, match=r"^precompiled bytecode needs a CPython 3\.9 on this machine"
    ):
        Bundler(tmp_path / "cache").build(spec(project, python="3.9", bytecode=True))
