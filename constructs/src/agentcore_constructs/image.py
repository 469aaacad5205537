"""The runtime's container image: built from a directory, or an existing ECR image.

Every route pins an immutable reference (the asset hash or an explicit tag/digest): a runtime
keeps the image it was created with, so ``:latest`` would never roll out a change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from constructs import Construct, IDependable

from .image_copy import EcrImageCopy
from .stack_env import stack_env
from .validation import is_token

_ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<name>[a-z0-9._/-]+)(?::(?P<tag>[\w.-]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)


@dataclass(frozen=True)
class BoundImage:
    """What the runtime needs from an image: its URI, who to pull from, what to wait for."""

    uri: str
    repository: ecr.IRepository | None
    repository_arn: str | None
    dependency: IDependable | None = None

    def to_cfn(self) -> agentcore.CfnRuntime.AgentRuntimeArtifactProperty:
        return agentcore.CfnRuntime.AgentRuntimeArtifactProperty(
            container_configuration=agentcore.CfnRuntime.ContainerConfigurationProperty(
                container_uri=self.uri
            )
        )


class AgentRuntimeImage:
    """Choose with ``from_asset``, ``from_ecr_repository`` or ``from_image_uri``."""

    def bind(self, scope: Construct) -> BoundImage:
        raise NotImplementedError

    def problems(self) -> list[tuple[str, object, str]]:
        return []

    @staticmethod
    def from_asset(
        directory: str,
        *,
        repository: ecr.IRepository | None = None,
        platform: ecr_assets.Platform = ecr_assets.Platform.LINUX_ARM64,
        exclude: Sequence[str] | None = None,
    ) -> AgentRuntimeImage:
        """Build ``directory`` (linux/arm64 by default: the runtime refuses other images).

        Without ``repository`` the runtime pulls from the CDK bootstrap assets repository; with
        it, the image is copied into ``repository`` under the asset hash by ``EcrImageCopy``
        (idempotent, so IMMUTABLE repositories survive update rollbacks).
        Only ``cdk deploy`` builds the image; synth needs no Docker engine.
        """
        return _AssetImage(directory, repository, platform, tuple(exclude or ()))

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag: str) -> AgentRuntimeImage:
        """An image already in ``repository``; ``tag`` is immutable, never ``latest``."""
        return _RepositoryImage(repository, tag)

    @staticmethod
    def from_image_uri(uri: str) -> AgentRuntimeImage:
        """An ECR image URI with a tag other than ``latest`` or a digest."""
        return _UriImage(uri)


class _AssetImage(AgentRuntimeImage):
    def __init__(
        self,
        directory: str,
        repository: ecr.IRepository | None,
        platform: ecr_assets.Platform,
        exclude: tuple[str, ...],
    ) -> None:
        self.directory = directory
        self.repository = repository
        self.platform = platform
        self.exclude = exclude

    def bind(self, scope: Construct) -> BoundImage:
        asset = ecr_assets.DockerImageAsset(
            scope,
            "ImageAsset",
            directory=self.directory,
            platform=self.platform,
            exclude=list(self.exclude) or None,
        )
        if self.repository is None:
            return BoundImage(asset.image_uri, asset.repository, asset.repository.repository_arn)
        tag = asset.image_tag
        copy = EcrImageCopy(
            scope,
            "ImageCopy",
            source_repository=asset.repository,
            source_tag=tag,
            destination=self.repository,
            destination_tag=tag,
        )
        return BoundImage(
            self.repository.repository_uri_for_tag(tag),
            self.repository,
            self.repository.repository_arn,
            dependency=copy,
        )


class _RepositoryImage(AgentRuntimeImage):
    def __init__(self, repository: ecr.IRepository, tag: str) -> None:
        self.repository = repository
        self.tag = tag

    def problems(self) -> list[tuple[str, object, str]]:
        if not is_token(self.tag) and (self.tag == "latest" or not self.tag):
            return [("image.tag", self.tag, "use an immutable tag (e.g. a build hash), not latest")]
        return []

    def bind(self, scope: Construct) -> BoundImage:
        return BoundImage(
            self.repository.repository_uri_for_tag(self.tag),
            self.repository,
            self.repository.repository_arn,
        )


class _UriImage(AgentRuntimeImage):
    def __init__(self, uri: str) -> None:
        self.uri = uri

    def problems(self) -> list[tuple[str, object, str]]:
        if is_token(self.uri):
            return []
        match = _ECR_URI.match(self.uri)
        if match is None:
            return [
                (
                    "image.uri",
                    self.uri,
                    "must be <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> or @sha256:...",
                )
            ]
        if match["tag"] == "latest":
            return [("image.uri", self.uri, "use an immutable tag or a digest, not :latest")]
        return []

    def bind(self, scope: Construct) -> BoundImage:
        match = None if is_token(self.uri) else _ECR_URI.match(self.uri)
        if match is None:
            return BoundImage(self.uri, None, None)
        partition = stack_env(scope).partition
        arn = f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['name']}"
        return BoundImage(self.uri, None, arn)
