"""Where an OpenAPI or Smithy target's spec comes from: inline text or an S3 object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from ..stack_env import stack_env
from ..validation import is_token


@dataclass(frozen=True)
class TargetSpec:
    """An API spec. Inline specs go into the template; an S3 spec is read by the gateway's
    role, which is granted ``s3:GetObject`` on that one object."""

    inline: str | None = None
    path: Path | None = None
    bucket: s3.IBucket | None = None
    key: str | None = None

    @classmethod
    def from_inline(cls, spec: str) -> TargetSpec:
        return cls(inline=spec)

    @classmethod
    def from_file(cls, path: str | Path) -> TargetSpec:
        """A local file, read at synth and put inline (no asset bucket involved)."""
        return cls(path=Path(path))

    @classmethod
    def from_s3(cls, bucket: s3.IBucket, key: str) -> TargetSpec:
        return cls(bucket=bucket, key=key)

    def problems(self, prop: str) -> list[tuple[str, object, str]]:
        if self.path is not None and not self.path.is_file():
            return [(prop, str(self.path), "is not a readable file: check the path")]
        if self.inline is not None and not self.inline.strip():
            return [(prop, self.inline, "is empty: give the spec's text")]
        if self.bucket is not None and not (self.key and (is_token(self.key) or self.key.strip())):
            return [(prop, self.key, "give the object key of the spec in the bucket")]
        return []

    def to_cfn(self) -> agentcore.CfnGatewayTarget.ApiSchemaConfigurationProperty:
        if self.bucket is not None:
            return agentcore.CfnGatewayTarget.ApiSchemaConfigurationProperty(
                s3=agentcore.CfnGatewayTarget.S3ConfigurationProperty(
                    uri=f"s3://{self.bucket.bucket_name}/{self.key}"
                )
            )
        text = self.path.read_text(encoding="utf-8") if self.path is not None else self.inline
        return agentcore.CfnGatewayTarget.ApiSchemaConfigurationProperty(inline_payload=text)

    def statements(self, scope: IConstruct) -> list[iam.PolicyStatement]:
        """Read this one object (and decrypt it, through S3 only, if the bucket has a key)."""
        if self.bucket is None or self.key is None:
            return []
        statements = [
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(self.key)]
            )
        ]
        if self.bucket.encryption_key is not None:
            stack = stack_env(scope)
            statements.append(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self.bucket.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}
                    },
                )
            )
        return statements
