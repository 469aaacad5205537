"""A synthesized template's policies with every intrinsic resolved to concrete ARNs (TEST TOOLING).

Physical names are made up the way CloudFormation makes them (stack, logical id, suffix) unless
the template names the resource; ARNs follow each service's documented format, so a policy
that builds a wrong ARN (``<log group Arn>:log-stream:*``) no longer matches the real one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .evaluator import Principal

PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
NAME_PROPERTY = {
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
}


class ResolvedTemplate:
    """Resolve Ref/GetAtt/Join/Sub/Select/Split for one stack in one account and region."""

    def __init__(self, template: Mapping[str, Any], *, stack: str, account: str, region: str):
        self.resources: Mapping[str, Any] = template["Resources"]
        self.stack, self.account, self.region = stack, account, region

    # -- physical names and attributes -------------------------------------------------------
    def name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        explicit = resource.get("Properties", {}).get(NAME_PROPERTY.get(resource["Type"], ""))
        if explicit is not None:
            return self.resolve(explicit)
        generated = f"{self.stack}-{logical_id[:40]}-G3N3RAT3D"
        return generated.lower() if resource["Type"] == "AWS::ECR::Repository" else generated

    def ref(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind in ("AWS::SNS::Topic",):
            return self.attribute(logical_id, "TopicArn")
        if kind == "AWS::KMS::Key":
            return f"key-{logical_id.lower()}"
        return self.name(logical_id)

    def attribute(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        account, region = self.account, self.region
        if (kind, attribute) == ("AWS::Logs::LogGroup", "Arn"):
            return f"arn:aws:logs:{region}:{account}:log-group:{self.name(logical_id)}:*"
        if (kind, attribute) == ("AWS::SNS::Topic", "TopicArn"):
            return f"arn:aws:sns:{region}:{account}:{self.name(logical_id)}"
        if (kind, attribute) == ("AWS::KMS::Key", "Arn"):
            return f"arn:aws:kms:{region}:{account}:key/{self.ref(logical_id)}"
        if (kind, attribute) == ("AWS::ECR::Repository", "Arn"):
            return f"arn:aws:ecr:{region}:{account}:repository/{self.name(logical_id)}"
        if (kind, attribute) == ("AWS::IAM::Role", "Arn"):
            return f"arn:aws:iam::{account}:role/{self.name(logical_id)}"
        if (kind, attribute) == ("AWS::Lambda::Function", "Arn"):
            return f"arn:aws:lambda:{region}:{account}:function:{self.name(logical_id)}"
        if (kind, attribute) == ("AWS::BedrockAgentCore::Runtime", "AgentRuntimeId"):
            return f"{logical_id[:20]}-AbCdEf1234"
        if (kind, attribute) == ("AWS::BedrockAgentCore::Runtime", "AgentRuntimeArn"):
            runtime_id = self.attribute(logical_id, "AgentRuntimeId")
            return f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/{runtime_id}"
        if (kind, attribute) == ("AWS::BedrockAgentCore::Memory", "MemoryId"):
            return f"{logical_id[:20]}-MeMoRy1234"
        if (kind, attribute) == ("AWS::BedrockAgentCore::Memory", "MemoryArn"):
            memory_id = self.attribute(logical_id, "MemoryId")
            return f"arn:aws:bedrock-agentcore:{region}:{account}:memory/{memory_id}"
        if (kind, attribute) == ("AWS::BedrockAgentCore::Gateway", "GatewayIdentifier"):
            return f"{logical_id[:20].lower()}-gw1"
        if (kind, attribute) == ("AWS::BedrockAgentCore::Gateway", "GatewayArn"):
            gateway_id = self.attribute(logical_id, "GatewayIdentifier")
            return f"arn:aws:bedrock-agentcore:{region}:{account}:gateway/{gateway_id}"
        raise KeyError(f"no test rendering for {kind}.{attribute} ({logical_id})")

    # -- intrinsic functions -------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {k: self.resolve(v) for k, v in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref_or_pseudo(argument)
        if function == "Fn::GetAtt":
            return self.attribute(*argument)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(self.resolve(p)) for p in self.resolve(parts))
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(index)]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(separator)
        if function == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), argument)
        raise KeyError(f"intrinsic {function} is not resolved by the test tooling")

    def _ref_or_pseudo(self, name: str) -> Any:
        if name == "AWS::AccountId":
            return self.account
        if name == "AWS::Region":
            return self.region
        if name == "AWS::StackName":
            return self.stack
        if name in PSEUDO:
            return PSEUDO[name]
        return self.ref(name)

    def _sub(self, expression: str) -> str:
        if "." in expression:
            return self.attribute(*expression.split(".", 1))
        return str(self._ref_or_pseudo(expression))

    # -- policies ------------------------------------------------------------------------------
    def of_type(self, kind: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def document(self, raw: Any) -> dict[str, Any]:
        resolved = self.resolve(raw)
        return json.loads(resolved) if isinstance(resolved, str) else resolved

    def role(self, logical_id: str) -> Principal:
        return Principal(role_arn=self.attribute(logical_id, "Arn"))

    def identity_policies(self, role_logical_id: str) -> list[dict[str, Any]]:
        """Inline and attached policies of a role; managed policies are refused (not modelled)."""
        role = self.resources[role_logical_id]["Properties"]
        if role.get("ManagedPolicyArns"):
            raise KeyError(f"{role_logical_id} has managed policies, which are not modelled")
        documents = [self.document(p["PolicyDocument"]) for p in role.get("Policies", [])]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
                documents.append(self.document(policy["Properties"]["PolicyDocument"]))
        return documents

    def trust_policy(self, role_logical_id: str) -> dict[str, Any]:
        return self.document(
            self.resources[role_logical_id]["Properties"]["AssumeRolePolicyDocument"]
        )

    def topic_policies(self, topic_arn: str) -> list[dict[str, Any]]:
        return [
            self.document(p["Properties"]["PolicyDocument"])
            for p in self.of_type("AWS::SNS::TopicPolicy").values()
            if topic_arn in self.resolve(p["Properties"]["Topics"])
        ]

    def account_policies(self, kind: str) -> list[dict[str, Any]]:
        """Logs and X-Ray resource policies apply account-wide, to every log group or trace."""
        return [
            self.document(p["Properties"]["PolicyDocument"]) for p in self.of_type(kind).values()
        ]

    def key_policy(self, key_logical_id: str) -> dict[str, Any]:
        return self.document(self.resources[key_logical_id]["Properties"]["KeyPolicy"])
