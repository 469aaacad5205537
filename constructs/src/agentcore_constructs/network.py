"""Where the runtime's microVMs get their network: the public internet or your VPC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from constructs import IDependable


@dataclass(frozen=True)
class RuntimeNetwork:
    """Network mode of the runtime: ``public()`` (default) or ``vpc(...)``.

    ``depends_on``: what must exist before the runtime is created or updated, such as the
    endpoints, routes and security-group rules its sessions need at start (image layers and
    code come through the VPC); the runtime depends on them, so no version starts without them
    and they are deleted only after it.
    """

    mode: str
    subnets: tuple[ec2.ISubnet, ...] = field(default=())
    security_groups: tuple[ec2.ISecurityGroup, ...] = field(default=())
    depends_on: tuple[IDependable, ...] = field(default=())

    @classmethod
    def public(cls) -> RuntimeNetwork:
        return cls(mode="PUBLIC")

    @classmethod
    def vpc(
        cls, *, subnets: Sequence[ec2.ISubnet], security_groups: Sequence[ec2.ISecurityGroup]
    ) -> RuntimeNetwork:
        """Run inside your VPC; at least one subnet and one security group (1..16 each)."""
        return cls(mode="VPC", subnets=tuple(subnets), security_groups=tuple(security_groups))

    def after(self, *dependables: IDependable) -> RuntimeNetwork:
        """The same network, with the runtime also waiting for ``dependables``."""
        return replace(self, depends_on=(*self.depends_on, *dependables))

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
