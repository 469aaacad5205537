"""Every config rule fails with one line that names the key, the value and the fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks.config import ConfigError, load_environment

from .conftest import CDK_CONTEXT

GOOD_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/orders-gw-abc123"


def load_with(env: str, edit) -> Any:
    context = copy.deepcopy(CDK_CONTEXT)
    edit(context["environments"][env])
    return load_environment(context, env)


def error_lines(env: str, edit) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_with(env, edit)
    return str(raised.value).splitlines()


def test_shipped_environments_load() -> None:
    dev = load_environment(CDK_CONTEXT, "dev")
    prod = load_environment(CDK_CONTEXT, "prod")
    assert (dev.runtime.idle_timeout_seconds, dev.runtime.max_lifetime_seconds) == (600, 3600)
    assert (prod.runtime.idle_timeout_seconds, prod.runtime.max_lifetime_seconds) == (1800, 28800)
    assert dev.runtime.authorizer == "iam" and prod.runtime.authorizer == "cognito_jwt"
    assert prod.cognito.deletion_protection and prod.ecr.removal_policy == "retain"
    assert dev.observability.log_retention_days < prod.observability.log_retention_days
    assert dev.stack_name == "agentcore-orders-dev"


@pytest.mark.parametrize("env_name", ["nope", "", None])
def test_unknown_or_missing_env_lists_the_known_ones(env_name) -> None:
    with pytest.raises(ConfigError) as raised:
        load_environment(CDK_CONTEXT, env_name)
    message = str(raised.value)
    assert len(message.splitlines()) == 1
    assert "-c env=<name>" in message and "dev, prod" in message


def test_missing_environments_block() -> None:
    with pytest.raises(ConfigError, match=r"context\.environments is missing"):
        load_environment({}, "dev")


def set_path(path: str, value: Any):
    def edit(env: dict) -> None:
        *parents, leaf = path.split(".")
        node = env
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    return edit


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("runtime.idle_timeout_seconds", 59, "greater than or equal to 60"),
        ("runtime.idle_timeout_seconds", 28801, "less than or equal to 28800"),
        ("runtime.max_lifetime_seconds", 30000, "less than or equal to 28800"),
        ("runtime.max_lifetime_seconds", "3600", "valid integer"),
        ("runtime.name", "orders-agent", "[a-zA-Z][a-zA-Z0-9_]{0,47}"),
        ("runtime.name", "a" * 49, "[a-zA-Z][a-zA-Z0-9_]{0,47}"),
        ("runtime.protocol", "GRPC", "'HTTP', 'MCP', 'A2A' or 'AGUI'"),
        ("runtime.authorizer", "jwt", "'cognito_jwt' or 'iam'"),
        ("runtime.environment_variables", {"1BAD": "x"}, "pattern"),
        ("runtime.environment_variables", {"OK": "x" * 2049}, "at most 2048"),
        (
            "runtime.environment_variables",
            {"AGENT_PROTOCOL": "A2A"},
            "AGENT_PROTOCOL comes from runtime.protocol: set that key instead",
        ),
        ("runtime.artifact", "zip", "'container' or 'code'"),
        ("runtime.network", {"mode": "VPC"}, "mode VPC needs create_vpc, or vpc_id + subnet_ids"),
        (
            "runtime.network",
            {"mode": "VPC", "vpc_id": "vpc-0123abcd", "security_group_ids": ["sg-0123abcd"]},
            "with vpc_id give subnet_ids",
        ),
        (
            "runtime.secrets",
            {"KEY": {"name": "a", "create": True}},
            "exactly one of name, arn or create",
        ),
        ("observability.traces", "otlp", "traces otlp needs observability.otlp_endpoint"),
        ("observability.otlp_endpoint", "https://otel.example.com", "only used with traces otlp"),
        ("observability.otlp_api_key_secret", "MISSING", "only used with traces otlp"),
        ("runtime.network", {"mode": "PUBLIC", "subnet_ids": ["subnet-0123abcd"]}, "only used"),
        ("runtime.network.subnet_ids", ["subnet-xyz"], "pattern"),
        ("gateway", {"endpoint": "http://gw.example.com/mcp", "arn": GOOD_ARN}, "https"),
        (
            "gateway",
            {"endpoint": "https://gw.example.com/mcp", "arn": "arn:aws:bedrock:x"},
            "gateway",
        ),
        ("gateway", {"endpoint": "https://gw.example.com/mcp"}, "is required: add it"),
        ("account", "12345", r"\d{12}"),
        ("region", "useast1", "pattern"),
        ("ecr.keep_last_images", 0, "greater than or equal to 1"),
        ("ecr.removal_policy", "snapshot", "'destroy' or 'retain'"),
        ("cognito.domain_prefix", "Orders", "lowercase"),
        ("cognito.domain_prefix", "-orders", "not starting or ending with a hyphen"),
        ("cognito.domain_prefix", "my-amazon-agents", "reserved word(s) amazon"),
        ("observability.log_retention_days", 10, "CloudWatch's values"),
        ("observability.alarm_email", "not-an-email", "pattern"),
        ("observability.throttles_threshold", 0, "greater than or equal to 1"),
        ("runtime.cpu", 1024, "unknown key"),
    ],
)
def test_each_rule_names_key_value_and_fix(path: str, value: Any, expected: str) -> None:
    lines = error_lines("dev", set_path(path, value))
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith(f"environments.dev.{path.split('.')[0]}")
    assert expected in line
    assert line.endswith("fix it in cdk.json")


def test_idle_longer_than_lifetime() -> None:
    lines = error_lines("dev", set_path("runtime.idle_timeout_seconds", 3601))
    assert lines == [
        "environments.dev.runtime: idle_timeout_seconds (3601) must not exceed "
        "max_lifetime_seconds (3600); fix it in cdk.json"
    ]


def test_all_problems_reported_together() -> None:
    def edit(env: dict) -> None:
        env["runtime"]["idle_timeout_seconds"] = 10
        env["runtime"]["name"] = "bad-name"
        env["ecr"]["keep_last_images"] = -1

    lines = error_lines("dev", edit)
    assert len(lines) == 3
    assert {line.split(":")[0] for line in lines} == {
        "environments.dev.runtime.idle_timeout_seconds",
        "environments.dev.runtime.name",
        "environments.dev.ecr.keep_last_images",
    }


def test_external_gateway_is_accepted() -> None:
    config = load_with(
        "dev", set_path("gateway", {"endpoint": "https://gw.example.com/mcp", "arn": GOOD_ARN})
    )
    assert config.gateway is not None and config.gateway.arn == GOOD_ARN


@pytest.mark.parametrize(
    ("zones", "region", "expected"),
    [
        (
            ["use1-az1", "use1-az3"],
            "us-east-1",
            "use1-az3 is not an AgentCore VPC Availability Zone in us-east-1; "
            "use use1-az1, use1-az2, use1-az4",
        ),
        (
            ["use1-az1", "use1-az1"],
            "us-east-1",
            "AZ ids given twice: use1-az1",
        ),
        (["usw2-az1", "usw2-az4"], "us-west-2", "use usw2-az1, usw2-az2, usw2-az3"),
    ],
)
def test_a_created_vpc_must_use_the_runtimes_zones(zones, region, expected) -> None:
    context = copy.deepcopy(CDK_CONTEXT)
    env = context["environments"]["prod"]
    env["region"] = region
    env["runtime"]["network"] = {"mode": "VPC", "create_vpc": {"availability_zone_ids": zones}}
    with pytest.raises(ConfigError) as raised:
        load_environment(context, "prod")
    (line,) = str(raised.value).splitlines()
    assert line.startswith("environments.prod.runtime.network.create_vpc")
    assert expected in line and line.endswith("fix it in cdk.json")
