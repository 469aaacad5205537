"""Each check fails on a bad statement and passes the good one next to it."""

from __future__ import annotations

from typing import Any

import pytest

from .checks import Counts, check
from .policies import Kind, Located, Origin
from .reference import load

ACCOUNT = "123456789012"
LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group"
RUNTIME = f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:runtime/agent-??????????"


def problems(statement: dict[str, Any], kind: Kind = "identity") -> list[str]:
    origin = Origin("test", "Policy", "AWS::IAM::Policy", "PolicyDocument", kind)
    return [f.problem for f in check(load(), [Located(origin, 0, statement)])]


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


# -- 1. actions -----------------------------------------------------------------------------


def test_a_made_up_action_is_found_with_the_nearest_real_one() -> None:
    (problem,) = problems(allow("logs:PutLogEvent", f"{LOGS}:g:*"))
    assert "'logs:PutLogEvent' matches no action of logs" in problem
    assert "did you mean logs:PutLogEvents" in problem
    assert problems(allow("logs:PutLogEvents", f"{LOGS}:g:*")) == []


def test_an_unknown_service_is_found() -> None:
    (problem,) = problems(allow("bedrock-agentcor:InvokeGateway"))
    assert "no service 'bedrock-agentcor'" in problem


def test_a_wildcard_action_must_match_a_real_action() -> None:
    (problem,) = problems(allow("logs:Frobnicate*"))
    assert "'logs:Frobnicate*' matches no action" in problem
    assert problems(allow(["logs:Put*", "bedrock-agentcore:*", "*"])) == []


def test_deny_and_not_action_are_checked_too() -> None:
    deny = {"Effect": "Deny", "NotAction": ["sts:AssumeRolez"], "Resource": "*"}
    (problem,) = problems(deny)
    assert "NotAction 'sts:AssumeRolez'" in problem
    assert problems({**deny, "NotAction": ["sts:AssumeRole"]}) == []


# -- 2. condition keys ----------------------------------------------------------------------


def test_a_key_the_action_does_not_list_is_found() -> None:
    wrong = allow(
        ["cloudwatch:PutMetricData", "xray:PutTraceSegments"],
        Condition={"StringEquals": {"cloudwatch:namespace": "agents"}},
    )
    (problem,) = problems(wrong)
    assert "'cloudwatch:namespace' does not apply to xray:PutTraceSegments" in problem
    assert "the reference lists logs:LogGeneratingResourceArns" in problem
    good = allow("cloudwatch:PutMetricData", Condition=wrong["Condition"])
    assert problems(good) == []


def test_a_key_nobody_defines_is_found_and_global_keys_pass() -> None:
    (problem,) = problems(
        allow("sns:Publish", Condition={"StringEquals": {"aws:SourceAccont": ACCOUNT}})
    )
    assert "'aws:SourceAccont' is not in the reference" in problem
    good = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "Bool": {"aws:SecureTransport": "true"}}
    assert problems(allow("sns:Publish", Condition=good)) == []


def test_keys_of_the_resource_types_count_for_the_action() -> None:
    tagged = {"StringEquals": {"aws:ResourceTag/team": "a", "kms:ViaService": "s3.x"}}
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
    assert problems(allow("kms:Decrypt", key, Condition=tagged)) == []


# -- 3. resources ---------------------------------------------------------------------------


def test_a_wrong_arn_shape_is_found() -> None:
    """PutLogEvents acts on log streams: a log group's bare ARN grants nothing."""
    (problem,) = problems(allow("logs:PutLogEvents", f"{LOGS}:g"))
    assert "logs:PutLogEvents is granted on nothing" in problem
    assert ":log-stream:${LogStreamName}" in problem
    assert problems(allow("logs:PutLogEvents", f"{LOGS}:g:*")) == []
    assert problems(allow("logs:PutLogEvents", f"{LOGS}:g:log-stream:s")) == []


