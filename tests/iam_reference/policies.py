"""Every policy statement of a synthesized template, resolved, with where it came from.

Intrinsics are resolved by ``tests.policy.template.ResolvedTemplate`` (ARNs in their documented
formats); the few resource types it does not render are added here. A resource of a type not
walked below that still carries a policy document is reported, so a new policy-bearing
construct cannot slip past the check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tests.policy.template import ResolvedTemplate

Kind = Literal["identity", "resource", "trust", "permission"]

# Resource type -> (property, kind) of the documents it holds; "Policies" is a list of
# {PolicyName, PolicyDocument}.
DOCUMENTS: dict[str, tuple[tuple[str, Kind], ...]] = {
    "AWS::IAM::Policy": (("PolicyDocument", "identity"),),
    "AWS::IAM::ManagedPolicy": (("PolicyDocument", "identity"),),
    "AWS::IAM::Role": (("AssumeRolePolicyDocument", "trust"), ("Policies", "identity")),
    "AWS::IAM::User": (("Policies", "identity"),),
    "AWS::IAM::Group": (("Policies", "identity"),),
    "AWS::KMS::Key": (("KeyPolicy", "resource"),),
    "AWS::SNS::TopicPolicy": (("PolicyDocument", "resource"),),
    "AWS::SQS::QueuePolicy": (("PolicyDocument", "resource"),),
    "AWS::S3::BucketPolicy": (("PolicyDocument", "resource"),),
    "AWS::EC2::VPCEndpoint": (("PolicyDocument", "resource"),),
    "AWS::Logs::ResourcePolicy": (("PolicyDocument", "resource"),),
    "AWS::XRay::ResourcePolicy": (("PolicyDocument", "resource"),),
    "AWS::ECR::Repository": (("RepositoryPolicyText", "resource"),),
    "AWS::SecretsManager::ResourcePolicy": (("ResourcePolicy", "resource"),),
}
LAMBDA_PERMISSION = "AWS::Lambda::Permission"


class Resolver(ResolvedTemplate):
    """``ResolvedTemplate`` plus the ARNs of resources only the policy check meets."""

    def ref(self, logical_id: str) -> str:
        if self.resources[logical_id]["Type"] == "AWS::SecretsManager::Secret":
            return self.attribute(logical_id, "Id")  # Ref of a secret is its ARN
        return super().ref(logical_id)

    def attribute(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        prefix = f"arn:aws:bedrock-agentcore:{self.region}:{self.account}"
        if (kind, attribute) == ("AWS::SecretsManager::Secret", "Id"):
            return (
                f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:"
                f"{logical_id[:20]}-AbCdEf"
            )
        if kind.endswith("CredentialProvider") and attribute == "CredentialProviderArn":
            provider = (
                "apikeycredentialprovider" if "ApiKey" in kind else "oauth2credentialprovider"
            )
            return f"{prefix}:token-vault/default/{provider}/{logical_id[:20].lower()}"
        return super().attribute(logical_id, attribute)


@dataclass(frozen=True)
class Origin:
    """Which template, resource and property a statement is in."""

    template: str
    logical_id: str
    resource_type: str
    path: str
    kind: Kind

    def __str__(self) -> str:
        return f"{self.template} {self.logical_id} ({self.resource_type} {self.path})"


@dataclass(frozen=True)
class Located:
    """One statement (resolved), or why its document could not be read."""

    origin: Origin
    index: int
    statement: Mapping[str, Any]
    problem: str | None = None

    @property
    def label(self) -> str:
        sid = self.statement.get("Sid")
        return f"statement {sid!r}" if sid else f"statement #{self.index}"

    def __str__(self) -> str:
        return f"{self.origin} {self.label}"


def _statements(origin: Origin, resolver: Resolver, raw: Any) -> Iterator[Located]:
    try:
        document = resolver.document(raw)
    except (KeyError, ValueError, TypeError) as error:
        yield Located(origin, 0, {}, f"the document cannot be resolved: {error}")
        return
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        yield Located(origin, 0, {}, "the document has no Statement list")
        return
    for index, statement in enumerate(statements):
        yield Located(origin, index, statement)


def _lambda_permission(origin: Origin, resolver: Resolver, properties: Any) -> Iterator[Located]:
    """A Lambda permission is one statement: its action granted to its principal."""
    try:
        principal = resolver.resolve(properties["Principal"])
        action = resolver.resolve(properties["Action"])
    except KeyError as error:
        yield Located(origin, 0, {}, f"the permission cannot be resolved: {error}")
        return
    key = "Service" if str(principal).endswith(".amazonaws.com") else "AWS"
    yield Located(origin, 0, {"Effect": "Allow", "Action": action, "Principal": {key: principal}})


def statements(name: str, template: Mapping[str, Any], resolver: Resolver) -> Iterator[Located]:
    """Every statement of every policy-bearing resource of ``template`` (named ``name``)."""
    for logical_id, resource in template["Resources"].items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind == LAMBDA_PERMISSION:
            origin = Origin(name, logical_id, kind, "Action/Principal", "permission")
            yield from _lambda_permission(origin, resolver, properties)
            continue
        if kind not in DOCUMENTS:
            if "Statement" in json.dumps(properties):
                origin = Origin(name, logical_id, kind, "Properties", "resource")
                yield Located(origin, 0, {}, "holds a policy document the walker does not read")
            continue
        for prop, role in DOCUMENTS[kind]:
            if prop not in properties:
                continue
            if prop == "Policies":
                for policy in properties[prop]:
                    path = f"Policies[{policy.get('PolicyName')}]"
                    origin = Origin(name, logical_id, kind, path, role)
                    yield from _statements(origin, resolver, policy["PolicyDocument"])
            else:
                origin = Origin(name, logical_id, kind, prop, role)
                yield from _statements(origin, resolver, properties[prop])
