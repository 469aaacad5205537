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