def test_a_specific_arn_on_an_action_that_takes_only_star_is_found() -> None:
    (problem,) = problems(allow("xray:PutTraceSegments", f"arn:aws:xray:us-east-1:{ACCOUNT}:*"))
    assert problem.startswith(
        "xray:PutTraceSegments takes no resource type in the reference, which then requires "
        "Resource '*'"
    )
    assert problems(allow("xray:PutTraceSegments", "*")) == []


def test_several_actions_each_need_a_resource_and_each_resource_an_action() -> None:
    prefix = f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}"
    gateway, memory = f"{prefix}:gateway/tools-1", f"{prefix}:memory/m-1"
    both = ["bedrock-agentcore:InvokeGateway", "bedrock-agentcore:CreateEvent"]
    (granted_on_nothing,) = problems(allow(both, [gateway]))
    assert granted_on_nothing.startswith("bedrock-agentcore:CreateEvent is granted on nothing")
    assert "memory/${MemoryId}" in granted_on_nothing
    (stray,) = problems(allow(["bedrock-agentcore:InvokeGateway"], [gateway, memory]))
    assert stray.startswith(f"Resource {memory} matches no resource type of ")
    assert problems(allow(both, [gateway, memory])) == []


def test_runtime_grants_match_both_runtime_and_endpoint_formats() -> None:
    invoke = ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:StopRuntimeSession"]
    assert problems(allow(invoke, [RUNTIME, f"{RUNTIME}/runtime-endpoint/*"])) == []


def test_a_resource_that_is_not_an_arn_is_found() -> None:
    (problem,) = problems(allow("sns:Publish", "my-topic"))
    assert "Resource 'my-topic' is neither '*' nor an ARN" in problem


def test_not_resource_and_star_actions_need_a_resource_type_of_the_arns_service() -> None:
    deny = {"Effect": "Deny", "Action": "*", "NotResource": [f"{LOGS}:g:*"]}
    assert problems(deny) == []
    typo = f"arn:aws:logs:us-east-1:{ACCOUNT}:loggroup:g"
    (problem,) = problems({**deny, "NotResource": [typo]})
    assert f"NotResource {typo} matches no resource type of its service" in problem


# -- 4. principals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "wrong"),
    [
        ({"Service": "lambda.amazon.com"}, "is not a service principal ending in .amazonaws.com"),
        ({"AWS": "12345"}, "is not a 12-digit account"),
        ({"AWS": "arn:aws:iam::12345:root"}, "is not a 12-digit account"),
        ({"Root": ACCOUNT}, "principal type 'Root'"),
        ("me", "neither '*' nor a map"),
    ],
)
def test_a_malformed_principal_is_found(principal: Any, wrong: str) -> None:
    (problem,) = problems(allow("sns:Publish", Principal=principal), kind="resource")
    assert wrong in problem


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/r"]},
        {"Service": ["cloudwatch.amazonaws.com", "delivery.logs.amazonaws.com"]},
    ],
)
def test_well_formed_principals_pass(principal: Any) -> None:
    assert problems(allow("sns:Publish", Principal=principal), kind="resource") == []


def test_principals_belong_in_resource_and_trust_policies_only() -> None:
    (in_identity,) = problems(allow("sns:Publish", Principal="*"))
    assert "an identity policy takes no Principal" in in_identity
    trust = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    (missing,) = problems(trust, kind="trust")
    assert "a trust policy statement needs a Principal" in missing
    assert problems({**trust, "Principal": {"Service": "lambda.amazonaws.com"}}, "trust") == []


def test_counts_tally_what_was_checked() -> None:
    origin = Origin("t", "Policy", "AWS::IAM::Policy", "PolicyDocument", "resource")
    statement = allow(
        ["sns:Publish", "sns:Subscribe"],
        [f"arn:aws:sns:us-east-1:{ACCOUNT}:t"],
        Principal={"Service": "cloudwatch.amazonaws.com"},
        Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    )
    counts = Counts()
    assert check(load(), [Located(origin, 0, statement)], counts) == []
    assert (
        counts.line("t")
        == "t: 1 statements, 2 actions, 1 resources, 1 condition keys, 1 principals"
    )
