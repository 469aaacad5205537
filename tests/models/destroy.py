"""What a stack delete does while AgentCore's network interfaces remain (TEST TOOLING).

After a runtime is deleted its elastic network interfaces may stay in the VPC for up to 8 hours
(ERRATA 38). They keep the runtime's security groups and subnets in use, and the subnets keep
their VPC: CloudFormation's delete of any of those fails with DependencyViolation and the
stack ends in DELETE_FAILED. What the interfaces pin must be retained, must not refer to
anything the delete removes (EC2 refuses to delete a security group another group's inline
rule names), and must carry the tag the clean-up looks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .references import Graph, referenced_ids, target

RUNTIME = "AWS::BedrockAgentCore::Runtime"
RETAINED_TAG = "agentcore:retained-by-stack"


@dataclass(frozen=True)
class DestroyReport:
    pinned: frozenset[str]  # in-template resources the interfaces keep in use
    problems: tuple[str, ...]


def _retained(resource: Mapping[str, Any]) -> bool:
    return resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")


def _tags(resource: Mapping[str, Any]) -> dict[str, Any]:
    tags = resource.get("Properties", {}).get("Tags", [])
    return {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else dict(tags)


def pinned_by_interfaces(graph: Graph) -> set[str]:
    """The runtime's security groups and subnets made in this template, and their VPCs."""
    pinned: set[str] = set()
    for runtime in graph.of_type(RUNTIME).values():
        vpc_config = runtime["Properties"]["NetworkConfiguration"].get("NetworkModeConfig", {})
        for value in vpc_config.get("SecurityGroups", []) + vpc_config.get("Subnets", []):
            logical_id = target(value)
            if logical_id in graph.resources:
                pinned.add(logical_id)
    for logical_id in list(pinned):
        vpc = target(graph.properties(logical_id).get("VpcId"))
        if vpc in graph.resources:
            pinned.add(vpc)
    return pinned


def stack_delete(template: Mapping[str, Any], *, stack_name: str) -> DestroyReport:
    graph = Graph(template)
    pinned = pinned_by_interfaces(graph)
    problems = []
    for logical_id in sorted(pinned):
        resource = graph.resources[logical_id]
        if not _retained(resource):
            problems.append(
                f"{logical_id} ({resource['Type']}) is deleted while AgentCore's network "
                "interfaces still use it: DependencyViolation, the stack ends DELETE_FAILED"
            )
        elif resource.get("UpdateReplacePolicy") != "Retain":
            problems.append(
                f"{logical_id}: a replacement deletes the old one while interfaces use it "
                "(UPDATE_COMPLETE_CLEANUP fails); set UpdateReplacePolicy Retain"
            )
        elif _tags(resource).get(RETAINED_TAG) != stack_name:
            problems.append(f"{logical_id} is left behind without the {RETAINED_TAG} tag")
    retained = {k for k, v in graph.resources.items() if _retained(v)}
    for logical_id in sorted(pinned & retained):
        removed = sorted(
            d
            for d in set(referenced_ids(graph.properties(logical_id)))
            if d in graph.resources and d not in retained
        )
        for dependency in removed:
            problems.append(
                f"{dependency} is deleted but the retained {logical_id} still refers to it: "
                "its delete fails (a security group named in another group's rule, say)"
            )
    return DestroyReport(frozenset(pinned), tuple(problems))
