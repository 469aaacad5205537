#!/usr/bin/env python3
"""CDK entry point: ``cdk synth|deploy -c env=<name>`` builds that environment's stack."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # A synth is a short process that allocates ~150,000 long-lived objects (the jsii bindings)
    # and little garbage: the cyclic collector's full passes over them cost ~0.1 s and free
    # nothing. (Importing this module, as the tests do, leaves the collector alone.)
    gc.disable()

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from agentcore_constructs import BundleError
from stacks.agent_runtime_stack import AgentRuntimeStack
from stacks.config import ConfigError, load_environment

AGENT_DIRECTORY = str(Path(__file__).parent / "agent")


def build_app(app: cdk.App, agent_directory: str = AGENT_DIRECTORY) -> AgentRuntimeStack:
    """Read the environment's config once and build its stack (raises ConfigError)."""
    config = load_environment(
        {"environments": app.node.try_get_context("environments")},
        app.node.try_get_context("env"),
    )
    stack = AgentRuntimeStack(
        app,
        config.stack_name,
        config=config,
        agent_directory=agent_directory,
        env=cdk.Environment(
            account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=config.region or os.environ.get("CDK_DEFAULT_REGION"),
        ),
        description=f"Strands agent on Bedrock AgentCore Runtime ({config.name})",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def main() -> None:
    app = cdk.App()
    try:
        build_app(app)
    except ConfigError as error:
        sys.exit(f"Configuration error:\n{error}")
    except BundleError as error:
        sys.exit(f"Code bundle error: {error}")
    app.synth()
    # The interpreter still collects at exit, collector disabled or not: spare it the objects
    # the jsii bindings leave (0.2-0.3 s of every `cdk synth`, see benchmarks/dev_loop.py);
    # exit handlers, jsii's included, still run.
    gc.freeze()


if __name__ == "__main__":
    main()
