"""The tools of a Lambda target, from JSON Schema, in the shape the gateway accepts.

The gateway takes a subset of JSON Schema (``type``, ``description``, ``properties``,
``required``, ``items``). Anything else is reported rather than dropped: a silently removed
``enum`` or ``format`` would loosen the contract the model sees without anyone noticing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import aws_bedrockagentcore as agentcore

SCHEMA_TYPES = ("string", "number", "object", "array", "boolean", "integer")
SCHEMA_KEYS = ("type", "description", "properties", "required", "items")

Problems = list[tuple[str, object, str]]
Schema = agentcore.CfnGatewayTarget.SchemaDefinitionProperty


@dataclass(frozen=True)
class ToolDefinition:
    """One tool: a name, what it does (the model reads this), and JSON Schemas of its
    input and (optionally) output."""

    name: str
    description: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any] | None = None

    @classmethod
    def load(cls, path: str | Path) -> list[ToolDefinition]:
        """Tools from a JSON file in the API's shape: ``[{"name", "description",
        "inputSchema", "outputSchema"?}, ...]`` (the same file a tool schema in S3 holds)."""
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
        if not (isinstance(entries, list) and all(isinstance(e, dict) for e in entries)):
            raise ValueError("expected a JSON array of tool definition objects")
        return [
            cls(
                name=entry.get("name", ""),
                description=entry.get("description", ""),
                input_schema=entry.get("inputSchema", {}),
                output_schema=entry.get("outputSchema"),
            )
            for entry in entries
        ]

    def problems(self, prop: str) -> Problems:
        found: Problems = []
        if not self.name:
            found.append((f"{prop}.name", self.name, "give the tool a name"))
        if not self.description:
            found.append(
                (
                    f"{prop}.description",
                    self.description,
                    "say what the tool does: the model chooses tools by their descriptions",
                )
            )
        found.extend(_schema_problems(f"{prop}.input_schema", self.input_schema))
        if self.output_schema is not None:
            found.extend(_schema_problems(f"{prop}.output_schema", self.output_schema))
        return found

    def to_cfn(self) -> agentcore.CfnGatewayTarget.ToolDefinitionProperty:
        return agentcore.CfnGatewayTarget.ToolDefinitionProperty(
            name=self.name,
            description=self.description,
            input_schema=_schema(self.input_schema),
            output_schema=_schema(self.output_schema) if self.output_schema is not None else None,
        )


def _schema_problems(prop: str, schema: object) -> Problems:
    if not isinstance(schema, Mapping):
        return [(prop, schema, "must be a JSON Schema object")]
    found: Problems = []
    unsupported = sorted(set(schema) - set(SCHEMA_KEYS))
    if unsupported:
        found.append(
            (prop, unsupported, f"the gateway supports only {', '.join(SCHEMA_KEYS)}: remove these")
        )
    if schema.get("type") not in SCHEMA_TYPES:
        expected = f"must be one of {', '.join(SCHEMA_TYPES)}"
        found.append((f"{prop}.type", schema.get("type"), expected))
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        found.append((f"{prop}.properties", properties, "must map property names to schemas"))
    else:
        for name, sub in properties.items():
            found.extend(_schema_problems(f"{prop}.properties[{name!r}]", sub))
    required = schema.get("required", [])
    if not (isinstance(required, list) and all(isinstance(r, str) for r in required)):
        found.append((f"{prop}.required", required, "must be a list of property names"))
    if "items" in schema:
        found.extend(_schema_problems(f"{prop}.items", schema["items"]))
    return found


def _schema(schema: Mapping[str, Any]) -> Schema:
    """Property *names* under ``properties`` are the user's and stay exactly as given."""
    return Schema(
        type=schema["type"],
        description=schema.get("description"),
        properties=(
            {name: _schema(sub) for name, sub in schema["properties"].items()}
            if "properties" in schema
            else None
        ),
        required=list(schema["required"]) if "required" in schema else None,
        items=_schema(schema["items"]) if "items" in schema else None,
    )
