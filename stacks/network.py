"""The runtime's network from config: public, your subnets, or a private VPC with endpoints."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2

from agentcore_constructs import RuntimeNetwork
from agentcore_constructs.private_network import EndpointService, IsolatedVpc, PrivateEndpoints

from .config import EnvironmentConfig

GATEWAY_SERVICE = "s3"  # reached through a gateway endpoint, not an interface one


def runtime_network(
    stack: Stack, config: EnvironmentConfig
) -> tuple[RuntimeNetwork, PrivateEndpoints | None]:
    network = config.runtime.network
    if network.mode == "PUBLIC":
        return RuntimeNetwork.public(), None
    if not network.makes_endpoints:  # your subnets and security groups, as they are
        return (
            RuntimeNetwork.vpc(
                subnets=[
                    ec2.Subnet.from_subnet_id(stack, f"Subnet{i}", subnet_id)
                    for i, subnet_id in enumerate(network.subnet_ids)
                ],
                security_groups=[
                    ec2.SecurityGroup.from_security_group_id(stack, f"SecurityGroup{i}", group)
                    for i, group in enumerate(network.security_group_ids)
                ],
            ),
            None,
        )
    reuse: dict[EndpointService, ec2.ISecurityGroup] = {}
    isolated: IsolatedVpc | None = None
    if network.create_vpc is not None:  # ours: every endpoint is made here
        isolated = IsolatedVpc(
            stack,
            "Network",
            az_ids=network.create_vpc.availability_zone_ids,
            cidr=network.create_vpc.cidr,
        )
        vpc, subnets = isolated.vpc, isolated.subnets
        route_tables = [subnet.route_table.route_table_id for subnet in subnets]
        create = [s for s in config.endpoint_services if s != GATEWAY_SERVICE]
    else:  # yours: only what the config says to create, the rest is reused
        assert network.vpc_id is not None
        vpc = ec2.Vpc.from_vpc_attributes(
            stack,
            "Network",
            vpc_id=network.vpc_id,
            availability_zones=[f"zone-of-{s}" for s in network.subnet_ids],
        )
        subnets = [
            ec2.Subnet.from_subnet_id(stack, f"Subnet{i}", subnet_id)
            for i, subnet_id in enumerate(network.subnet_ids)
        ]
        route_tables = list(network.route_table_ids)
        create = [s for s in network.create_endpoints if s != GATEWAY_SERVICE]
        groups: dict[str, ec2.ISecurityGroup] = {}
        for service, reused in network.reuse_endpoints.items():
            if reused.security_group_id is None:
                continue
            group_id = reused.security_group_id
            if group_id not in groups:
                groups[group_id] = ec2.SecurityGroup.from_security_group_id(
                    stack, f"ReusedEndpointGroup{len(groups)}", group_id
                )
            reuse[EndpointService(service)] = groups[group_id]
    gateway = config.gateway
    endpoints = PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc,
        subnets=subnets,
        services=[EndpointService(name) for name in create],
        route_table_ids=route_tables,
        reuse=reuse,
        # A gateway shared from another account is outside the endpoint policy's own account.
        external_resources=(
            {EndpointService.AGENTCORE_GATEWAY: [gateway.arn]} if gateway is not None else None
        ),
    )
    for rule in network.egress:
        endpoints.runtime_security_group.add_egress_rule(
            ec2.Peer.ipv4(rule.cidr), ec2.Port.tcp(rule.port), rule.description
        )
    # With our VPC, the runtime also waits for its subnets' route tables (the S3 route).
    network_ready = endpoints.network.after(isolated) if isolated is not None else endpoints.network
    return network_ready, endpoints
