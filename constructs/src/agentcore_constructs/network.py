"""Where the runtime's microVMs get their network: the public internet or your VPC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2


@dataclass(frozen=True)
class RuntimeNetwork:
    """Network mode of the runtime: ``public()`` (default) or ``vpc(...)``."""

    mode: str
    subnets: tuple[ec2.ISubnet, ...] = field(default=())
    security_groups: tuple[ec2.ISecurityGroup, ...] = field(default=())

    @classmethod
    def public(cls) -> RuntimeNetwork:
        return cls(mode="PUBLIC")

    @classmethod
    def vpc(
        cls, *, subnets: Sequence[ec2.ISubnet], security_groups: Sequence[ec2.ISecurityGroup]
    ) -> RuntimeNetwork:
        """Run inside your VPC; at least one subnet and one security group (1..16 each)."""
        return cls(mode="VPC", subnets=tuple(subnets), security_groups=tuple(security_groups))

    def problems(self) -> list[tuple[str, object, str]]:
        if self.mode != "VPC":
            return []
        found: list[tuple[str, object, str]] = []
        if not 1 <= len(self.subnets) <= 16:
            found.append(("network.subnets", len(self.subnets), "VPC mode needs 1 to 16 subnets"))
        if not 1 <= len(self.security_groups) <= 16:
            found.append(
                (
                    "network.security_groups",
                    len(self.security_groups),
                    "VPC mode needs 1 to 16 security groups",
                )
            )
        return found

    def to_cfn(self) -> agentcore.CfnRuntime.NetworkConfigurationProperty:
        if self.mode != "VPC":
            return agentcore.CfnRuntime.NetworkConfigurationProperty(network_mode="PUBLIC")
        return agentcore.CfnRuntime.NetworkConfigurationProperty(
            network_mode="VPC",
            network_mode_config=agentcore.CfnRuntime.VpcConfigProperty(
                subnets=[s.subnet_id for s in self.subnets],
                security_groups=[g.security_group_id for g in self.security_groups],
            ),
        )
