"""Benchmark many agents in one stack: synth time against an empty app, and what is synthesized.

Each variant runs in its own Python process (jsii start-up included, as for `cdk synth`):
an empty app (one empty stack), one `AgentRuntime`, and 20 `AgentRuntime`s with default
options. Prints the median wall time of each, the ratio to the empty app, the resource count
and the count of the account-quota'd resource types. Goal (issue 14): 20 agents within 1.5x
the empty app, under 300 resources, at most one logs / X-Ray resource policy, topic and key.
Run: `make bench-scale`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RUNS = 5
QUOTA_TYPES = (
    "AWS::Logs::ResourcePolicy",
    "AWS::XRay::ResourcePolicy",
    "AWS::SNS::Topic",
    "AWS::KMS::Key",
    "AWS::CloudWatch::Dashboard",
)
PROGRAM = """
import sys
import aws_cdk as cdk
from agentcore_constructs import AgentRuntime, AgentRuntimeImage

agents = int(sys.argv[1])
app = cdk.App(outdir=sys.argv[2])
env = cdk.Environment(account="111122223333", region="eu-west-1")
stack = cdk.Stack(app, "AgentsStack", env=env)
for n in range(agents):
    AgentRuntime(
        stack, f"Agent{n}", runtime_name=f"agent_{n}",
        image=AgentRuntimeImage.from_image_uri("111122223333.dkr.ecr.eu-west-1.amazonaws.com/a:1"),
    )
app.synth()
"""


def synth(agents: int) -> tuple[float, Counter[str]]:
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", PROGRAM, str(agents), outdir],
            check=True,
            stderr=subprocess.DEVNULL,  # the empty app's "no resources" validation warning
        )
        elapsed = time.perf_counter() - started
        template = json.loads((Path(outdir) / "AgentsStack.template.json").read_text())
    return elapsed, Counter(r["Type"] for r in template.get("Resources", {}).values())


def main() -> None:
    results = {}
    for agents in (0, 1, 20):
        times, found = [], Counter[str]()
        for _ in range(RUNS):
            elapsed, found = synth(agents)
            times.append(elapsed)
        results[agents] = (statistics.median(times), found)
    empty = results[0][0]
    print(f"synth, median of {RUNS} runs (each a fresh Python + jsii process)")
    for agents, (median, found) in results.items():
        label = "empty app" if agents == 0 else f"{agents} agent(s)"
        quota = ", ".join(f"{t.split('::')[-1]} {found[t]}" for t in QUOTA_TYPES)
        print(
            f"  {label:>11}: {median:6.2f} s  ({median / empty:4.2f}x empty)  "
            f"resources {sum(found.values()):3d}  [{quota}]"
        )


if __name__ == "__main__":
    main()
