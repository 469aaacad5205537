"""A runtime in private subnets with no NAT and no internet route: VPC endpoints for what it
reaches, security groups that allow only that, and (optionally) the isolated VPC itself.

AgentCore runs VPC-mode runtimes only in some Availability Zones, named by AZ *id* (AZ names
map to ids differently in every account), so a created VPC places its subnets by AZ id.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping, Sequence

from aws_cdk import CfnResource, RemovalPolicy, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from .network import RuntimeNetwork
from .prefix_list import ManagedPrefixList
from .stack_env import StackAwareConstruct, stack_env

HTTPS = 443
# Tag on what a stack delete leaves behind (ERRATA 38); its value is the stack's name.
RETAINED_TAG = "agentcore:retained-by-stack"

# "Supported Availability Zones" for VPC mode, AgentCore developer guide (agentcore-vpc).
SUPPORTED_AZ_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az4"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3"),
    "ap-southeast-2": ("apse2-az1", "apse2-az2", "apse2-az3"),
    "ap-south-1": ("aps1-az1", "aps1-az2", "aps1-az3"),
    "ap-southeast-1": ("apse1-az1", "apse1-az2", "apse1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
}


class EndpointService(enum.Enum):
    """Interface endpoint services a runtime may reach (``com.amazonaws.<region>.<value>``)."""

    BEDROCK_RUNTIME = "bedrock-runtime"  # the model
    AGENTCORE = "bedrock-agentcore"  # data plane: identity tokens, memory, invoke
    AGENTCORE_GATEWAY = "bedrock-agentcore.gateway"  # the MCP tool gateway
    LOGS = "logs"
    XRAY = "xray"
    SECRETS_MANAGER = "secretsmanager"
    STS = "sts"
    ECR_API = "ecr.api"
    ECR_DOCKER = "ecr.dkr"

    @property
    def accepts_oauth_callers(self) -> bool:
        """AgentCore endpoints also carry bearer-token (OAuth) calls, which have no IAM
        principal: their policy must name ``*`` ("VPC interface endpoints", AgentCore guide)."""
        return self in (EndpointService.AGENTCORE, EndpointService.AGENTCORE_GATEWAY)


def az_id_problems(region: str | None, az_ids: Sequence[str]) -> list[str]:
    """Why these AZ ids cannot hold a VPC-mode runtime, if they cannot."""
    supported = SUPPORTED_AZ_IDS.get(region or "")
    if supported is None:
        known = ", ".join(sorted(SUPPORTED_AZ_IDS))
        return [f"region {region!r} has no known AgentCore VPC Availability Zones (known: {known})"]
    problems = [
        f"{az} is not an AgentCore VPC Availability Zone in {region}; use {', '.join(supported)}"
        for az in az_ids
        if az not in supported
    ]
    if len(set(az_ids)) < 2:
        problems.append("give at least two different Availability Zone ids")
    return problems


AZ_SLOTS = 8  # subnet slots in a created VPC: one per AZ number, az1..az8
LARGEST_SUBNET_PREFIX = 20  # /20 subnets where the VPC has room (4,091 addresses each)
AZ_NUMBER = re.compile(r"-az(\d+)$")


def az_number(az_id: str) -> int:
    """The number an AZ id ends with (``use1-az4`` is 4), unique within its region."""
    match = AZ_NUMBER.search(az_id)
    if match is None:
        raise ValueError(f"IsolatedVpc: {az_id!r} is not an AZ id such as use1-az1")
    return int(match.group(1))


def subnet_cidrs(cidr: str, az_ids: Sequence[str]) -> dict[str, str]:
    """Each AZ's subnet CIDR, in slot ``az number - 1`` of the VPC split into ``AZ_SLOTS``.

    A subnet's CIDR depends on its AZ only, never on the list's order or length, so changing
    the list adds or removes subnets without moving any (a moved CIDR would be a replacement
    that collides with the subnet it replaces). A /16 or /17 has /20 slots (in a /16, az1 and
    az2 keep the first releases' CIDRs, its first two /20s); a smaller VPC is split into 8
    equal slots (a /24 into /27s).
    """
    problems: list[str] = []
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError as error:
        raise ValueError(
            f"IsolatedVpc: cidr {cidr!r} is not an IPv4 network ({error}); use one such as "
            "10.40.0.0/16"
        ) from None
    if not 16 <= network.prefixlen <= 24:
        problems.append(f"cidr {cidr} must be a /16 to /24 (EC2's VPC sizes with room for subnets)")
    numbers = [az_number(az_id) for az_id in az_ids]
    duplicates = sorted({az for az in az_ids if az_ids.count(az) > 1})
    if duplicates:
        problems.append(f"AZ ids given twice: {', '.join(duplicates)}")
    problems += [
        f"{az_id}: AZ numbers 1 to {AZ_SLOTS} have a subnet slot"
        for az_id, number in zip(az_ids, numbers, strict=True)
        if not 1 <= number <= AZ_SLOTS
    ]
    if problems:
        raise ValueError("IsolatedVpc: " + "; ".join(problems))
    prefix = max(LARGEST_SUBNET_PREFIX, network.prefixlen + AZ_SLOTS.bit_length() - 1)
    slots = list(network.subnets(new_prefix=prefix))
    return {az_id: str(slots[number - 1]) for az_id, number in zip(az_ids, numbers, strict=True)}


class IsolatedVpc(StackAwareConstruct):
    """A VPC with one private isolated subnet per AZ id: no internet gateway, no NAT.

    Built from L1 resources because subnets are placed by AZ id, which the L2 ``Vpc`` does not
    offer; ``vpc`` is the usual ``IVpc`` for everything that takes one. The VPC and its subnets
    are retained when the stack is deleted, because a runtime's network interfaces may outlive
    it by hours (ERRATA 38); they carry the ``RETAINED_TAG`` for the clean-up.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        az_ids: Sequence[str],
        cidr: str = "10.40.0.0/16",
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        cidrs = subnet_cidrs(cidr, az_ids)
        cfn_vpc = ec2.CfnVPC(
            self, "Vpc", cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True
        )
        retain_after_delete(cfn_vpc)
        subnet_ids, route_table_ids = [], []
        for az_id, subnet_cidr in cidrs.items():
            # Named by the AZ's number, like its CIDR: reordering or adding AZ ids leaves the
            # other subnets as they are (AZ and CIDR are fixed at creation).
            number = az_number(az_id)
            subnet = ec2.CfnSubnet(
                self,
                f"Subnet{number}",
                vpc_id=cfn_vpc.ref,
                availability_zone_id=az_id,
                cidr_block=subnet_cidr,
                map_public_ip_on_launch=False,
            )
            retain_after_delete(subnet)
            table = ec2.CfnRouteTable(self, f"RouteTable{number}", vpc_id=cfn_vpc.ref)
            ec2.CfnSubnetRouteTableAssociation(
                self, f"Association{number}", subnet_id=subnet.ref, route_table_id=table.ref
            )
            subnet_ids.append(subnet.ref)
            route_table_ids.append(table.ref)
        az_ids = list(cidrs)
        self.subnets = [
            ec2.Subnet.from_subnet_attributes(
                self,
                f"Isolated{az_number(az_id)}",
                subnet_id=subnet_id,
                route_table_id=table_id,
                availability_zone=az_id,
            )
            for subnet_id, table_id, az_id in zip(subnet_ids, route_table_ids, az_ids, strict=True)
        ]
        self.vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Imported",
            vpc_id=cfn_vpc.ref,
            vpc_cidr_block=cidr,
            availability_zones=list(az_ids),
            isolated_subnet_ids=subnet_ids,
            isolated_subnet_route_table_ids=route_table_ids,
        )
        flow_logs = logs.LogGroup(
            self, "FlowLogs", retention=flow_log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
        )


