"""What a template's values point at: logical ids behind Ref/GetAtt/Sub, and the dependency
graph CloudFormation orders creation and deletion by (TEST TOOLING)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def referenced_ids(value: Any) -> Iterator[str]:
    """Every logical id (or pseudo parameter) a value refers to, anywhere inside it."""
    if isinstance(value, list):
        for item in value:
            yield from referenced_ids(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref":
                yield item
            elif key == "Fn::GetAtt":
                yield item[0] if isinstance(item, list) else item.split(".", 1)[0]
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                yield from (name.split(".", 1)[0] for name in SUB_VARIABLE.findall(text))
                if isinstance(item, list):
                    yield from referenced_ids(item[1])
            else:
                yield from referenced_ids(item)


def target(value: Any) -> str | None:
    """The logical id a ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}`` names, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, item),) = value.items()
        if key == "Ref":
            return item
        if key == "Fn::GetAtt":
            return item[0] if isinstance(item, list) else item.split(".", 1)[0]
    return None


class Graph:
    """Resources and the edges CloudFormation derives: DependsOn plus every reference."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        self.resources: Mapping[str, Any] = template["Resources"]

    def of_type(self, kind: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        return self.resources[logical_id].get("Properties", {})

    @cached_property
    def depends_on(self) -> dict[str, set[str]]:
        """Direct dependencies of each resource (resources only, pseudo parameters dropped)."""
        edges: dict[str, set[str]] = {}
        for logical_id, resource in self.resources.items():
            declared = resource.get("DependsOn", [])
            declared = [declared] if isinstance(declared, str) else declared
            found = set(declared) | set(referenced_ids(resource.get("Properties", {})))
            edges[logical_id] = {d for d in found if d in self.resources}
        return edges

    def ancestors(self, logical_id: str) -> set[str]:
        """Everything created before ``logical_id`` (its transitive dependencies)."""
        seen: set[str] = set()
        stack = [logical_id]
        while stack:
            for dependency in self.depends_on[stack.pop()]:
                if dependency not in seen:
                    seen.add(dependency)
                    stack.append(dependency)
        return seen

    def ordered(self, first: str, second: str) -> bool:
        """Can CloudFormation never work on the two at once (one waits for the other)?"""
        return first in self.ancestors(second) or second in self.ancestors(first)
