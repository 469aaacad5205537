"""Benchmark many agents in one stack: synth time against an empty app, and what is synthesized.

Each variant runs in its own Python process (jsii start-up included, as for `cdk synth`):
an empty app (one empty stack), one `AgentRuntime`, 20 `AgentRuntime`s with default options,
and 20 of aws-cdk-lib's L2 `Runtime` for reference. Prints the median wall time of each, the
ratio to the empty app, the resource count and the count of the account-quota'd resource types.
Goal (issue 14): 20 agents within 1.5x the empty app, under 300 resources, at most one logs and
one X-Ray resource policy, topic and key.

With `--decompose`: 20 `AgentRuntime`s with observability off (role, policy and runtime only:
what the observability's 11 resources per runtime cost), and the empty app and 20 runtimes with
aws-cdk-lib's built-in CloudFormation validation off (`CDK_VALIDATION=false`, for measurement
only), to show how much of each figure that validation is.
Run: `make bench-scale` (ARGS=--decompose).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RUNS = 9
QUOTA_TYPES = (
    "AWS::Logs::ResourcePolicy",
    "AWS::XRay::ResourcePolicy",
    "AWS::SNS::Topic",
    "AWS::KMS::Key",
    "AWS::CloudWatch::Dashboard",
)
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/a:1"
PROGRAM = f"""
import sys
import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as l2
from agentcore_constructs import AgentRuntime, AgentRuntimeImage, ObservabilityOptions

agents, outdir, construct = int(sys.argv[1]), sys.argv[2], sys.argv[3]
options = {{"observability": ObservabilityOptions(enabled=False)}} if construct == "bare" else {{}}
app = cdk.App(outdir=outdir)
env = cdk.Environment(account="111122223333", region="eu-west-1")
stack = cdk.Stack(app, "AgentsStack", env=env)
for n in range(agents):
    if construct in ("ours", "bare"):
        AgentRuntime(
            stack, f"Agent{{n}}", runtime_name=f"agent_{{n}}",
            image=AgentRuntimeImage.from_image_uri("{IMAGE}"), **options,
        )
    else:
        l2.Runtime(
            stack, f"Agent{{n}}", runtime_name=f"agent_{{n}}",
            agent_runtime_artifact=l2.AgentRuntimeArtifact.from_image_uri("{IMAGE}"),
        )
app.synth()
"""


# A variant: (agents, construct, built-in validation on); construct is "ours" (defaults),
# "bare" (ours, observability off) or "l2".
Variant = tuple[int, str, bool]
LABELS = {"ours": "AgentRuntime", "bare": "AgentRuntime, obs. off", "l2": "aws-cdk-lib L2 Runtime"}


def synth(agents: int, construct: str, validated: bool) -> tuple[float, Counter[str]]:
    env = {**os.environ, **({} if validated else {"CDK_VALIDATION": "false"})}
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", PROGRAM, str(agents), outdir, construct],
            check=True,
            env=env,
            stderr=subprocess.DEVNULL,  # the empty app's "no resources" validation warning
        )
        elapsed = time.perf_counter() - started
        template = json.loads((Path(outdir) / "AgentsStack.template.json").read_text())
    return elapsed, Counter(r["Type"] for r in template.get("Resources", {}).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decompose", action="store_true", help="also run the split variants")
    decompose = parser.parse_args().decompose
    variants: list[Variant] = [
        (0, "ours", True),
        (1, "ours", True),
        (20, "ours", True),
        (20, "l2", True),
    ]
    if decompose:
        variants += [(20, "bare", True), (0, "ours", False), (20, "ours", False)]
    # Interleaved rounds, so drift in machine load hits every variant alike.
    timings: dict[Variant, list[float]] = {v: [] for v in variants}
    found: dict[Variant, Counter[str]] = {}
    for _ in range(RUNS):
        for variant in variants:
            elapsed, found[variant] = synth(*variant)
            timings[variant].append(elapsed)
    print(f"synth, median of {RUNS} runs (each a fresh Python + jsii process)")
    for agents, construct, validated in variants:
        median = statistics.median(timings[(agents, construct, validated)])
        # Each figure against the empty app synthesized the same way (validation on or off).
        empty = statistics.median(timings[(0, "ours", validated)])
        types = found[(agents, construct, validated)]
        label = "empty app" if agents == 0 else f"{agents} x {LABELS[construct]}"
        label += "" if validated else " (no validation)"
        quota = ", ".join(f"{t.removeprefix('AWS::')} {types[t]}" for t in QUOTA_TYPES)
        print(
            f"  {label:>44}: {median:6.2f} s  ({median / empty:4.2f}x empty)  "
            f"resources {sum(types.values()):3d}  [{quota}]"
        )


if __name__ == "__main__":
    main()
