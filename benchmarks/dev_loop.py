"""Benchmark the developer loop: `python app.py` for dev against an empty CDK app, and pytest.

Method (the same for both apps): the environment the pinned CDK CLI gives an app is captured
once, by `cdk synth -c env=dev` running a stand-in app that saves it (CDK_CONTEXT_JSON holds
cdk.json's context plus `env` and the CLI's own keys). Each app then runs as a plain process
with that environment, a fresh CDK_OUTDIR and the repository as working directory, so CLI
start-up is left out and both apps get the same feature flags. Runs alternate between the apps
so a change in machine load hits each; figures are medians. CPU is user+sys of the process and
its children (the jsii node process included).

The empty app: `cdk.App()`, one empty `Stack`, `app.synth()`. Its figure is also printed without
the project's context (no feature flags), for reference only.

With `--decompose`, three more runs per round show where the ratio comes from: the empty app
with cdk-nag's AwsSolutions pack registered as `app.py` does (what cdk-nag costs any app), and
both apps with aws-cdk-lib's built-in CloudFormation validation off (`CDK_VALIDATION=false`,
for measurement only: the project keeps it on). Ratios against each are printed.

Bytecode caching is on for both apps, as on a developer's machine: a sandbox that sets
PYTHONDONTWRITEBYTECODE would otherwise charge `app.py` for compiling the project's modules on
every run (the warm-up run writes the caches; aws-cdk-lib's come compiled at install).

With `--pytest`, the suite without the emulated-arm64 tests (`pytest -m "not arm64_emulated"
-q`, with pyproject's workers) is timed too, once per `--pytest-runs`; CPU there counts the
workers and the processes they start.
Timings are printed, never asserted. Run: `make bench-dev-loop` (ARGS="--pytest" for pytest).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
EMPTY_APP = """\
import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
"""
EMPTY_APP_WITH_NAG = EMPTY_APP.replace(
    "app.synth()",
    "from cdk_nag import AwsSolutionsChecks\n"
    "cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))\n"
    "app.synth()",
)
PASSED_FROM_CLI = ("CDK_", "AWS_")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def cli_environment(scratch: Path) -> tuple[dict[str, str], str]:
    """What `cdk synth -c env=dev` sets for its app (CDK_* and AWS_* variables), and how it
    was found."""
    saved = scratch / "cli-env.json"
    capture = (
        "import json, os, sys; "
        f"json.dump({{k: v for k, v in os.environ.items() if k.startswith({PASSED_FROM_CLI!r})}}, "
        f"open({str(saved)!r}, 'w')); sys.exit(3)"
    )
    if CDK.exists():
        subprocess.run(
            [
                str(CDK),
                "synth",
                "-c",
                "env=dev",
                "--quiet",
                "--output",
                str(scratch / "cli.out"),
                "--app",
                f'{sys.executable} -c "{capture}"',
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    if saved.exists():
        return json.loads(saved.read_text()), "captured from the pinned CLI"
    # No CLI: build what it would send (cdk.json context, -c env=dev, the CLI's defaults).
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(
        {
            "env": "dev",
            "aws:cdk:enable-path-metadata": True,
            "aws:cdk:enable-asset-metadata": True,
            "aws:cdk:version-reporting": True,
            "aws:cdk:bundling-stacks": ["**"],
        }
    )
    return {"CDK_CONTEXT_JSON": json.dumps(context)}, "built like the CLI's (no CLI found)"


def run_app(argv: list[str], env: dict[str, str], scratch: Path) -> tuple[float, float]:
    outdir = Path(tempfile.mkdtemp(dir=scratch))
    env = {**env, "CDK_OUTDIR": str(outdir)}
    for key in ("CDK_ERROR_FILE", "CDK_PERF_COUNTERS_FILE"):
        if key in env:
            env[key] = str(outdir / Path(env[key]).name)
    cpu, started = children_cpu(), time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{result.stderr[-3000:]}")
    shutil.rmtree(outdir, ignore_errors=True)
    return wall, children_cpu() - cpu


def summary(name: str, runs: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    spread = ", ".join(f"{r[0]:.2f}" for r in runs)
    print(f"  {name:34s} wall {wall:5.2f} s   cpu {cpu:5.2f} s   (walls: {spread})")
    return wall, cpu


def bench_synth(runs: int, scratch: Path, decompose: bool) -> None:
    cli_env, source = cli_environment(scratch)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(PASSED_FROM_CLI) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env = {**base, **cli_env}
    bare = {**base, "CDK_CONTEXT_JSON": "{}"}
    empty = scratch / "empty_app.py"
    empty.write_text(EMPTY_APP)
    apps = {
        "empty app (project context)": ([sys.executable, str(empty)], env),
        "python app.py (dev)": ([sys.executable, "app.py"], env),
        "empty app (no context, reference)": ([sys.executable, str(empty)], bare),
    }
    if decompose:
        with_nag = scratch / "empty_app_with_nag.py"
        with_nag.write_text(EMPTY_APP_WITH_NAG)
        unvalidated = {**env, "CDK_VALIDATION": "false"}
        apps |= {
            "empty app + cdk-nag": ([sys.executable, str(with_nag)], env),
            "empty app, no built-in validation": ([sys.executable, str(empty)], unvalidated),
            "app.py (dev), no built-in validation": ([sys.executable, "app.py"], unvalidated),
        }
    print(f"synth, median of {runs} alternating runs ({load()}); app environment {source}:")
    for argv, app_env in apps.values():  # warm the page cache and jsii's package cache
        run_app(argv, app_env, scratch)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    for _ in range(runs):
        for name, (argv, app_env) in apps.items():
            results[name].append(run_app(argv, app_env, scratch))
    figures = {name: summary(name, found) for name, found in results.items()}
    empty_wall, empty_cpu = figures["empty app (project context)"]
    dev_wall, dev_cpu = figures["python app.py (dev)"]
    print(
        f"  ratio dev / empty: wall {dev_wall / empty_wall:.2f}x   cpu {dev_cpu / empty_cpu:.2f}x"
    )
    if decompose:
        nag_wall, nag_cpu = figures["empty app + cdk-nag"]
        bare_empty = figures["empty app, no built-in validation"][0]
        bare_dev = figures["app.py (dev), no built-in validation"][0]
        print(
            f"  ratio dev / (empty + cdk-nag): wall {dev_wall / nag_wall:.2f}x   "
            f"cpu {dev_cpu / nag_cpu:.2f}x\n"
            f"  built-in validation's share: empty {empty_wall - bare_empty:.2f} s of "
            f"{empty_wall:.2f} s, dev {dev_wall - bare_dev:.2f} s of {dev_wall:.2f} s; "
            f"ratio without it {bare_dev / bare_empty:.2f}x"
        )
    print(f"  ({load()})")


def bench_pytest(runs: int) -> None:
    print(f"pytest -m 'not arm64_emulated' -q ({load()}):")
    for _ in range(runs):
        cpu, started = children_cpu(), time.perf_counter()
        # As a developer runs it: pyproject's options (workers), pytest's cache (the durations
        # the last run left, which order the work) included.
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-m", "not arm64_emulated", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
        print(f"  wall {wall:6.1f} s   cpu {children_cpu() - cpu:6.1f} s   {last}")
    print(f"  ({load()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="synth runs per app (default 7)")
    parser.add_argument(
        "--decompose", action="store_true", help="also run the variants that split the ratio"
    )
    parser.add_argument("--pytest", action="store_true", help="also time the pytest suite")
    parser.add_argument("--pytest-runs", type=int, default=1)
    parser.add_argument("--no-synth", action="store_true", help="skip the synth figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dev-loop-") as scratch:
        if not args.no_synth:
            bench_synth(args.runs, Path(scratch), args.decompose)
    if args.pytest:
        bench_pytest(args.pytest_runs)


if __name__ == "__main__":
    main()
