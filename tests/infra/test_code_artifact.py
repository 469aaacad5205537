"""`runtime.artifact: code`: the same app without a container, ECR or copy function."""

from __future__ import annotations

import json
import zipfile

from cfnlint.api import lint

from .conftest import ROOT, Synthesized


def runtime_properties(env: Synthesized) -> dict:
    return env.only("AWS::BedrockAgentCore::Runtime")["Properties"]


def test_no_ecr_no_copy_no_image(dev_code: Synthesized) -> None:
    assert dev_code.resources("AWS::ECR::Repository") == {}
    assert dev_code.resources("Custom::EcrImageCopy") == {}
    functions = dev_code.resources("AWS::Lambda::Function")
    assert len(functions) == 1 and all("OrderTools" in f for f in functions), "only the tool"
    manifest = json.loads(
        (dev_code.outdir / f"{dev_code.stack.stack_name}.assets.json").read_text()
    )
    assert manifest.get("dockerImages", {}) == {}, "nothing for Docker to build"
    assert "EcrRepositoryUri" not in dev_code.json["Outputs"]
    assert dev_code.json["Outputs"]["Artifact"]["Value"] == "code"


def test_runtime_runs_the_bundled_zip_on_python_3_13(dev_code: Synthesized) -> None:
    code = runtime_properties(dev_code)["AgentRuntimeArtifact"]["CodeConfiguration"]
    assert code["Runtime"] == "PYTHON_3_13"
    assert code["EntryPoint"] == ["main.py"]
    s3 = code["Code"]["S3"]
    assert s3["Bucket"] == "cdk-hnb659fds-assets-123456789012-us-east-1"
    bundle = dev_code.outdir / f"asset.{s3['Prefix']}"  # CDK stages file assets by hash
    names = set(zipfile.ZipFile(bundle).namelist())
    assert "main.py" in names and "agent/server.py" in names and "agent/__main__.py" in names
    assert "strands/__init__.py" in names and "uvicorn/__init__.py" in names
    assert not {"agent/Dockerfile", "agent/requirements.txt", "agent/requirements.lock"} & names


def test_execution_role_gets_no_ecr_and_no_s3(dev_code: Synthesized) -> None:
    """The deploying principal reads the zip, not the runtime (README cites the docs)."""
    policy = next(
        p
        for k, p in dev_code.resources("AWS::IAM::Policy").items()
        if k.startswith("AgentRuntimeExecutionPolicy")
    )
    actions = json.dumps(policy["Properties"]["PolicyDocument"])
    assert "ecr:" not in actions and "s3:" not in actions
    assert "bedrock:InvokeModel" in actions and "bedrock-agentcore:InvokeGateway" in actions


def test_everything_else_is_as_with_the_container(dev: Synthesized, dev_code: Synthesized) -> None:
    container, code = runtime_properties(dev), runtime_properties(dev_code)
    for key in set(container) - {"AgentRuntimeArtifact"}:
        assert container[key] == code[key], key
    for kind in (
        "AWS::BedrockAgentCore::Gateway",
        "AWS::CloudWatch::Alarm",
        "AWS::Logs::Delivery",
        "AWS::SNS::Topic",
    ):
        assert len(dev.resources(kind)) == len(dev_code.resources(kind)), kind
    shared = set(dev.json["Outputs"]) - {"EcrRepositoryUri", "Artifact"}
    assert shared <= set(dev_code.json["Outputs"])


def test_nag_and_cfn_lint_are_clean(dev_code: Synthesized) -> None:
    report = json.loads((dev_code.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["violations"] == [] and nag["conclusion"] == "success"
    template = dev_code.outdir / f"{dev_code.stack.stack_name}.template.json"
    matches = lint(template.read_text(), regions=["us-east-1"])
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_the_lock_pins_what_requirements_pin() -> None:
    pins = {
        line.split("==")[0].split("[")[0].lower(): line.split("==")[1].strip()
        for line in (ROOT / "agent" / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    locked = {
        line.split("==")[0]: line.split("==")[1].split()[0]
        for line in (ROOT / "agent" / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert {name: locked.get(name) for name in pins} == pins, "run `make lock`"
    assert all(
        "--hash=sha256:" in line
        for line in (ROOT / "agent" / "requirements.lock").read_text().splitlines()
        if "==" in line
    )