class PrivateEndpoints(StackAwareConstruct):
    """The runtime's security group and the endpoints it reaches in ``subnets``' VPC.

    ``services`` get an interface endpoint here, with private DNS (so the SDKs' default
    hostnames resolve to it) and a security group that admits only the runtime. Private DNS
    applies to the whole VPC: in a VPC other workloads use, list a service in ``reuse``
    instead, mapped to the security group of the endpoint the VPC already has; the runtime may
    then send to that group, and that group admits the runtime (a rule this stack adds).

    S3 is reached through a gateway endpoint, made here on ``route_table_ids`` or already in the
    VPC; either way the runtime's group gets egress to the region's S3 prefix list, which
    every session needs to fetch its image layers or code (ERRATA 35). Nothing else is open.

    AgentCore may keep the runtime's network interfaces for up to 8 hours after the runtime is
    deleted (ERRATA 38), so the runtime's security group is retained when the stack is deleted:
    ``cdk destroy`` then succeeds, and the group is deleted later (the README's clean-up).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: Sequence[ec2.ISubnet],
        services: Sequence[EndpointService],
        route_table_ids: Sequence[str] = (),
        reuse: Mapping[EndpointService, ec2.ISecurityGroup] | None = None,
        external_resources: Mapping[EndpointService, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        reuse = dict(reuse or {})
        problems = [
            f"{service.value} is both created and reused: choose one"
            for service in services
            if service in reuse
        ] + [
            f"external_resources of {service.value}: only AgentCore endpoints take them"
            for service in external_resources or {}
            if not service.accepts_oauth_callers
        ]
        if problems:
            raise ValueError("PrivateEndpoints: " + "; ".join(problems))
        self.runtime_security_group = ec2.SecurityGroup(
            self,
            "RuntimeSecurityGroup",
            vpc=vpc,
            allow_all_outbound=False,
            description="AgentCore runtime: HTTPS to its VPC endpoints only",
        )
        retain_after_delete(self.runtime_security_group)
        self.interface_endpoints: dict[EndpointService, ec2.InterfaceVpcEndpoint] = {}
        self.endpoint_security_group: ec2.SecurityGroup | None = None
        if services:
            endpoint_group = ec2.SecurityGroup(
                self,
                "EndpointSecurityGroup",
                vpc=vpc,
                allow_all_outbound=False,
                description="VPC endpoints: HTTPS from the AgentCore runtime only",
            )
            self._allow_https(endpoint_group, "the VPC endpoints")
            self.endpoint_security_group = endpoint_group
        for service in dict.fromkeys(services):
            endpoint = ec2.InterfaceVpcEndpoint(
                self,
                service.name.title().replace("_", ""),
                vpc=vpc,
                service=ec2.InterfaceVpcEndpointAwsService(service.value),
                subnets=ec2.SubnetSelection(subnets=list(subnets)),
                security_groups=[endpoint_group],
                private_dns_enabled=True,
                open=False,
            )
            extra = (external_resources or {}).get(service, ())
            endpoint.add_to_policy(_endpoint_statement(self, service, extra))
            self.interface_endpoints[service] = endpoint
        data_plane = self.interface_endpoints.get(EndpointService.AGENTCORE)
        gateway = self.interface_endpoints.get(EndpointService.AGENTCORE_GATEWAY)
        if data_plane is not None and gateway is not None:
            # The gateway's private DNS (*.gateway.bedrock-agentcore.<region>...) nests in the
            # data plane's: create them one after the other, never concurrently.
            gateway.node.add_dependency(data_plane)
        for group in {group.security_group_id: group for group in reuse.values()}.values():
            services_of_group = sorted(s.value for s, g in reuse.items() if g is group)
            self._allow_https(group, f"the VPC's existing {', '.join(services_of_group)} endpoint")
        self.s3_endpoint = (
            ec2.CfnVPCEndpoint(
                self,
                "S3Gateway",
                vpc_id=vpc.vpc_id,
                service_name=f"com.amazonaws.{stack_env(self).region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=list(route_table_ids),
            )
            if route_table_ids
            else None
        )
        self.s3_prefix_list = ManagedPrefixList.s3(self)
        self.runtime_security_group.add_egress_rule(
            self.s3_prefix_list.peer,
            ec2.Port.tcp(HTTPS),
            "HTTPS to S3 through the gateway endpoint: image layers and code",
        )
        # The runtime waits for every endpoint, route and rule here, and for the rules added
        # to reused endpoints' groups (children of those imported groups).
        self.network = RuntimeNetwork.vpc(
            subnets=list(subnets), security_groups=[self.runtime_security_group]
        ).after(self, *{group.security_group_id: group for group in reuse.values()}.values())

    def _allow_https(self, group: ec2.ISecurityGroup, what: str) -> None:
        """The runtime may send HTTPS to ``group``, which accepts HTTPS from the runtime only."""
        group.add_ingress_rule(
            self.runtime_security_group, ec2.Port.tcp(HTTPS), "HTTPS from the AgentCore runtime"
        )
        self.runtime_security_group.add_egress_rule(
            group, ec2.Port.tcp(HTTPS), f"HTTPS to {what}"[:255]
        )


def retain_after_delete(construct: IConstruct) -> None:
    """Keep what the runtime's network interfaces pin (ERRATA 38), tagged for the clean-up."""
    resource = construct.node.default_child if not isinstance(construct, CfnResource) else construct
    assert isinstance(resource, CfnResource)
    resource.apply_removal_policy(RemovalPolicy.RETAIN)
    Tags.of(construct).add(RETAINED_TAG, stack_env(construct).stack_name)


def _endpoint_statement(
    scope: Construct, service: EndpointService, external_resources: Sequence[str]
) -> iam.PolicyStatement:
    """This account's principals only; AgentCore endpoints: this account's resources, AWS's
    built-in ones (the Code Interpreter and Browser, whose ARNs have ``aws`` as the account)
    and the ``external_resources`` named (a gateway shared from another account), any caller."""
    stack = stack_env(scope)
    if service.accepts_oauth_callers:
        arn = f"arn:{stack.partition}:bedrock-agentcore:{stack.region}"
        return iam.PolicyStatement(
            principals=[iam.AnyPrincipal()],
            actions=["bedrock-agentcore:*"],
            resources=[f"{arn}:{stack.account}:*", f"{arn}:aws:*", *external_resources],
        )
    return iam.PolicyStatement(
        principals=[iam.AnyPrincipal()],
        actions=["*"],
        resources=["*"],
        conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}},
    )
