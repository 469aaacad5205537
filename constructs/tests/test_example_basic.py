"""The example app (examples/basic) synthesizes, without Docker, and cdk-nag finds nothing in it
that is not acknowledged."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "basic" / "app.py"
ENV = cdk.Environment(account="111122223333", region="eu-west-1")


def load_example() -> ModuleType:
    """By path and under its own name: `app` is also the name of the app repository's entry."""
    spec = importlib.util.spec_from_file_location("agentcore_constructs_example_basic", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Template]:
    outdir = tmp_path_factory.mktemp("example-basic")
    app = load_example().build_app(cdk.App(outdir=str(outdir)), env=ENV)
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag found something: the report says what
        if "ValidationFailed" not in str(error):
            raise
    template = json.loads((outdir / "BasicAgent.template.json").read_text())
    return outdir, Template.from_json(template)


def test_nag_reports_nothing_unacknowledged(synthesized) -> None:
    outdir, _ = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    unacknowledged = [
        f"{v['ruleName']} at {c['constructPath']}"
        for v in nag["violations"]
        for c in v["violatingConstructs"]
    ]
    assert unacknowledged == []
    assert nag["conclusion"] == "success"
    for acknowledged in nag["suppressedViolations"]:
        assert "[" in acknowledged["acknowledgedId"] or "IAM5" not in acknowledged["acknowledgedId"]
        assert len(acknowledged["reason"]) > 40, acknowledged["acknowledgedId"]


def test_runtime_memory_and_caller(synthesized) -> None:
    outdir, template = synthesized
    template.resource_count_is("AWS::BedrockAgentCore::Runtime", 1)
    template.resource_count_is("AWS::BedrockAgentCore::Memory", 1)
    (runtime,) = template.find_resources("AWS::BedrockAgentCore::Runtime").values()
    env = runtime["Properties"]["EnvironmentVariables"]
    assert env["MODEL_ID"] == "global.anthropic.claude-sonnet-4-6"
    assert "Fn::GetAtt" in env["MEMORY_ID"]
    caller_policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if any("Caller" in r["Ref"] for r in p["Properties"].get("Roles", []))
    ]
    actions = {
        a
        for p in caller_policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert "bedrock-agentcore:InvokeAgentRuntime" in actions
    # The image is an asset: staged into the assembly at synth, built only by `cdk deploy`.
    assets = json.loads((outdir / "BasicAgent.assets.json").read_text())
    (image,) = assets["dockerImages"].values()
    assert image["source"]["platform"] == "linux/arm64"
