"""cdk-nag and cfn-lint over every environment's synthesized template."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import lint

from .conftest import Synthesized, synthesize


def errors_and_warnings(template_text: str) -> list[str]:
    """What `cfn-lint` prints by default: errors and warnings, not informational rules."""
    matches = lint(template_text, regions=["us-east-1"])
    return [str(m) for m in matches if m.rule.id[0] in "EW"]


def test_nag_has_no_unacknowledged_findings(each_env: Synthesized) -> None:
    report = json.loads((each_env.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["violations"] == []
    assert nag["conclusion"] == "success"
    for acknowledged in nag["suppressedViolations"]:
        assert len(acknowledged["reason"]) > 40, acknowledged["acknowledgedId"]


def test_nag_acknowledgments_are_exact_ids(each_env: Synthesized) -> None:
    report = json.loads((each_env.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    ids = {a["acknowledgedId"] for a in nag["suppressedViolations"]}
    assert "AwsSolutions::AwsSolutions-IAM5" not in ids, "a bare rule id hides new wildcards"
    assert all(not i.startswith("AwsSolutions::AwsSolutions-IAM5") or "[" in i for i in ids)


def test_nag_catches_a_new_wildcard(tmp_path) -> None:
    """The guardrail works both ways: an unacknowledged wildcard fails synth."""
    from aws_cdk import aws_iam as iam

    def add_wildcard(stack) -> None:
        stack.runtime.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::*/*"])
        )

    with pytest.raises(RuntimeError, match=r"AwsSolutions-IAM5\[Resource::arn:aws:s3:::\*/\*\]"):
        synthesize("dev", tmp_path, after_build=add_wildcard)


def test_cfn_lint_reports_nothing(each_env: Synthesized) -> None:
    template_path = each_env.outdir / f"{each_env.stack.stack_name}.template.json"
    assert errors_and_warnings(template_path.read_text()) == []


def test_cfn_lint_knows_the_runtime_schema() -> None:
    """The seed's invented properties are caught: the schema check is real."""
    template = {
        "Resources": {
            "Runtime": {
                "Type": "AWS::BedrockAgentCore::Runtime",
                "Properties": {
                    "AgentRuntimeName": "agentic-aws-runtime-dev",
                    "RoleArn": "arn:aws:iam::123456789012:role/x",
                    "AgentRuntimeArtifact": {
                        "ContainerConfiguration": {
                            "ContainerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1"
                        }
                    },
                    "ComputeConfiguration": {"Cpu": 1024, "Memory": 2048},
                },
            }
        }
    }
    (found,) = errors_and_warnings(json.dumps(template))
    assert "'ComputeConfiguration' was unexpected" in found
    # The schema's name pattern is unanchored, so cfn-lint accepts hyphens the service
    # rejects (ERRATA 13): the construct's own validation is what catches those.
