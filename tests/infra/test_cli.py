"""The app as users run it: through the pinned CDK CLI and as a plain process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CDK_CONTEXT, ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"


def run_app(context: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run app.py the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_unknown_env_is_one_clear_line(tmp_path: Path) -> None:
    result = run_app({**CDK_CONTEXT, "env": "staging"}, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Configuration error:",
        "unknown environment 'staging': pass -c env=<name> (one of: dev, prod)",
    ]


def test_bad_value_is_one_line_per_problem(tmp_path: Path) -> None:
    context = json.loads(json.dumps(CDK_CONTEXT))
    context["environments"]["dev"]["runtime"]["max_lifetime_seconds"] = 99999
    result = run_app({**context, "env": "dev"}, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        "environments.dev.runtime.max_lifetime_seconds: Input should be less than or equal to "
        "28800 (got 99999); fix it in cdk.json"
    ) in result.stderr.splitlines()


@pytest.mark.skipif(not CDK.exists(), reason="run `make install` to get the pinned CDK CLI")
def test_cdk_synth_through_the_pinned_cli(tmp_path: Path) -> None:
    """`cdk synth -c env=dev` works offline with no Docker and no AWS credentials."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_DEFAULT"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(CDK), "synth", "-c", "env=dev", "--quiet", "--output", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    template = json.loads((out / "agentcore-orders-dev.template.json").read_text())
    assert any(
        r["Type"] == "AWS::BedrockAgentCore::Runtime" for r in template["Resources"].values()
    )
