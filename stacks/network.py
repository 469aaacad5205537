"""The runtime's network from config: public, your subnets, or a private VPC with endpoints."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2

from agentcore_constructs import RuntimeNetwork
from agentcore_constructs.private_network import EndpointService, IsolatedVpc, PrivateEndpoints

from .config import EnvironmentConfig

# What the agent and the runtime reach at run time, whatever else is configured.
ALWAYS = (
    EndpointService.BEDROCK_RUNTIME,  # the model (Strands' BedrockModel)
    EndpointService.AGENTCORE,  # workload identity tokens; the data plane
    EndpointService.AGENTCORE_GATEWAY,  # the MCP tool gateway
    EndpointService.LOGS,  # the runtime's logs
    EndpointService.STS,  # regional credentials for the SDKs
)


def endpoint_services(config: EnvironmentConfig) -> list[EndpointService]:
    services = list(ALWAYS)
    if config.runtime.artifact == "container":
        services += [EndpointService.ECR_API, EndpointService.ECR_DOCKER]
    if config.observability.traces == "aws":
        services.append(EndpointService.XRAY)
    if config.runtime.secrets:
        services.append(EndpointService.SECRETS_MANAGER)
    return services


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
    if network.create_vpc is not None:
        isolated = IsolatedVpc(
            stack,
            "Network",
            az_ids=network.create_vpc.availability_zone_ids,
            cidr=network.create_vpc.cidr,
        )
        vpc, subnets = isolated.vpc, isolated.subnets
        route_tables = [subnet.route_table.route_table_id for subnet in subnets]
    else:
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
    endpoints = PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc,
        subnets=subnets,
        services=endpoint_services(config),
        route_table_ids=route_tables,
        reuse=[EndpointService(name) for name in network.reuse_endpoints],
    )
    return endpoints.network, endpoints
