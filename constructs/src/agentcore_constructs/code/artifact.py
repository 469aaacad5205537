"""``AgentRuntimeCode``: the runtime's code artifact, a zip of Python in S3 (no container).

Who reads the zip: the principal that calls CreateAgentRuntime/UpdateAgentRuntime, which under
CloudFormation is the stack's deployment role, needs ``s3:GetObject`` on it (and
``s3:GetObjectVersion`` with a version id, ``kms:Decrypt`` for a KMS-encrypted object); the
runtime's execution role does not read it (AgentCore developer guide, "Direct code deployment:
common issues"). So nothing here is granted to the execution role.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from ..validation import is_token
from .bundle import ENTRY_SCRIPT, BundleError, Bundler, BundleSpec

MAX_ENTRY_POINT_ITEMS = 2
MAX_ENTRY_POINT_LENGTH = 128
PACKAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AgentPython(enum.Enum):
    """The managed CPython the code runs on (``CodeConfiguration.Runtime``)."""

    PYTHON_3_10 = "3.10"
    PYTHON_3_11 = "3.11"
    PYTHON_3_12 = "3.12"
    PYTHON_3_13 = "3.13"
    PYTHON_3_14 = "3.14"

    @property
    def version(self) -> str:
        return self.value


@dataclass(frozen=True)
class BoundCode:
    """What the runtime needs from a code artifact."""

    bucket_name: str
    object_key: str
    version_id: str | None
    python: AgentPython
    entry_point: tuple[str, ...]

    def to_cfn(self) -> agentcore.CfnRuntime.AgentRuntimeArtifactProperty:
        return agentcore.CfnRuntime.AgentRuntimeArtifactProperty(
            code_configuration=agentcore.CfnRuntime.CodeConfigurationProperty(
                code=agentcore.CfnRuntime.CodeProperty(
                    s3=agentcore.CfnRuntime.S3LocationProperty(
                        bucket=self.bucket_name, prefix=self.object_key, version_id=self.version_id
                    )
                ),
                runtime=self.python.name,
                entry_point=list(self.entry_point),
            )
        )


@dataclass(frozen=True)
class AgentRuntimeCode:
    """Choose with ``from_directory`` (bundled at synth, no Docker) or ``from_bucket``."""

    python: AgentPython
    entry_point: tuple[str, ...]
    spec: BundleSpec | None = None
    bucket: s3.IBucket | None = None
    key: str | None = None
    version_id: str | None = None
    bundler: Bundler = field(default_factory=Bundler, compare=False)

    @staticmethod
    def from_directory(
        path: str,
        *,
        module: str | None = None,
        entry_point: Sequence[str] | None = None,
        requirements: str | None = None,
        python: AgentPython = AgentPython.PYTHON_3_13,
        exclude: Sequence[str] = (),
        bytecode: bool = False,
        bundler: Bundler | None = None,
    ) -> AgentRuntimeCode:
        """Zip ``path`` with the linux/aarch64 wheels of ``requirements`` (a fully pinned lock).

        Give ``module`` to ship ``path`` as that package, started like ``python -m <module>``,
        or ``entry_point`` (1-2 items, e.g. ``["main.py"]``) naming a file at ``path``'s root.
        ``bytecode`` ships ``.pyc`` files compiled by a local CPython of the same version
        (shorter cold starts; needs ``python3.X`` on the building machine).
        """
        spec = BundleSpec(
            source=Path(path),
            python=python.version,
            requirements=Path(requirements) if requirements else None,
            package=module,
            exclude=tuple(exclude),
            bytecode=bytecode,
        )
        entry = tuple(entry_point) if entry_point else ((ENTRY_SCRIPT,) if module else ())
        return AgentRuntimeCode(python, entry, spec=spec, bundler=bundler or Bundler())

    @staticmethod
    def from_bucket(
        bucket: s3.IBucket,
        key: str,
        *,
        entry_point: Sequence[str],
        python: AgentPython = AgentPython.PYTHON_3_13,
        version_id: str | None = None,
    ) -> AgentRuntimeCode:
        """A zip you uploaded (code at its root, aarch64 dependencies beside it)."""
        return AgentRuntimeCode(
            python, tuple(entry_point), bucket=bucket, key=key, version_id=version_id
        )

    def problems(self) -> list[tuple[str, object, str]]:
        found: list[tuple[str, object, str]] = []
        if not 1 <= len(self.entry_point) <= MAX_ENTRY_POINT_ITEMS:
            found.append(
                (
                    "code.entry_point",
                    list(self.entry_point),
                    "give 1 or 2 items, e.g. ['main.py'] or ['opentelemetry-instrument', "
                    "'main.py'], or module= for a package",
                )
            )
        for item in self.entry_point:
            if not is_token(item) and not 1 <= len(item) <= MAX_ENTRY_POINT_LENGTH:
                found.append(("code.entry_point", item, "items are 1 to 128 characters"))
        spec = self.spec
        if spec is None:
            return found
        if not spec.source.is_dir():
            found.append(("code.path", str(spec.source), "must be an existing directory"))
        if spec.requirements is not None and not spec.requirements.is_file():
            found.append(("code.requirements", str(spec.requirements), "must be an existing file"))
        if spec.package is not None and not PACKAGE_NAME.fullmatch(spec.package):
            found.append(("code.module", spec.package, "must be a top-level package name"))
        if spec.package and self.entry_point != (ENTRY_SCRIPT,):
            found.append(("code.entry_point", list(self.entry_point), "give module or entry_point"))
        if spec.package is None and self.entry_point and spec.source.is_dir():
            script = self.entry_point[-1]
            if script.endswith(".py") and not (spec.source / script).is_file():
                found.append(("code.entry_point", script, f"is not a file in {spec.source}"))
        return found

    def bind(self, scope: Construct) -> BoundCode:
        if self.spec is None:
            assert self.bucket is not None and self.key is not None
            return BoundCode(
                self.bucket.bucket_name, self.key, self.version_id, self.python, self.entry_point
            )
        try:
            bundle = self.bundler.build(self.spec)
        except BundleError as error:
            raise BundleError(f"{scope.node.path}: {error}") from None
        asset = s3_assets.Asset(scope, "CodeAsset", path=str(bundle))
        return BoundCode(
            asset.s3_bucket_name, asset.s3_object_key, None, self.python, self.entry_point
        )
