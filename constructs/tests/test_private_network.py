"""Library: the private network's own guarantees (S3 egress, reused endpoints, retention), and
the prefix-list lookup handler against moto's EC2 over HTTP."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template
from free_ports import free_port
from moto.server import ThreadedMotoServer

from agentcore_constructs.private_network import (
    RETAINED_TAG,
    EndpointService,
    IsolatedVpc,
    PrivateEndpoints,
    subnet_cidrs,
)

ENV = cdk.Environment(account="111122223333", region="eu-west-1")
OTHER_GATEWAY = "arn:aws:bedrock-agentcore:eu-west-1:444455556666:gateway/shared-abc1234567"


def _network(**props: Any) -> tuple[Template, PrivateEndpoints]:
    stack = cdk.Stack(cdk.App(), "Net", env=ENV)
    vpc = IsolatedVpc(stack, "Vpc", az_ids=["euw1-az1", "euw1-az2"])
    endpoints = PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc.vpc,
        subnets=vpc.subnets,
        route_table_ids=[s.route_table.route_table_id for s in vpc.subnets],
        **{"services": [EndpointService.BEDROCK_RUNTIME], **props},
    )
    return Template.from_stack(stack), endpoints


def test_runtime_may_send_https_to_s3s_prefix_list() -> None:
    template, _ = _network()
    template.has_resource_properties(
        "Custom::ManagedPrefixList", {"PrefixListName": "com.amazonaws.eu-west-1.s3"}
    )
    (lookup,) = template.find_resources("Custom::ManagedPrefixList")
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "DestinationPrefixListId": {"Fn::GetAtt": [lookup, "PrefixListId"]},
        },
    )
    # The lookup's function may read prefix lists and write its own log group, nothing else.
    (policy,) = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "ReadPrefixLists" in str(p)
    ]
    actions = sorted(
        a
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert actions == [
        "ec2:DescribeManagedPrefixLists",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]


def test_reused_endpoints_are_reachable_both_ways() -> None:
    stack = cdk.Stack(cdk.App(), "Net", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["a", "b"]
    )
    shared = ec2.SecurityGroup.from_security_group_id(stack, "Shared", "sg-0123456789abcdef0")
    PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc,
        subnets=[ec2.Subnet.from_subnet_id(stack, "S", "subnet-0123456789abcdef0")],
        services=[EndpointService.BEDROCK_RUNTIME],
        reuse={EndpointService.LOGS: shared, EndpointService.STS: shared},
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 1)  # nothing for S3: none asked
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": "sg-0123456789abcdef0",
            "FromPort": 443,
            "SourceSecurityGroupId": Match.any_value(),
        },
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {
            "DestinationSecurityGroupId": "sg-0123456789abcdef0",
            "Description": "HTTPS to the VPC's existing logs, sts endpoint",
        },
    )


def test_one_service_cannot_be_created_and_reused() -> None:
    stack = cdk.Stack(cdk.App(), "Net", env=ENV)
    vpc = IsolatedVpc(stack, "Vpc", az_ids=["euw1-az1", "euw1-az2"])
    shared = ec2.SecurityGroup.from_security_group_id(stack, "Shared", "sg-0123456789abcdef0")
    with pytest.raises(ValueError) as raised:
        PrivateEndpoints(
            stack,
            "Endpoints",
            vpc=vpc.vpc,
            subnets=vpc.subnets,
            services=[EndpointService.LOGS],
            reuse={EndpointService.LOGS: shared},
            external_resources={EndpointService.LOGS: ["arn:aws:logs:eu-west-1:1:log-group:x"]},
        )
    assert str(raised.value) == (
        "PrivateEndpoints: logs is both created and reused: choose one; "
        "external_resources of logs: only AgentCore endpoints take them"
    )


def test_a_shared_gateway_is_in_the_gateway_endpoint_policy() -> None:
    template, _ = _network(
        services=[EndpointService.AGENTCORE_GATEWAY],
        external_resources={EndpointService.AGENTCORE_GATEWAY: [OTHER_GATEWAY]},
    )
    (endpoint,) = template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface"}}
    ).values()
    (statement,) = endpoint["Properties"]["PolicyDocument"]["Statement"]
    ours, aws_owned, shared = statement["Resource"]
    joined = [
        "".join(part if isinstance(part, str) else "<partition>" for part in arn["Fn::Join"][1])
        for arn in (ours, aws_owned)
    ]
    assert joined == [
        "arn:<partition>:bedrock-agentcore:eu-west-1:111122223333:*",
        "arn:<partition>:bedrock-agentcore:eu-west-1:aws:*",  # built-in Code Interpreter, Browser
    ]
    assert shared == OTHER_GATEWAY


def test_what_the_runtimes_interfaces_pin_outlives_the_stack() -> None:
    template, _ = _network()
    for kind in ("AWS::EC2::VPC", "AWS::EC2::Subnet"):
        for resource in template.find_resources(kind).values():
            assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
            assert {"Key": RETAINED_TAG, "Value": "Net"} in resource["Properties"]["Tags"]
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    retained = sorted(k for k, g in groups.items() if g.get("DeletionPolicy") == "Retain")
    assert len(groups) == 2 and len(retained) == 1 and "RuntimeSecurityGroup" in retained[0]
    assert template.find_resources("AWS::EC2::RouteTable")  # deleted: nothing pins them


# -- the lookup handler -----------------------------------------------------------------------
class _FakeCfnResponse(types.ModuleType):
    """What CloudFormation provides to inline functions, recording instead of sending."""

    SUCCESS, FAILED = "SUCCESS", "FAILED"

    def __init__(self) -> None:
        super().__init__("cfnresponse")
        self.sent: list[dict[str, Any]] = []

    def send(self, event, context, status, data, physical_id=None, noEcho=False, reason=None):
        self.sent.append({"status": status, "data": data, "id": physical_id, "reason": reason})


@pytest.fixture(scope="module")
def ec2_client() -> Iterator[Any]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield boto3.client(
            "ec2",
            region_name="eu-west-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lookup_module() -> Iterator[tuple[Any, _FakeCfnResponse]]:
    fake = _FakeCfnResponse()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "cfnresponse", fake)
        module = importlib.import_module("agentcore_constructs.prefix_list.lookup")
        yield importlib.reload(module), fake


@pytest.fixture
def lookup(lookup_module) -> tuple[Any, _FakeCfnResponse]:
    lookup_module[1].sent.clear()
    return lookup_module


def _event(request_type: str, name: str) -> dict[str, Any]:
    return {"RequestType": request_type, "ResourceProperties": {"PrefixListName": name}}


def test_lookup_answers_the_regions_s3_prefix_list(lookup, ec2_client) -> None:
    module, fake = lookup
    expected = ec2_client.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.eu-west-1.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    module.handler(_event("Create", "com.amazonaws.eu-west-1.s3"), None, ec2=ec2_client)
    module.handler(_event("Delete", "com.amazonaws.eu-west-1.s3"), None, ec2=ec2_client)
    assert fake.sent == [
        {
            "status": "SUCCESS",
            "data": {"PrefixListId": expected},
            "id": "prefix-list:com.amazonaws.eu-west-1.s3",
            "reason": None,
        },
        {
            "status": "SUCCESS",
            "data": {},
            "id": "prefix-list:com.amazonaws.eu-west-1.s3",
            "reason": None,
        },
    ]


def test_lookup_fails_clearly_for_an_unknown_list(lookup, ec2_client) -> None:
    module, fake = lookup
    module.handler(_event("Create", "com.amazonaws.eu-west-1.nothing"), None, ec2=ec2_client)
    (reply,) = fake.sent
    assert reply["status"] == "FAILED"
    assert reply["reason"] == (
        "PrefixListNotFound: no managed prefix list named com.amazonaws.eu-west-1.nothing in this region"
    )


def test_lookup_code_fits_inline() -> None:
    from agentcore_constructs.prefix_list.construct import LOOKUP_SOURCE

    assert len(LOOKUP_SOURCE.read_text()) <= 4096, "ZipFile code is limited to 4096 characters"


def test_a_subnets_cidr_follows_its_az_never_the_lists_order() -> None:
    """AZ and CIDR are fixed when a subnet is created: a CIDR that moved with the list would be
    a replacement colliding with the subnet it replaces."""
    first = subnet_cidrs("10.40.0.0/16", ["use1-az1", "use1-az2"])
    # the first releases' Fn::Cidr(cidr, 2, 12): the first two /20s
    assert first == {"use1-az1": "10.40.0.0/20", "use1-az2": "10.40.16.0/20"}
    assert subnet_cidrs("10.40.0.0/16", ["use1-az2", "use1-az1"]) == first
    grown = subnet_cidrs("10.40.0.0/16", ["use1-az1", "use1-az4", "use1-az2"])
    assert grown == {**first, "use1-az4": "10.40.48.0/20"}
    assert subnet_cidrs("10.40.0.0/24", ["use1-az1", "use1-az4"]) == {
        "use1-az1": "10.40.0.0/27",
        "use1-az4": "10.40.0.96/27",
    }


@pytest.mark.parametrize(
    ("cidr", "az_ids", "problem"),
    [
        ("10.40.0.1/16", ["use1-az1", "use1-az2"], "has host bits set"),
        ("10.40.0.0/26", ["use1-az1", "use1-az2"], "must be a /16 to /24"),
        ("10.40.0.0/16", ["use1-az1", "use1-az1"], "AZ ids given twice: use1-az1"),
        ("10.40.0.0/16", ["use1-az1", "use1-az9"], "use1-az9: AZ numbers 1 to 8"),
    ],
)
def test_a_vpc_that_cannot_hold_its_subnets_is_refused(cidr, az_ids, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        IsolatedVpc(cdk.Stack(cdk.App(), "Net", env=ENV), "Vpc", az_ids=az_ids, cidr=cidr)


def test_subnets_are_named_by_az_number() -> None:
    stack = cdk.Stack(cdk.App(), "Net", env=ENV)
    IsolatedVpc(stack, "Vpc", az_ids=["euw1-az3", "euw1-az1"])
    subnets = Template.from_stack(stack).find_resources("AWS::EC2::Subnet")
    by_az = {s["Properties"]["AvailabilityZoneId"]: (k, s) for k, s in subnets.items()}
    assert by_az["euw1-az3"][0].startswith("VpcSubnet3")
    assert by_az["euw1-az3"][1]["Properties"]["CidrBlock"] == "10.40.32.0/20"
    assert by_az["euw1-az1"][0].startswith("VpcSubnet1")


def test_the_runtime_waits_for_the_endpoints_and_reused_groups_rules() -> None:
    stack = cdk.Stack(cdk.App(), "Net", env=ENV)
    vpc = IsolatedVpc(stack, "Vpc", az_ids=["euw1-az1", "euw1-az2"])
    reused = ec2.SecurityGroup.from_security_group_id(stack, "Reused", "sg-0123456789abcdef0")
    endpoints = PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc.vpc,
        subnets=vpc.subnets,
        services=[EndpointService.BEDROCK_RUNTIME],
        reuse={EndpointService.LOGS: reused},
    )
    assert endpoints.network.depends_on == (endpoints, reused)
    assert endpoints.network.after(vpc).depends_on == (endpoints, reused, vpc)
