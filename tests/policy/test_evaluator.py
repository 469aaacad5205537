"""Known answers for the test IAM evaluator, so the policy tests stand on something proven."""

from __future__ import annotations

import pytest

from .evaluator import Principal, Request, UnsupportedPolicy, is_allowed

ROLE = Principal(role_arn="arn:aws:iam::111122223333:role/app")
CLOUDWATCH = Principal(service="cloudwatch.amazonaws.com")
TOPIC = "arn:aws:sns:eu-west-1:111122223333:alarms"


def allow(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


def deny(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", **statement}]}


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("s3:GetObject", "arn:aws:s3:::bucket/key", True),
        ("S3:getobject", "arn:aws:s3:::bucket/key", True),  # actions ignore case
        ("s3:PutObject", "arn:aws:s3:::bucket/key", False),
        ("s3:GetObject", "arn:aws:s3:::BUCKET/key", False),  # resources do not
        ("s3:GetObject", "arn:aws:s3:::bucket", False),
        ("s3:GetObjectAcl", "arn:aws:s3:::bucket/k", True),
    ],
)
def test_action_and_resource_wildcards(action, resource, expected) -> None:
    policy = allow(Action="s3:Get*", Resource="arn:aws:s3:::bucket/?*")
    assert is_allowed(Request(ROLE, action, resource), identity_policies=[policy]) is expected


def test_not_action_and_not_resource() -> None:
    policy = allow(NotAction="iam:*", NotResource="arn:aws:s3:::secret/*")
    assert is_allowed(Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k"), identity_policies=[policy])
    assert not is_allowed(Request(ROLE, "iam:PassRole", "*"), identity_policies=[policy])
    assert not is_allowed(
        Request(ROLE, "s3:GetObject", "arn:aws:s3:::secret/k"), identity_policies=[policy]
    )


def test_explicit_deny_wins_over_any_allow() -> None:
    request = Request(ROLE, "sns:Publish", TOPIC, {"aws:SecureTransport": False})
    ssl_only = deny(
        Principal="*",
        Action="sns:Publish",
        Resource=TOPIC,
        Condition={"Bool": {"aws:SecureTransport": "false"}},
    )
    identity = allow(Action="sns:Publish", Resource=TOPIC)
    assert not is_allowed(request, identity_policies=[identity], resource_policies=[ssl_only])
    secure = Request(ROLE, "sns:Publish", TOPIC, {"aws:SecureTransport": True})
    assert is_allowed(secure, identity_policies=[identity], resource_policies=[ssl_only])


def test_a_service_needs_the_resource_policy() -> None:
    request = Request(CLOUDWATCH, "sns:Publish", TOPIC, {"aws:SourceAccount": "111122223333"})
    identity = allow(Action="sns:Publish", Resource="*")  # never applies to a service
    assert not is_allowed(request, identity_policies=[identity])
    grant = allow(
        Principal={"Service": "cloudwatch.amazonaws.com"},
        Action="sns:Publish",
        Resource=TOPIC,
        Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}},
    )
    assert is_allowed(request, resource_policies=[grant])
    other_service = Request(
        Principal(service="events.amazonaws.com"), "sns:Publish", TOPIC, request.context
    )
    assert not is_allowed(other_service, resource_policies=[grant])


def test_a_role_is_allowed_by_identity_or_by_a_resource_policy_naming_it() -> None:
    request = Request(ROLE, "sns:Publish", TOPIC)
    assert not is_allowed(request)
    assert is_allowed(
        request,
        resource_policies=[allow(Principal={"AWS": ROLE.role_arn}, Action="sns:*", Resource=TOPIC)],
    )
    assert is_allowed(
        request,
        resource_policies=[
            allow(Principal={"AWS": "111122223333"}, Action="sns:*", Resource=TOPIC)
        ],
    )
    other = Principal(role_arn="arn:aws:iam::111122223333:role/other")
    assert not is_allowed(
        Request(other, "sns:Publish", TOPIC),
        resource_policies=[allow(Principal={"AWS": ROLE.role_arn}, Action="sns:*", Resource=TOPIC)],
    )


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": "1"}, True),
        (
            {"StringEquals": {"aws:SourceAccount": "1"}},
            {"aws:sourceaccount": "1"},
            True,
        ),  # keys ignore case
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": "2"}, False),
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {}, False),
        ({"StringEquals": {"aws:SourceAccount": ["1", "2"]}}, {"aws:SourceAccount": "2"}, True),
        ({"StringEqualsIfExists": {"k": "1"}}, {}, True),
        ({"StringNotEquals": {"k": "1"}}, {}, True),
        ({"StringNotEquals": {"k": "1"}}, {"k": "1"}, False),
        ({"StringLike": {"k": "ab*"}}, {"k": "abc"}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:logs:r:1:*"}},
            {"aws:SourceArn": "arn:aws:logs:r:1:x"},
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:logs:r:1:*"}},
            {"aws:SourceArn": "arn:aws:logs:r:2:x"},
            False,
        ),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "false"}}, {}, False),
        ({"NumericLessThan": {"n": "10"}}, {"n": 3}, True),
        ({"ForAllValues:ArnLike": {"k": ["arn:a:*"]}}, {"k": ["arn:a:1", "arn:a:2"]}, True),
        ({"ForAllValues:ArnLike": {"k": ["arn:a:*"]}}, {"k": ["arn:a:1", "arn:b:2"]}, False),
        ({"ForAnyValue:StringEquals": {"k": ["x"]}}, {"k": ["y", "x"]}, True),
        ({"ForAnyValue:StringEquals": {"k": ["x"]}}, {}, False),
        (
            {"StringEquals": {"a": "1"}, "ArnLike": {"b": "arn:*"}},
            {"a": "1", "b": "nope"},
            False,
        ),  # operators AND together
    ],
)
def test_conditions(condition, context, expected) -> None:
    policy = allow(Action="x:Do", Resource="*", Condition=condition)
    assert is_allowed(Request(ROLE, "x:Do", "r", context), identity_policies=[policy]) is expected


def test_kms_key_policy_root_delegates_to_identity_policies() -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/k"
    request = Request(ROLE, "kms:Decrypt", key)
    delegating = allow(
        Principal={"AWS": "arn:aws:iam::111122223333:root"}, Action="kms:*", Resource="*"
    )
    assert not is_allowed(request, key_policy=delegating)
    identity = allow(Action="kms:Decrypt", Resource=key)
    assert is_allowed(request, identity_policies=[identity], key_policy=delegating)
    naming_role = allow(Principal={"AWS": ROLE.role_arn}, Action="kms:Decrypt", Resource="*")
    assert is_allowed(request, key_policy=naming_role)
    assert not is_allowed(
        request,
        identity_policies=[identity],
        key_policy=allow(Principal={"Service": "x"}, Action="kms:*", Resource="*"),
    )


def test_what_is_not_modelled_is_refused() -> None:
    with pytest.raises(UnsupportedPolicy):
        is_allowed(
            Request(ROLE, "x:Do", "r", {"k": "1"}),
            identity_policies=[
                allow(Action="x:Do", Resource="*", Condition={"IpAddress": {"k": "1"}})
            ],
        )
    with pytest.raises(UnsupportedPolicy):
        is_allowed(
            Request(CLOUDWATCH, "x:Do", "r"),
            resource_policies=[
                {"Statement": [{"Effect": "Allow", "NotPrincipal": "*", "Action": "*"}]}
            ],
        )
