"""prod's private network: isolated subnets in the runtime's zones, an endpoint for every
service reached at run time, security groups that allow only HTTPS between the two."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from .conftest import ROOT, Synthesized, synthesize

RUNTIME = "AWS::BedrockAgentCore::Runtime"
# boto3/botocore service names the agent may create clients for -> the endpoint that serves them.
BOTO_SERVICE_ENDPOINTS = {
    "secretsmanager": "secretsmanager",
    "bedrock-runtime": "bedrock-runtime",
    "bedrock-agentcore": "bedrock-agentcore",
    "sts": "sts",
    "logs": "logs",
    "xray": "xray",
}


def interface_endpoints(env: Synthesized) -> dict[str, dict]:
    found = {}
    for endpoint in env.resources("AWS::EC2::VPCEndpoint").values():
        props = endpoint["Properties"]
        name = json.dumps(props["ServiceName"])
        service = name.rsplit(".amazonaws.com", 1)[0].rsplit("us-east-1.", 1)[-1].strip('"')
        found[service] = props
    return found


def services_the_agent_calls() -> set[str]:
    """From the agent's code: its boto3 clients, Strands' Bedrock model, the MCP gateway."""
    called = set()
    for path in (ROOT / "agent").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                service = node.args[0].value
                assert service in BOTO_SERVICE_ENDPOINTS, (
                    f"{path.name} calls {service}: add it to the VPC endpoints and to this table"
                )
                called.add(BOTO_SERVICE_ENDPOINTS[service])
            if isinstance(node, ast.Name) and node.id == "BedrockModel":
                called.add("bedrock-runtime")
            if isinstance(node, ast.Name) and node.id == "MCPClient":
                called.add("bedrock-agentcore.gateway")  # the gateway's MCP URL
    return called


@pytest.fixture(scope="module")
def prod_everything(tmp_path_factory) -> Synthesized:
    """prod with every run-time dependency switched on: secrets and AWS traces."""

    def mutate(env: dict) -> None:
        env["runtime"]["secrets"] = {"PARTNER_KEY": {"create": True, "required": True}}

    return synthesize("prod", tmp_path_factory.mktemp("prod-all"), mutate=mutate)


def test_every_service_the_agent_calls_has_an_endpoint(prod_everything: Synthesized) -> None:
    called = services_the_agent_calls()
    assert {"bedrock-runtime", "bedrock-agentcore.gateway", "secretsmanager"} <= called
    platform = {"logs", "xray", "ecr.api", "ecr.dkr", "bedrock-agentcore", "sts"}
    endpoints = interface_endpoints(prod_everything)
    missing = sorted((called | platform) - set(endpoints))
    assert missing == [], f"no VPC endpoint for {missing}: the agent would hang in a private VPC"
    assert endpoints["s3"]["VpcEndpointType"] == "Gateway"


def test_subnets_are_isolated_in_supported_zones(prod: Synthesized) -> None:
    subnets = prod.resources("AWS::EC2::Subnet")
    assert sorted(s["Properties"]["AvailabilityZoneId"] for s in subnets.values()) == [
        "use1-az1",
        "use1-az2",
    ]
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())
    for kind in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP"):
        assert prod.resources(kind) == {}, f"an isolated VPC has no {kind}"
    routes = prod.resources("AWS::EC2::Route")
    assert routes == {}, "no route out: only the S3 gateway endpoint's prefix list"
    assert prod.resources("AWS::EC2::FlowLog")
    network = prod.only(RUNTIME)["Properties"]["NetworkConfiguration"]["NetworkModeConfig"]
    subnet_refs = [{"Ref": logical_id} for logical_id in subnets]
    assert sorted(map(json.dumps, network["Subnets"])) == sorted(map(json.dumps, subnet_refs))


def test_security_groups_allow_https_to_endpoints_and_s3_only(prod: Synthesized) -> None:
    groups = prod.resources("AWS::EC2::SecurityGroup")
    runtime_group_ref = prod.only(RUNTIME)["Properties"]["NetworkConfiguration"][
        "NetworkModeConfig"
    ]["SecurityGroups"]
    ((runtime_id,),) = [[g["Fn::GetAtt"][0] for g in runtime_group_ref]]
    (endpoint_id,) = [k for k in groups if k != runtime_id]
    ingress = list(prod.resources("AWS::EC2::SecurityGroupIngress").values())
    egress = list(prod.resources("AWS::EC2::SecurityGroupEgress").values())
    assert [(r["Properties"]["FromPort"], r["Properties"]["ToPort"]) for r in ingress + egress] == [
        (443, 443)
    ] * 3
    (into_endpoints,) = ingress
    assert into_endpoints["Properties"]["GroupId"] == {"Fn::GetAtt": [endpoint_id, "GroupId"]}
    assert into_endpoints["Properties"]["SourceSecurityGroupId"] == {
        "Fn::GetAtt": [runtime_id, "GroupId"]
    }
    destinations = sorted(
        json.dumps({k: v for k, v in r["Properties"].items() if k.startswith("Destination")})
        for r in egress
    )
    (lookup,) = prod.resources("Custom::ManagedPrefixList")
    assert destinations == sorted(
        [
            json.dumps({"DestinationSecurityGroupId": {"Fn::GetAtt": [endpoint_id, "GroupId"]}}),
            json.dumps({"DestinationPrefixListId": {"Fn::GetAtt": [lookup, "PrefixListId"]}}),
        ]
    )
    assert all(
        r["Properties"]["GroupId"] == {"Fn::GetAtt": [runtime_id, "GroupId"]} for r in egress
    )
    assert prod.resources("Custom::ManagedPrefixList")[lookup]["Properties"]["PrefixListName"] == (
        "com.amazonaws.us-east-1.s3"
    )


def test_endpoints_have_private_dns_and_scoped_policies(prod: Synthesized) -> None:
    for service, props in interface_endpoints(prod).items():
        if service == "s3":
            continue
        assert props["PrivateDnsEnabled"] is True, service
        (statement,) = props["PolicyDocument"]["Statement"]
        assert statement["Principal"] == {"AWS": "*"} or statement["Principal"] == "*", service
        if service in ("bedrock-agentcore", "bedrock-agentcore.gateway"):
            # OAuth (bearer) callers have no IAM principal: only resources are limited.
            assert "Condition" not in statement
            assert "arn:aws:bedrock-agentcore:us-east-1:123456789012:*" in json.dumps(
                statement["Resource"]
            )
        else:
            assert statement["Condition"] == {
                "StringEquals": {"aws:PrincipalAccount": "123456789012"}
            }


def test_dev_stays_public_and_cheap(dev: Synthesized) -> None:
    for kind in ("AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::EC2::SecurityGroup"):
        assert dev.resources(kind) == {}, kind


def test_reusing_a_vpcs_endpoints(tmp_path: Path) -> None:
    def mutate(env: dict) -> None:
        env["runtime"]["network"] = {
            "mode": "VPC",
            "vpc_id": "vpc-0123456789abcdef0",
            "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            "route_table_ids": ["rtb-0123456789abcdef0"],
            "reuse_endpoints": {
                "logs": {"security_group_id": "sg-0123456789abcdef0"},
                "sts": {"security_group_id": "sg-0123456789abcdef0"},
            },
            "create_endpoints": [
                "bedrock-runtime",
                "bedrock-agentcore",
                "bedrock-agentcore.gateway",
                "ecr.api",
                "ecr.dkr",
                "xray",
                "s3",
            ],
        }

    env = synthesize("prod", tmp_path, mutate=mutate)
    services = set(interface_endpoints(env))
    assert "logs" not in services and "sts" not in services
    assert {"bedrock-runtime", "bedrock-agentcore.gateway", "ecr.dkr", "s3"} <= services
    assert env.resources("AWS::EC2::VPC") == {}
    # One shared group of the VPC's endpoints: one rule each way, not one per service.
    into_reused = [
        r["Properties"]
        for r in env.resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == "sg-0123456789abcdef0"
    ]
    assert [(r["FromPort"], r["IpProtocol"]) for r in into_reused] == [(443, "tcp")]
    to_reused = [
        r["Properties"]
        for r in env.resources("AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"].get("DestinationSecurityGroupId") == "sg-0123456789abcdef0"
    ]
    assert len(to_reused) == 1 and "logs, sts" in to_reused[0]["Description"]


def test_nag_and_lint_stay_clean_with_secrets_and_endpoints(prod_everything: Synthesized) -> None:
    from .test_checks import errors_and_warnings

    report = json.loads((prod_everything.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["violations"] == []
    template = prod_everything.outdir / f"{prod_everything.stack.stack_name}.template.json"
    assert errors_and_warnings(template.read_text()) == []
