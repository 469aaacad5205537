"""Synthesize each environment once per test session (jsii start-up is the slow part)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from app import build_app
from stacks.agent_runtime_stack import AgentRuntimeStack

ROOT = Path(__file__).resolve().parents[2]
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
ACCOUNT = "123456789012"


@dataclass
class Synthesized:
    """One environment's stack, template and cloud assembly directory."""

    stack: AgentRuntimeStack
    template: Template
    outdir: Path

    @property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()

    def resources(self, resource_type: str) -> dict[str, Any]:
        return self.template.find_resources(resource_type)

    def only(self, resource_type: str) -> dict[str, Any]:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {list(found)}"
        return next(iter(found.values()))


def synthesize(
    env_name: str,
    outdir: Path,
    mutate: Callable[[dict[str, Any]], None] | None = None,
    after_build: Callable[[AgentRuntimeStack], None] | None = None,
) -> Synthesized:
    """Build the app as `cdk synth -c env=<env_name>` would, with an optional config edit."""
    context = copy.deepcopy(CDK_CONTEXT)
    if mutate is not None:
        mutate(context["environments"][env_name])
    context["env"] = env_name
    context["environments"][env_name]["account"] = ACCOUNT
    app = cdk.App(context=context, outdir=str(outdir))
    stack = build_app(app)
    if after_build is not None:
        after_build(stack)
    app.synth()
    return Synthesized(stack, Template.from_stack(stack), outdir)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("dev", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("prod", tmp_path_factory.mktemp("prod"))


@pytest.fixture(scope="session")
def dev_code(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """dev switched to the code artifact by its one key (bundled with the user's cache)."""
    return synthesize(
        "dev",
        tmp_path_factory.mktemp("dev-code"),
        mutate=lambda env: env["runtime"].update(artifact="code"),
    )


@pytest.fixture(scope="session")
def dev_a2a(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """dev with runtime.protocol A2A: the runtime and the container agree through one key."""
    return synthesize(
        "dev",
        tmp_path_factory.mktemp("dev-a2a"),
        mutate=lambda env: env["runtime"].update(protocol="A2A"),
    )


@pytest.fixture(scope="session", params=["dev", "prod"])
def each_env(request: pytest.FixtureRequest) -> Synthesized:
    return request.getfixturevalue(request.param)
