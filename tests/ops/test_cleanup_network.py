"""The clean-up of a deleted stack's retained network, against moto's EC2 over HTTP: it waits
while an interface holds the network, then deletes exactly what carries the stack's tag."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.cleanup_network import RETAINED_TAG, STILL_IN_USE, clean_up, main
from tests.doubles.processes import running_moto_server

STACK = "agentcore-orders-prod"


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory) -> Iterator[str]:
    with running_moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server.url


@pytest.fixture
def ec2(moto_url, monkeypatch) -> Any:
    for name, value in {
        "AWS_ENDPOINT_URL_EC2": moto_url,
        "AWS_ENDPOINT_URL_CLOUDFORMATION": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    return boto3.client("ec2", region_name="us-east-1")


@pytest.fixture
def cloudformation(ec2) -> Any:
    return boto3.client("cloudformation", region_name="us-east-1")


def _tag(ec2: Any, resource_id: str, stack: str = STACK) -> None:
    ec2.create_tags(Resources=[resource_id], Tags=[{"Key": RETAINED_TAG, "Value": stack}])


def test_waits_for_interfaces_then_deletes_only_what_is_tagged(ec2, cloudformation) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.0.0/20")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="rt", Description="runtime", VpcId=vpc)["GroupId"]
    untagged = ec2.create_security_group(GroupName="other", Description="x", VpcId=vpc)["GroupId"]
    for resource in (vpc, subnet, group):
        _tag(ec2, resource)
    interface = ec2.create_network_interface(
        SubnetId=subnet, Groups=[group], Description="AgentCore runtime interface"
    )["NetworkInterface"]["NetworkInterfaceId"]

    out = io.StringIO()
    assert clean_up(ec2, cloudformation, STACK, out=out) == STILL_IN_USE
    assert f"{interface} (AgentCore runtime interface) still uses" in out.getvalue()
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]

    ec2.delete_network_interface(NetworkInterfaceId=interface)
    ec2.delete_security_group(GroupId=untagged)  # another workload's, gone on its own
    assert clean_up(ec2, cloudformation, STACK, dry_run=True, out=io.StringIO()) == 0
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"], "a dry run deletes nothing"
    out = io.StringIO()
    assert clean_up(ec2, cloudformation, STACK, out=out) == 0
    assert out.getvalue().splitlines() == [
        f"deleting security group {group}",
        f"deleting subnet {subnet}",
        f"deleting VPC {vpc}",
    ]
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"] == []


def test_leaves_other_stacks_alone(ec2, capsys) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    _tag(ec2, vpc, stack="someone-else")
    assert main(["--stack", STACK, "--region", "us-east-1"]) == 0
    assert capsys.readouterr().out == f"nothing tagged {RETAINED_TAG}={STACK} is left\n"
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]


def test_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "python scripts/cleanup_network.py --stack" in readme


def test_a_redeployed_stack_of_the_same_name_keeps_its_network(ec2, cloudformation) -> None:
    """After destroy and a new deploy, old and new network carry the same tag; only the old
    one, which no live stack holds, is deleted, and the new one's interfaces do not block."""
    old_vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    _tag(ec2, old_vpc)
    tags = [{"Key": RETAINED_TAG, "Value": STACK}]
    template = {
        "Resources": {
            "NetworkVpc": {
                "Type": "AWS::EC2::VPC",
                "Properties": {"CidrBlock": "10.61.0.0/16", "Tags": tags},
            },
            "NetworkSubnet1": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "NetworkVpc"},
                    "CidrBlock": "10.61.0.0/20",
                    "Tags": tags,
                },
            },
        }
    }
    cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    live = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    }
    interface = ec2.create_network_interface(
        SubnetId=live["NetworkSubnet1"], Description="the live runtime's interface"
    )["NetworkInterface"]["NetworkInterfaceId"]
    try:
        out = io.StringIO()
        assert clean_up(ec2, cloudformation, STACK, out=out) == 0
        assert out.getvalue().splitlines() == [f"deleting VPC {old_vpc}"]
        assert ec2.describe_vpcs(VpcIds=[live["NetworkVpc"]])["Vpcs"], "the live VPC is kept"
    finally:
        ec2.delete_network_interface(NetworkInterfaceId=interface)
        cloudformation.delete_stack(StackName=STACK)
