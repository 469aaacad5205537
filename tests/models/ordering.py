"""Calls the service serializes, and whether the template serializes them too (TEST TOOLING).

CloudWatch Logs refuses a ``CreateDelivery`` (and its delete) while another is in progress on
the same delivery source or the same destination (``ConflictException``, ERRATA 39).
CloudFormation works on resources in parallel unless one depends on the other, so every two
deliveries that share a source or a destination must be ordered by the dependency graph.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from .references import Graph, target

DELIVERY = "AWS::Logs::Delivery"


def _key(value: Any) -> str:
    """A delivery's source or destination: the resource it names, else the literal value."""
    return target(value) or json.dumps(value, sort_keys=True)


def unordered_deliveries(template: Mapping[str, Any]) -> list[str]:
    """One line per pair of deliveries that share a source or destination but may run at once."""
    graph = Graph(template)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for logical_id, delivery in graph.of_type(DELIVERY).items():
        props = delivery["Properties"]
        shared["source", _key(props["DeliverySourceName"])].append(logical_id)
        shared["destination", _key(props["DeliveryDestinationArn"])].append(logical_id)
    return [
        f"{first} and {second} share {kind} {name} but are not ordered: CloudWatch Logs "
        "answers the second ConflictException"
        for (kind, name), deliveries in sorted(shared.items())
        for first, second in itertools.combinations(sorted(deliveries), 2)
        if not graph.ordered(first, second)
    ]


RUNTIME = "AWS::BedrockAgentCore::Runtime"
# What a VPC-mode session needs at start (image layers and code come through the VPC since
# May 2026, ERRATA 35): the runtime must not be created or updated before any of it exists.
NETWORK_PATHS = (
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SubnetRouteTableAssociation",
)
AGENTCORE_ENDPOINTS = ("bedrock-agentcore", "bedrock-agentcore.gateway")


def runtime_before_its_network(template: Mapping[str, Any]) -> list[str]:
    """One line per network path a VPC-mode runtime may be created or updated without."""
    graph = Graph(template)
    paths = [k for k in graph.resources if graph.resources[k]["Type"] in NETWORK_PATHS]
    return [
        f"{runtime} does not wait for {path} ({graph.resources[path]['Type']}): a version may "
        "start its sessions before the path exists"
        for runtime, resource in graph.of_type(RUNTIME).items()
        if resource["Properties"]["NetworkConfiguration"]["NetworkMode"] == "VPC"
        for path in sorted(set(paths) - graph.ancestors(runtime))
    ]


def nested_private_dns_unordered(template: Mapping[str, Any]) -> list[str]:
    """The AgentCore gateway endpoint's private DNS nests in the data plane's: one at a time."""
    graph = Graph(template)
    by_service: dict[str, list[str]] = defaultdict(list)
    for logical_id, endpoint in graph.of_type("AWS::EC2::VPCEndpoint").items():
        name = json.dumps(endpoint["Properties"]["ServiceName"])
        for service in AGENTCORE_ENDPOINTS:
            if name.endswith(f'.{service}"'):
                by_service[service].append(logical_id)
    return [
        f"{first} and {second} both publish private DNS under bedrock-agentcore but are "
        "created at once"
        for first in by_service["bedrock-agentcore"]
        for second in by_service["bedrock-agentcore.gateway"]
        if not graph.ordered(first, second)
    ]
