"""Delete what a VPC-mode stack's delete left behind, once AgentCore has let go of it.

AgentCore may keep a deleted runtime's network interfaces for up to 8 hours (ERRATA 38), so
the stack retains the runtime's security group and, when it made them, the subnets and the
VPC; each carries the tag ``agentcore:retained-by-stack=<stack name>``. Run this after
``cdk destroy`` (any time later: it refuses while interfaces remain, and says which):

    python scripts/cleanup_network.py --stack agentcore-orders-prod --region us-east-1

``--dry-run`` lists what would be deleted. It deletes only resources carrying the tag, and
never one that a live stack of that name still holds: after ``cdk destroy`` and a new deploy
under the same name, the new network carries the same tag, and only the old one is left over.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import boto3

RETAINED_TAG = "agentcore:retained-by-stack"
STILL_IN_USE = 3


@dataclass(frozen=True)
class Retained:
    security_groups: list[str]
    subnets: list[str]
    vpcs: list[str]

    @property
    def empty(self) -> bool:
        return not (self.security_groups or self.subnets or self.vpcs)


def live_resources(cloudformation: Any, stack: str) -> set[str]:
    """Physical ids of what the stack named ``stack`` holds now (none once it is deleted)."""
    try:
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
        return {
            resource["PhysicalResourceId"]
            for page in pages
            for resource in page["StackResourceSummaries"]
            if resource.get("PhysicalResourceId")
        }
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return set()
        raise


def find_retained(ec2: Any, stack: str, live: set[str]) -> Retained:
    """What carries the stack's tag, but for what the live stack of that name holds."""
    tagged = [{"Name": f"tag:{RETAINED_TAG}", "Values": [stack]}]

    def left_over(ids: list[str]) -> list[str]:
        return [resource_id for resource_id in ids if resource_id not in live]

    return Retained(
        security_groups=left_over(
            [g["GroupId"] for g in ec2.describe_security_groups(Filters=tagged)["SecurityGroups"]]
        ),
        subnets=left_over([s["SubnetId"] for s in ec2.describe_subnets(Filters=tagged)["Subnets"]]),
        vpcs=left_over([v["VpcId"] for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]]),
    )


def interfaces_in_use(ec2: Any, retained: Retained) -> list[dict[str, Any]]:
    """Network interfaces that still hold a retained group or subnet."""
    found: dict[str, dict[str, Any]] = {}
    for name, values in (("group-id", retained.security_groups), ("subnet-id", retained.subnets)):
        if values:
            for interface in ec2.describe_network_interfaces(
                Filters=[{"Name": name, "Values": values}]
            )["NetworkInterfaces"]:
                found[interface["NetworkInterfaceId"]] = interface
    return list(found.values())


def clean_up(
    ec2: Any, cloudformation: Any, stack: str, *, dry_run: bool = False, out: Any = None
) -> int:
    """0 when nothing (more) is left, STILL_IN_USE while interfaces hold the network."""
    out = out or sys.stdout
    live = live_resources(cloudformation, stack)
    retained = find_retained(ec2, stack, live)
    if retained.empty:
        held = " (what the live stack holds is kept)" if live else ""
        print(f"nothing tagged {RETAINED_TAG}={stack} is left{held}", file=out)
        return 0
    interfaces = interfaces_in_use(ec2, retained)
    if interfaces:
        for interface in interfaces:
            described = interface.get("Description") or "no description"
            print(
                f"{interface['NetworkInterfaceId']} ({described}) still uses the retained network",
                file=out,
            )
        print(
            "AgentCore removes a deleted runtime's interfaces within about 8 hours; run this "
            "again later. Nothing was deleted.",
            file=out,
        )
        return STILL_IN_USE
    steps = [
        (
            "security group",
            retained.security_groups,
            lambda i: ec2.delete_security_group(GroupId=i),
        ),
        ("subnet", retained.subnets, lambda i: ec2.delete_subnet(SubnetId=i)),
        ("VPC", retained.vpcs, lambda i: ec2.delete_vpc(VpcId=i)),
    ]
    for kind, ids, delete in steps:
        for resource_id in ids:
            print(f"{'would delete' if dry_run else 'deleting'} {kind} {resource_id}", file=out)
            if not dry_run:
                delete(resource_id)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deleted stack's name")
    parser.add_argument("--region", required=True)
    parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    args = parser.parse_args(argv)
    return clean_up(
        boto3.client("ec2", region_name=args.region),
        boto3.client("cloudformation", region_name=args.region),
        args.stack,
        dry_run=args.dry_run,
    )


if __name__ == "__main__":
    sys.exit(main())
