"""Delete what a VPC-mode stack's delete left behind, once AgentCore has let go of it.

AgentCore may keep a deleted runtime's network interfaces for up to 8 hours (ERRATA 38), so
the stack retains the runtime's security group and, when it made them, the subnets and the
VPC; each carries the tag ``agentcore:retained-by-stack=<stack name>``. Run this after
``cdk destroy`` (any time later: it refuses while interfaces remain, and says which):

    python scripts/cleanup_network.py --stack agentcore-orders-prod --region us-east-1

``--dry-run`` lists what would be deleted. It deletes only resources carrying the tag.
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


def find_retained(ec2: Any, stack: str) -> Retained:
    tagged = [{"Name": f"tag:{RETAINED_TAG}", "Values": [stack]}]
    return Retained(
        security_groups=[
            g["GroupId"] for g in ec2.describe_security_groups(Filters=tagged)["SecurityGroups"]
        ],
        subnets=[s["SubnetId"] for s in ec2.describe_subnets(Filters=tagged)["Subnets"]],
        vpcs=[v["VpcId"] for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]],
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


def clean_up(ec2: Any, stack: str, *, dry_run: bool = False, out: Any = None) -> int:
    """0 when nothing (more) is left, STILL_IN_USE while interfaces hold the network."""
    out = out or sys.stdout
    retained = find_retained(ec2, stack)
    if retained.empty:
        print(f"nothing tagged {RETAINED_TAG}={stack} is left", file=out)
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
    return clean_up(boto3.client("ec2", region_name=args.region), args.stack, dry_run=args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
