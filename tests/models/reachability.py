"""Can every session of a VPC-mode runtime reach what it needs, and nothing more? (TEST TOOLING)

The model reads the runtime's own properties to list what a session needs (its image or code,
the model, the gateway, Memory, secrets, logs, traces) and then, for each need, looks for a
path through the template's network as EC2 and the endpoints would evaluate it:

- DNS: an interface endpoint for the service with private DNS in the runtime's VPC (the SDKs
  use the default hostnames), or S3's gateway endpoint on the route table of every subnet;
- security groups: an egress rule of the runtime's group that covers TCP 443 to the endpoint's
  group (or to S3's prefix list, where the gateway endpoint routes), and an ingress rule of
  the endpoint's group that admits the runtime's group. A group with no egress rule at all
  keeps EC2's allow-all default; any rule, inline or a separate ``SecurityGroupEgress``, strips
  it (CloudFormation's behaviour, aws/aws-cdk#987 and #998);
- the endpoint policy: it must allow the runtime's role that action on that resource.

Then the other way round: every egress rule of the runtime's groups must serve some need, no
route leaves the VPC, and each endpoint made serves a need. For a VPC the stack does not own,
``ExistingVpc`` says what is already there (route tables, endpoints and their groups).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.policy.evaluator import Principal, Request, statement_applies
from tests.policy.template import ResolvedTemplate

from .references import Graph, target

RUNTIME = "AWS::BedrockAgentCore::Runtime"
HTTPS = 443
ALL_TRAFFIC = ("-1", -1)


@dataclass(frozen=True)
class Need:
    """One thing a session reaches: a service (its endpoint name, or ``otlp``) for an action."""

    purpose: str
    service: str
    action: str
    resource: str
    host: str | None = None  # otlp only: the collector
    port: int = HTTPS


@dataclass(frozen=True)
class ExistingEndpoint:
    """An endpoint a VPC of yours already has: interface (groups) or gateway (route tables)."""

    service: str
    security_groups: tuple[str, ...] = ()
    route_tables: tuple[str, ...] = ()
    private_dns: bool = True
    admits: tuple[str, ...] = ()  # security groups its groups already accept HTTPS from


@dataclass(frozen=True)
class ExistingVpc:
    """What the template refers to but does not make: a VPC of yours."""

    vpc_id: str
    cidr: str
    subnet_route_tables: Mapping[str, str]
    endpoints: tuple[ExistingEndpoint, ...] = ()
    hosts: Mapping[str, str] = field(default_factory=dict)  # DNS names inside it -> addresses


@dataclass(frozen=True)
class Rule:
    """One security group rule: protocol and ports, and its peer (a group, prefix list, CIDR)."""

    group: str
    protocol: str
    from_port: int
    to_port: int
    peer_kind: str  # "group", "prefix-list", "cidr"
    peer: str

    def covers_tcp(self, port: int) -> bool:
        if self.protocol in ALL_TRAFFIC:
            return True
        return self.protocol in ("tcp", "6") and self.from_port <= port <= self.to_port

    def __str__(self) -> str:
        return f"{self.group} {self.protocol} {self.from_port}-{self.to_port} {self.peer_kind} {self.peer}"


@dataclass(frozen=True)
class Endpoint:
    name: str
    service: str
    kind: str  # Interface or Gateway
    security_groups: tuple[str, ...]
    route_tables: tuple[str, ...]
    private_dns: bool
    policy: Mapping[str, Any] | None
    admits: tuple[str, ...] = ()


@dataclass
class Report:
    paths: dict[Need, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.missing + self.open


class _Resolved(ResolvedTemplate):
    """The policy tooling's resolver, plus the attributes the network needs."""

    def ref(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{logical_id}-AbCdEf"
        return super().ref(logical_id)

    def attribute(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if (kind, attribute) == ("AWS::BedrockAgentCore::Gateway", "GatewayUrl"):
            gateway_id = self.attribute(logical_id, "GatewayIdentifier")
            return f"https://{gateway_id}.gateway.bedrock-agentcore.{self.region}.amazonaws.com/mcp"
        return super().attribute(logical_id, attribute)


class Network:
    """The template's network as EC2 sees it, plus an existing VPC's facts."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        stack: str,
        account: str,
        region: str,
        existing: ExistingVpc | None = None,
    ) -> None:
        self.graph = Graph(template)
        self.resolved = _Resolved(template, stack=stack, account=account, region=region)
        self.account, self.region, self.existing = account, region, existing
        (self.runtime_id,) = self.graph.of_type(RUNTIME)
        self.runtime = self.graph.properties(self.runtime_id)
        vpc_config = self.runtime["NetworkConfiguration"]["NetworkModeConfig"]
        self.runtime_groups = [self._key(g) for g in vpc_config["SecurityGroups"]]
        self.subnets = [self._key(s) for s in vpc_config["Subnets"]]
        self.rules = self._rules()
        self.endpoints = self._endpoints()

    # -- reading the template ---------------------------------------------------------------
    def _key(self, value: Any) -> str:
        """A logical id for what the template makes, the literal id for what it imports."""
        found = target(value)
        if found is not None:
            return found
        assert isinstance(value, str), value
        return value

    def _rules(self) -> dict[tuple[str, str], list[Rule]]:
        """(group, "egress"/"ingress") -> rules, inline and separate resources together."""
        rules: dict[tuple[str, str], list[Rule]] = {}
        for logical_id, group in self.graph.of_type("AWS::EC2::SecurityGroup").items():
            props = group["Properties"]
            for direction, key in (
                ("egress", "SecurityGroupEgress"),
                ("ingress", "SecurityGroupIngress"),
            ):
                for raw in props.get(key, []):
                    rules.setdefault((logical_id, direction), []).append(
                        self._rule(logical_id, raw)
                    )
        for kind, direction in (
            ("AWS::EC2::SecurityGroupEgress", "egress"),
            ("AWS::EC2::SecurityGroupIngress", "ingress"),
        ):
            for raw in self.graph.of_type(kind).values():
                group = self._key(raw["Properties"]["GroupId"])
                rules.setdefault((group, direction), []).append(
                    self._rule(group, raw["Properties"])
                )
        return rules

    def _rule(self, group: str, raw: Mapping[str, Any]) -> Rule:
        protocol = str(raw["IpProtocol"])
        from_port, to_port = int(raw.get("FromPort", -1)), int(raw.get("ToPort", -1))
        for key, kind in (
            ("DestinationSecurityGroupId", "group"),
            ("SourceSecurityGroupId", "group"),
            ("DestinationPrefixListId", "prefix-list"),
            ("SourcePrefixListId", "prefix-list"),
        ):
            if key in raw:
                peer = self._key(raw[key])
                if kind == "prefix-list":
                    peer = self._prefix_list_name(raw[key])
                return Rule(group, protocol, from_port, to_port, kind, peer)
        cidr = raw.get("CidrIp") or raw.get("CidrIpv6")
        return Rule(group, protocol, from_port, to_port, "cidr", str(self.resolved.resolve(cidr)))

    def _prefix_list_name(self, value: Any) -> str:
        """A prefix list by name: a lookup resource's ``PrefixListName``, else the literal id."""
        logical_id = target(value)
        if logical_id is None:
            return str(value)
        resource = self.graph.resources[logical_id]
        name = resource.get("Properties", {}).get("PrefixListName")
        if resource["Type"].startswith("Custom::") and name is not None:
            return str(self.resolved.resolve(name))
        return f"<{resource['Type']} {logical_id}>"

    def egress(self, group: str) -> list[Rule]:
        """A group's egress: its rules, or EC2's allow-all default when it has none."""
        if group in self.graph.resources:
            return self.rules.get((group, "egress")) or [
                Rule(
                    group,
                    "-1",
                    -1,
                    -1,
                    "cidr",
                    "0.0.0.0/0 (EC2's default: the group has no egress rule)",
                )
            ]
        return self.rules.get((group, "egress"), [])

    def ingress(self, group: str) -> list[Rule]:
        return self.rules.get((group, "ingress"), [])

    def _endpoints(self) -> list[Endpoint]:
        found = []
        for logical_id, raw in self.graph.of_type("AWS::EC2::VPCEndpoint").items():
            props = raw["Properties"]
            name = str(self.resolved.resolve(props["ServiceName"]))
            prefix = f"com.amazonaws.{self.region}."
            assert name.startswith(prefix), name
            policy = props.get("PolicyDocument")
            found.append(
                Endpoint(
                    name=logical_id,
                    service=name.removeprefix(prefix),
                    kind=props.get("VpcEndpointType", "Interface"),
                    security_groups=tuple(self._key(g) for g in props.get("SecurityGroupIds", [])),
                    route_tables=tuple(self._key(t) for t in props.get("RouteTableIds", [])),
                    private_dns=bool(props.get("PrivateDnsEnabled", False)),
                    policy=self.resolved.document(policy) if policy is not None else None,
                )
            )
        for existing in self.existing.endpoints if self.existing else ():
            found.append(
                Endpoint(
                    name=f"existing {existing.service} endpoint",
                    service=existing.service,
                    kind="Gateway" if existing.route_tables else "Interface",
                    security_groups=existing.security_groups,
                    route_tables=existing.route_tables,
                    private_dns=existing.private_dns,
                    policy=None,
                    admits=existing.admits,
                )
            )
        return found

    def route_table_of(self, subnet: str) -> str | None:
        for association in self.graph.of_type("AWS::EC2::SubnetRouteTableAssociation").values():
            props = association["Properties"]
            if self._key(props["SubnetId"]) == subnet:
                return self._key(props["RouteTableId"])
        if self.existing is not None:
            return self.existing.subnet_route_tables.get(subnet)
        return None

    def vpc_dns_on(self) -> bool:
        """Private DNS needs the VPC's DNS support and hostnames (an existing VPC: assumed)."""
        for subnet in self.subnets:
            vpc = (
                target(self.graph.properties(subnet).get("VpcId"))
                if subnet in self.graph.resources
                else None
            )
            if vpc is not None:
                props = self.graph.properties(vpc)
                if not (
                    props.get("EnableDnsSupport", True) and props.get("EnableDnsHostnames", False)
                ):
                    return False
        return True

    # -- what a session needs ----------------------------------------------------------------
    @property
    def role(self) -> str:
        return str(self.resolved.resolve(self.runtime["RoleArn"]))

    def _env(self, name: str) -> Any:
        value = self.runtime.get("EnvironmentVariables", {}).get(name)
        return None if value is None else self.resolved.resolve(value)

    def needs(self) -> list[Need]:
        region, account = self.region, self.account
        artifact = self.runtime["AgentRuntimeArtifact"]
        needs: list[Need] = []
        if "ContainerConfiguration" in artifact:
            uri = str(self.resolved.resolve(artifact["ContainerConfiguration"]["ContainerUri"]))
            registry, path = uri.split("/", 1)
            repository = path.rsplit(":", 1)[0].split("@", 1)[0]
            registry_account = registry.split(".", 1)[0]
            needs += [
                Need("registry login", "ecr.api", "ecr:GetAuthorizationToken", "*"),
                Need(
                    "image manifest",
                    "ecr.dkr",
                    "ecr:BatchGetImage",
                    f"arn:aws:ecr:{region}:{registry_account}:repository/{repository}",
                ),
                # ECR serves layers from its own bucket through S3 (ECR user guide, VPC endpoints).
                Need(
                    "image layers",
                    "s3",
                    "s3:GetObject",
                    f"arn:aws:s3:::prod-{region}-starport-layer-bucket/x",
                ),
            ]
        if "CodeConfiguration" in artifact:
            code = self.resolved.resolve(artifact["CodeConfiguration"]["Code"]["S3"])
            needs.append(
                Need(
                    "code zip",
                    "s3",
                    "s3:GetObject",
                    f"arn:aws:s3:::{code['Bucket']}/{code['Prefix']}",
                )
            )
        model = self._env("MODEL_ID")
        if model:
            kind = (
                "inference-profile"
                if model.split(".", 1)[0]
                in ("us", "eu", "apac", "global", "us-gov", "jp", "au", "ca")
                else "foundation-model"
            )
            owner = account if kind == "inference-profile" else ""
            needs.append(
                Need(
                    "the model",
                    "bedrock-runtime",
                    "bedrock:InvokeModelWithResponseStream",
                    f"arn:aws:bedrock:{region}:{owner}:{kind}/{model}",
                )
            )
        gateway = self.runtime.get("EnvironmentVariables", {}).get("GATEWAY_ENDPOINT")
        if gateway is not None:
            needs.append(
                Need(
                    "the tool gateway",
                    "bedrock-agentcore.gateway",
                    "bedrock-agentcore:InvokeGateway",
                    self._gateway_arn(gateway),
                )
            )
        directory = (
            f"arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default"
        )
        needs.append(
            Need(
                "workload identity token",
                "bedrock-agentcore",
                "bedrock-agentcore:GetWorkloadAccessToken",
                directory,
            )
        )
        memory = self._env("MEMORY_ID")
        if memory:
            needs.append(
                Need(
                    "conversation memory",
                    "bedrock-agentcore",
                    "bedrock-agentcore:CreateEvent",
                    f"arn:aws:bedrock-agentcore:{region}:{account}:memory/{memory}",
                )
            )
        for name in self.runtime.get("EnvironmentVariables", {}):
            if name.startswith("SECRET_ARN_"):
                needs.append(
                    Need(
                        f"secret {name.removeprefix('SECRET_ARN_')}",
                        "secretsmanager",
                        "secretsmanager:GetSecretValue",
                        str(self._env(name)),
                    )
                )
        log_group = f"arn:aws:logs:{region}:{account}:log-group:/aws/bedrock-agentcore/runtimes/x-DEFAULT:log-stream:x"
        needs.append(Need("the runtime's logs", "logs", "logs:PutLogEvents", log_group))
        needs.append(Need("regional STS for the SDKs", "sts", "sts:GetCallerIdentity", "*"))
        traces = self._env("AGENT_TRACES")
        if traces == "aws":
            needs.append(Need("spans (OTLP /v1/traces)", "xray", "xray:PutTraceSegments", "*"))
        if traces == "otlp":
            url = urlsplit(str(self._env("OTEL_EXPORTER_OTLP_ENDPOINT")))
            port = url.port or (443 if url.scheme == "https" else 80)
            needs.append(
                Need("spans to the OTLP collector", "otlp", "", "", host=url.hostname, port=port)
            )
        return needs

    def _gateway_arn(self, value: Any) -> str:
        """The gateway the URL belongs to: made here, or the one the role may invoke."""
        logical_id = target(value)
        if logical_id is not None:
            return self.resolved.attribute(logical_id, "GatewayArn")
        role = target(self.runtime["RoleArn"])
        assert role is not None
        for document in self.resolved.identity_policies(role):
            for statement in document["Statement"]:
                actions = (
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
                if "bedrock-agentcore:InvokeGateway" in actions:
                    resources = statement["Resource"]
                    return resources if isinstance(resources, str) else resources[0]
        raise AssertionError(
            "a gateway URL but no InvokeGateway grant: the model cannot tell its ARN"
        )

    # -- the proof -----------------------------------------------------------------------------
    def _policy_allows(self, endpoint: Endpoint, need: Need) -> bool:
        if endpoint.policy is None:
            return True  # no policy: full access (the endpoint default)
        request = Request(
            Principal(role_arn=self.role),
            need.action,
            need.resource,
            {"aws:PrincipalAccount": self.account},
        )
        effects = {
            s["Effect"]
            for s in endpoint.policy["Statement"]
            if statement_applies(s, request, resource_policy=True)
        }
        return "Allow" in effects and "Deny" not in effects

    def _egress_to(self, kind: str, peer: str, port: int) -> Rule | None:
        for group in self.runtime_groups:
            for rule in self.egress(group):
                if rule.peer_kind == kind and rule.peer == peer and rule.covers_tcp(port):
                    return rule
        return None

    def _interface_path(self, need: Need) -> tuple[str, Rule | None] | str:
        """A path to the service's interface endpoint, or why there is none."""
        candidates = [
            e for e in self.endpoints if e.service == need.service and e.kind == "Interface"
        ]
        if not candidates:
            return f"no {need.service} endpoint in the VPC"
        why = []
        for endpoint in candidates:
            if not endpoint.private_dns or not self.vpc_dns_on():
                why.append(f"{endpoint.name} has no private DNS: the SDK's hostname is not it")
                continue
            for group in endpoint.security_groups:
                rule = self._egress_to("group", group, HTTPS)
                if rule is None:
                    why.append(f"the runtime's groups send nothing to {group} ({endpoint.name})")
                    continue
                admitted = any(
                    r.peer_kind == "group" and r.peer in self.runtime_groups and r.covers_tcp(HTTPS)
                    for r in self.ingress(group)
                )
                if not admitted and not set(endpoint.admits) & set(self.runtime_groups):
                    why.append(
                        f"{group} ({endpoint.name}) admits nothing from the runtime's groups"
                    )
                    continue
                if not self._policy_allows(endpoint, need):
                    why.append(f"{endpoint.name}'s policy denies {need.action} on {need.resource}")
                    continue
                return f"{endpoint.name} via {group}", rule
        return "; ".join(why)

    def _s3_path(self, need: Need) -> tuple[str, Rule | None] | str:
        gateways = [e for e in self.endpoints if e.service == "s3" and e.kind == "Gateway"]
        tables = {self.route_table_of(subnet) for subnet in self.subnets}
        routed = [g for g in gateways if None not in tables and tables <= set(g.route_tables)]
        if not routed:
            return f"no S3 gateway endpoint on the route tables of the runtime's subnets ({sorted(map(str, tables))})"
        rule = self._egress_to("prefix-list", f"com.amazonaws.{self.region}.s3", HTTPS)
        if rule is None:
            return "the runtime's groups send nothing to S3's prefix list (the gateway endpoint routes there)"
        if not self._policy_allows(routed[0], need):
            return f"{routed[0].name}'s policy denies {need.action} on {need.resource}"
        return f"{routed[0].name} (route) via the S3 prefix list", rule

    def _collector_path(self, need: Need) -> tuple[str, Rule | None] | str:
        address = (self.existing.hosts.get(need.host or "") if self.existing else None) or need.host
        try:
            ip = ipaddress.IPv4Address(address or "")
        except ValueError:
            return f"{need.host} does not resolve inside the VPC"
        if self.existing is None or ip not in ipaddress.IPv4Network(self.existing.cidr):
            return f"{ip} is outside the VPC and no route leaves it"
        for group in self.runtime_groups:
            for rule in self.egress(group):
                if (
                    rule.peer_kind == "cidr"
                    and "/" in rule.peer
                    and ip in ipaddress.IPv4Network(rule.peer.split()[0], strict=False)
                    and rule.covers_tcp(need.port)
                ):
                    return f"egress to {rule.peer}:{need.port}", rule
        return f"the runtime's groups send nothing to {ip}:{need.port}"

    def prove(self) -> Report:
        report = Report()
        used: set[Rule] = set()
        used_endpoints: set[str] = set()
        for need in self.needs():
            if need.service == "s3":
                found = self._s3_path(need)
            elif need.service == "otlp":
                found = self._collector_path(need)
            else:
                found = self._interface_path(need)
            if isinstance(found, str):
                report.missing.append(f"{need.purpose} ({need.service}): {found}")
                continue
            path, rule = found
            report.paths[need] = path
            used_endpoints.add(path.split(" ", 1)[0])
            if rule is not None:
                used.add(rule)
        for group in self.runtime_groups:
            for rule in self.egress(group):
                if rule not in used:
                    report.open.append(f"egress {rule} serves no session need")
        for endpoint in self.endpoints:
            if endpoint.name in self.graph.resources and endpoint.name not in used_endpoints:
                report.open.append(f"{endpoint.name} ({endpoint.service}) serves no session need")
            for group in endpoint.security_groups:
                for rule in self.ingress(group):
                    if (
                        rule.peer_kind != "group"
                        or rule.peer not in self.runtime_groups
                        or rule.protocol != "tcp"
                        or (rule.from_port, rule.to_port) != (HTTPS, HTTPS)
                    ):
                        report.open.append(f"{endpoint.name}'s group admits {rule}")
        for route in self.graph.of_type("AWS::EC2::Route").values():
            report.open.append(f"a route leaves the VPC: {route['Properties']}")
        for kind in (
            "AWS::EC2::InternetGateway",
            "AWS::EC2::NatGateway",
            "AWS::EC2::TransitGatewayAttachment",
        ):
            report.open.extend(
                f"{logical_id}: {kind} gives the VPC a way out"
                for logical_id in self.graph.of_type(kind)
            )
        return report


def prove(
    template: Mapping[str, Any],
    *,
    stack: str,
    account: str,
    region: str,
    existing: ExistingVpc | None = None,
) -> Report:
    return Network(template, stack=stack, account=account, region=region, existing=existing).prove()


__all__: Sequence[str] = ["ExistingEndpoint", "ExistingVpc", "Need", "Report", "prove"]
