"""cdk-nag and cfn-lint over every environment's synthesized template."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cfnlint.api import lint

from .conftest import ROOT, Synthesized, synthesize


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


CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_CONFIG = ROOT / ".checkov.yaml"


def checkov(templates: list[Path], *extra: str, cwd: Path = ROOT) -> dict:
    """Run the pinned checkov (its own virtualenv: its pins clash with the app's) in ``cwd``."""
    assert CHECKOV.exists(), "checkov is missing: `make install` creates .venv-checkov"
    command = [str(CHECKOV), "--output", "json", *extra]
    for template in templates:
        command += ["--file", str(template)]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout)


def templates(dev: Synthesized, prod: Synthesized) -> list[Path]:
    return [e.outdir / f"{e.stack.stack_name}.template.json" for e in (dev, prod)]


def reasoned_skips() -> dict[str, str]:
    """Each ``- CKV_...`` entry of .checkov.yaml with the comment block above it."""
    skips: dict[str, str] = {}
    comment: list[str] = []
    for line in CHECKOV_CONFIG.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif stripped.startswith("- CKV"):
            skips[stripped[2:]] = " ".join(comment)
            comment = []
        else:
            comment = []
    return skips


def test_checkov_passes_on_every_environment(dev: Synthesized, prod: Synthesized) -> None:
    report = checkov(templates(dev, prod))  # reads .checkov.yaml from the working directory
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [] and summary["parsing_errors"] == 0
    assert summary["passed"] > 100, "checkov ran its CloudFormation checks"


def test_each_checkov_skip_has_a_reason_and_a_finding(
    dev: Synthesized, prod: Synthesized, tmp_path: Path
) -> None:
    skips = reasoned_skips()
    for check_id, reason in skips.items():
        assert check_id in reason and len(reason) > 120, f"{check_id} needs a specific reason"
    # Elsewhere checkov finds no .checkov.yaml, so every check runs.
    without_skips = checkov(
        templates(dev, prod), "--framework", "cloudformation", "--skip-download", cwd=tmp_path
    )
    found = {c["check_id"] for c in without_skips["results"]["failed_checks"]}
    assert found == set(skips), "a skip without a finding is stale; a finding needs a reason"
