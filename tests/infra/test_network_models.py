"""prod and every VPC variant through the reachability, ordering and destroy models
(tests/models), and each fault those models exist for shown to fail them when put back."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacks.config import ConfigError
from tests.models.destroy import stack_delete
from tests.models.ordering import (
    nested_private_dns_unordered,
    runtime_before_its_network,
    unordered_deliveries,
)
from tests.models.reachability import ExistingEndpoint, ExistingVpc, prove

from .conftest import ACCOUNT, Synthesized, synthesize

REGION = "us-east-1"
RUNTIME_TYPE = "AWS::BedrockAgentCore::Runtime"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
TABLES = {SUBNETS[0]: "rtb-0a1b2c3d4e5f60711", SUBNETS[1]: "rtb-0a1b2c3d4e5f60722"}
LOGS_GROUP, STS_GROUP = "sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2"
COLLECTOR = "10.60.8.20"
OTHER_ACCOUNT_GATEWAY = (
    "arn:aws:bedrock-agentcore:us-east-1:210987654321:gateway/shared-tools-abc123def0"
)

# A VPC of yours: two subnets with their route tables, and three endpoints it already has.
YOURS = ExistingVpc(
    vpc_id=VPC_ID,
    cidr="10.60.0.0/16",
    subnet_route_tables=TABLES,
    endpoints=(
        ExistingEndpoint("logs", security_groups=(LOGS_GROUP,)),
        ExistingEndpoint("sts", security_groups=(STS_GROUP,)),
        ExistingEndpoint("s3", route_tables=tuple(TABLES.values())),
    ),
    hosts={"otel.internal.example": COLLECTOR},
)


def your_vpc(env: dict[str, Any], **extra: Any) -> None:
    """prod placed in YOURS: logs, sts and S3 reused, everything else created here."""
    env["runtime"]["network"] = {
        "mode": "VPC",
        "vpc_id": VPC_ID,
        "subnet_ids": SUBNETS,
        "reuse_endpoints": {
            "logs": {"security_group_id": LOGS_GROUP},
            "sts": {"security_group_id": STS_GROUP},
            "s3": {},
        },
        "create_endpoints": [
            "bedrock-runtime",
            "bedrock-agentcore",
            "bedrock-agentcore.gateway",
            "ecr.api",
            "ecr.dkr",
            "xray",
        ],
        **extra,
    }


def with_secret(env: dict[str, Any]) -> None:
    env["runtime"]["secrets"] = {"PARTNER_KEY": {"create": True, "required": True}}


def code_artifact(env: dict[str, Any]) -> None:
    env["runtime"]["artifact"] = "code"


def traces_off(env: dict[str, Any]) -> None:
    env["observability"]["traces"] = "off"


def your_vpc_otlp(env: dict[str, Any]) -> None:
    your_vpc(env, egress=[{"cidr": "10.60.8.0/24", "port": 4318, "description": "OTLP collector"}])
    env["runtime"]["network"]["create_endpoints"].remove("xray")
    env["observability"] |= {"traces": "otlp", "otlp_endpoint": "http://otel.internal.example:4318"}


def your_vpc_shared_gateway(env: dict[str, Any]) -> None:
    your_vpc(env)
    env["gateway"] = {
        "endpoint": "https://shared-tools-abc123def0.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp",
        "arn": OTHER_ACCOUNT_GATEWAY,
    }


def your_vpc_all_created(env: dict[str, Any]) -> None:
    your_vpc(env)
    network = env["runtime"]["network"]
    network["create_endpoints"] += ["logs", "sts", "s3", "secretsmanager"]
    network["reuse_endpoints"] = {}
    network["route_table_ids"] = list(TABLES.values())
    with_secret(env)


def your_vpc_code_secrets(env: dict[str, Any]) -> None:
    """The code artifact needs no ECR; a secret needs Secrets Manager."""
    your_vpc(env)
    code_artifact(env)
    with_secret(env)
    created = env["runtime"]["network"]["create_endpoints"]
    created[:] = [s for s in created if not s.startswith("ecr.")] + ["secretsmanager"]


VARIANTS: dict[str, tuple[Callable[[dict[str, Any]], None] | None, ExistingVpc | None]] = {
    "prod": (None, None),
    "prod-code": (code_artifact, None),
    "prod-secrets": (with_secret, None),
    "prod-traces-off": (traces_off, None),
    "yours-reusing": (your_vpc, YOURS),
    "yours-code-secrets": (your_vpc_code_secrets, YOURS),
    "yours-otlp": (your_vpc_otlp, YOURS),
    "yours-shared-gateway": (your_vpc_shared_gateway, YOURS),
    "yours-all-created": (your_vpc_all_created, YOURS),
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request, tmp_path_factory) -> tuple[Synthesized, ExistingVpc | None]:
    mutate, existing = VARIANTS[request.param]
    if mutate is None and existing is None:
        return request.getfixturevalue("prod"), None
    env = synthesize("prod", tmp_path_factory.mktemp(request.param), mutate=mutate)
    return env, existing


def reach(env: Synthesized, existing: ExistingVpc | None, template: dict | None = None):
    return prove(
        template or env.json,
        stack=env.stack.stack_name,
        account=ACCOUNT,
        region=REGION,
        existing=existing,
    )


def test_every_session_need_has_a_path_and_nothing_else_is_open(variant) -> None:
    env, existing = variant
    report = reach(env, existing)
    assert report.problems == []
    needed = {need.service for need in report.paths}
    assert {"s3", "bedrock-runtime", "bedrock-agentcore", "logs"} <= needed


def test_deliveries_sharing_a_source_or_destination_are_ordered(variant) -> None:
    env, _ = variant
    assert unordered_deliveries(env.json) == []


def test_the_runtime_waits_for_every_network_path(variant) -> None:
    env, _ = variant
    assert runtime_before_its_network(env.json) == []
    assert nested_private_dns_unordered(env.json) == []


def test_stack_delete_leaves_only_what_the_interfaces_pin(variant) -> None:
    env, _ = variant
    report = stack_delete(env.json, stack_name=env.stack.stack_name)
    assert report.problems == ()
    assert report.pinned, "a VPC-mode runtime pins at least its security group"


# -- each fault put back into a good template fails its model ----------------------------------
def _without(template: dict, predicate: Callable[[str, dict], bool]) -> dict:
    edited = copy.deepcopy(template)
    edited["Resources"] = {k: v for k, v in edited["Resources"].items() if not predicate(k, v)}
    return edited


def test_model_fails_without_the_s3_prefix_list_rule(prod: Synthesized) -> None:
    broken = _without(
        prod.json,
        lambda _, r: (
            r["Type"] == "AWS::EC2::SecurityGroupEgress"
            and "DestinationPrefixListId" in r["Properties"]
        ),
    )
    assert any(
        "image layers (s3)" in p and "prefix list" in p for p in reach(prod, None, broken).problems
    )


def test_model_fails_when_a_reused_endpoint_group_is_not_reachable(tmp_path: Path) -> None:
    env = synthesize("prod", tmp_path, mutate=your_vpc)
    broken = _without(
        env.json,
        lambda _, r: (
            r["Type"] == "AWS::EC2::SecurityGroupEgress"
            and r["Properties"].get("DestinationSecurityGroupId") == LOGS_GROUP
        ),
    )
    problems = reach(env, YOURS, broken).problems
    assert any(p.startswith("the runtime's logs (logs)") and LOGS_GROUP in p for p in problems)
    unadmitted = _without(
        env.json,
        lambda _, r: (
            r["Type"] == "AWS::EC2::SecurityGroupIngress"
            and r["Properties"].get("GroupId") == STS_GROUP
        ),
    )
    assert any("admits nothing" in p for p in reach(env, YOURS, unadmitted).problems)


def test_model_fails_when_the_gateway_endpoint_policy_excludes_a_shared_gateway(
    tmp_path: Path,
) -> None:
    env = synthesize("prod", tmp_path, mutate=your_vpc_shared_gateway)
    broken = copy.deepcopy(env.json)
    for resource in broken["Resources"].values():
        if resource["Type"] == "AWS::EC2::VPCEndpoint" and "gateway" in json.dumps(
            resource["Properties"]["ServiceName"]
        ):
            (statement,) = resource["Properties"]["PolicyDocument"]["Statement"]
            assert OTHER_ACCOUNT_GATEWAY in statement["Resource"]
            statement["Resource"].remove(OTHER_ACCOUNT_GATEWAY)
    assert any(
        "the tool gateway" in p and "policy denies" in p for p in reach(env, YOURS, broken).problems
    )


def test_model_flags_an_open_group_and_an_unused_rule(prod: Synthesized) -> None:
    widened = copy.deepcopy(prod.json)
    (runtime_group,) = [
        k
        for k, r in widened["Resources"].items()
        if r["Type"] == "AWS::EC2::SecurityGroup" and "Runtime" in k
    ]
    widened["Resources"]["AllOut"] = {
        "Type": "AWS::EC2::SecurityGroupEgress",
        "Properties": {
            "GroupId": {"Fn::GetAtt": [runtime_group, "GroupId"]},
            "IpProtocol": "-1",
            "CidrIp": "0.0.0.0/0",
        },
    }
    assert any("0.0.0.0/0 serves no session need" in p for p in reach(prod, None, widened).problems)
    no_rules = _without(prod.json, lambda _, r: r["Type"] == "AWS::EC2::SecurityGroupEgress")
    assert any("EC2's default" in p for p in reach(prod, None, no_rules).problems)


def test_model_fails_when_shared_destination_deliveries_run_at_once(prod: Synthesized) -> None:
    broken = copy.deepcopy(prod.json)
    traces = [
        r
        for r in broken["Resources"].values()
        if r["Type"] == "AWS::Logs::Delivery"
        and "Traces" in json.dumps(r["Properties"]["DeliveryDestinationArn"])
    ]
    assert len(traces) == 2, "prod delivers the gateway's and the runtime's traces"
    for delivery in traces:
        delivery["DependsOn"] = [d for d in delivery["DependsOn"] if "TracesDelivery" not in d]
    (problem,) = unordered_deliveries(broken)
    assert "share destination AgentCoreTracesDestination" in problem


def test_ordering_model_fails_when_the_runtime_does_not_wait_for_its_network(
    prod: Synthesized,
) -> None:
    broken = copy.deepcopy(prod.json)
    (runtime,) = [r for r in broken["Resources"].values() if r["Type"] == RUNTIME_TYPE]
    runtime["DependsOn"] = [d for d in runtime["DependsOn"] if not d.startswith("Endpoints")]
    problems = runtime_before_its_network(broken)
    assert any("EndpointsS3Gateway" in p for p in problems), problems
    assert any("AWS::EC2::SecurityGroupEgress" in p for p in problems), problems


def test_ordering_model_fails_when_agentcore_endpoints_are_created_at_once(
    prod: Synthesized,
) -> None:
    broken = copy.deepcopy(prod.json)
    for resource in broken["Resources"].values():
        if resource["Type"] == "AWS::EC2::VPCEndpoint":
            resource.pop("DependsOn", None)
    (problem,) = nested_private_dns_unordered(broken)
    assert "EndpointsAgentcoreGateway" in problem


def test_destroy_model_fails_when_the_runtime_group_is_deleted(prod: Synthesized) -> None:
    broken = copy.deepcopy(prod.json)
    for resource in broken["Resources"].values():
        if resource["Type"] in ("AWS::EC2::SecurityGroup", "AWS::EC2::Subnet"):
            resource.pop("DeletionPolicy", None)
    problems = stack_delete(broken, stack_name=prod.stack.stack_name).problems
    assert sum("DependencyViolation" in p for p in problems) == 3  # the group and both subnets


def test_destroy_model_fails_when_a_retained_group_names_a_deleted_one(prod: Synthesized) -> None:
    broken = copy.deepcopy(prod.json)
    resources = broken["Resources"]
    (runtime_group,) = [
        k for k, r in resources.items() if r["Type"] == "AWS::EC2::SecurityGroup" and "Runtime" in k
    ]
    (endpoint_group,) = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::EC2::SecurityGroup" and "EndpointSecurityGroup" in k
    ]
    resources[runtime_group]["Properties"]["SecurityGroupEgress"] = [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "DestinationSecurityGroupId": {"Fn::GetAtt": [endpoint_group, "GroupId"]},
        }
    ]
    (problem,) = stack_delete(broken, stack_name=prod.stack.stack_name).problems
    assert problem.startswith(f"{endpoint_group} is deleted but the retained {runtime_group}")


# -- what the config refuses ----------------------------------------------------------------------
def _config_error(mutate: Callable[[dict[str, Any]], None], tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        synthesize("prod", tmp_path, mutate=mutate)
    return str(raised.value)


def test_your_vpc_must_say_what_is_reused_and_what_is_created(tmp_path: Path) -> None:
    def implicit(env: dict[str, Any]) -> None:
        your_vpc(env)
        env["runtime"]["network"]["create_endpoints"].remove("xray")
        del env["runtime"]["network"]["reuse_endpoints"]["logs"]

    message = _config_error(implicit, tmp_path)
    assert "needs endpoints for logs, xray" in message
    assert "reuse_endpoints" in message and "whole VPC" in message


def test_reused_interface_endpoints_name_their_security_group(tmp_path: Path) -> None:
    def no_group(env: dict[str, Any]) -> None:
        your_vpc(env)
        env["runtime"]["network"]["reuse_endpoints"]["logs"] = {}

    assert "reuse_endpoints.logs: give the security_group_id" in _config_error(no_group, tmp_path)


def test_otlp_needs_a_stated_path(tmp_path: Path) -> None:
    def created_vpc(env: dict[str, Any]) -> None:
        env["observability"] |= {"traces": "otlp", "otlp_endpoint": "https://otel.example.com"}

    assert "no route out" in _config_error(created_vpc, tmp_path / "a")

    def no_egress(env: dict[str, Any]) -> None:
        your_vpc_otlp(env)
        env["runtime"]["network"]["egress"] = [
            {"cidr": "10.99.0.0/24", "port": 4318, "description": "x"}
        ]
        env["observability"]["otlp_endpoint"] = "http://10.60.8.20:4318"

    assert "runtime.network.egress: the OTLP endpoint 10.60.8.20:4318" in _config_error(
        no_egress, tmp_path / "b"
    )


def test_a_vpc_runtime_reaches_gateways_of_its_own_region_only(tmp_path: Path) -> None:
    def other_region(env: dict[str, Any]) -> None:
        your_vpc_shared_gateway(env)
        env["gateway"]["arn"] = OTHER_ACCOUNT_GATEWAY.replace("us-east-1", "eu-west-1")

    assert "gateway.arn: the gateway is in eu-west-1" in _config_error(other_region, tmp_path)


def test_a_created_vpc_must_hold_a_subnet_per_az(tmp_path: Path) -> None:
    def host_bits(env: dict[str, Any]) -> None:
        env["runtime"]["network"]["create_vpc"]["cidr"] = "10.40.0.1/16"

    assert "create_vpc: cidr '10.40.0.1/16' is not an IPv4 network" in _config_error(
        host_bits, tmp_path
    )


def test_a_small_created_vpc_gets_subnets_that_fit(tmp_path: Path) -> None:
    def small(env: dict[str, Any]) -> None:
        env["runtime"]["network"]["create_vpc"]["cidr"] = "10.40.0.0/22"

    env = synthesize("prod", tmp_path, mutate=small)
    cidrs = sorted(s["Properties"]["CidrBlock"] for s in env.resources("AWS::EC2::Subnet").values())
    assert cidrs == ["10.40.0.0/25", "10.40.0.128/25"]
