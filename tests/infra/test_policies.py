"""Who can actually do what, at deploy and at run time, by the templates' own policies.

Each environment's template is resolved for a test account and region (tests/policy/template.py)
and its identity, resource, trust and key policies are evaluated offline (tests/policy/
evaluator.py) for every principal that must act: CloudWatch publishing alarms, log delivery
writing logs and traces, the runtime role, the image-copy handler and the gateway. Each grant
is checked on the real resource ARN, and a neighbouring resource is checked to be refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aws_cdk import CfnElement, Stack

from tests.policy.evaluator import Principal, Request, is_allowed
from tests.policy.template import ResolvedTemplate

from .conftest import ACCOUNT, Synthesized

REGION = "us-east-1"
OTHER_ACCOUNT = "999988887777"
SECURE = {"aws:SecureTransport": True}


def logical_id(construct) -> str:
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    return Stack.of(construct).get_logical_id(element)


@dataclass
class Env:
    synthesized: Synthesized
    t: ResolvedTemplate

    @property
    def stack(self):
        return self.synthesized.stack

    def id_of(self, construct) -> str:
        return logical_id(construct)

    def role_may(self, role_construct, action: str, resource: str, **context) -> bool:
        role_id = self.id_of(role_construct)
        return is_allowed(
            Request(self.t.role(role_id), action, resource, context),
            identity_policies=self.t.identity_policies(role_id),
        )


@pytest.fixture(scope="module", params=["dev", "prod"])
def env(request) -> Env:
    synthesized: Synthesized = request.getfixturevalue(request.param)
    template = ResolvedTemplate(
        synthesized.json, stack=synthesized.stack.stack_name, account=ACCOUNT, region=REGION
    )
    return Env(synthesized, template)


# -- CloudWatch alarms -> SNS topic (and its KMS key) -----------------------------------------


def alarm_context(env: Env, account: str = ACCOUNT) -> dict:
    (alarm_id, *_) = env.t.of_type("AWS::CloudWatch::Alarm")
    alarm_arn = f"arn:aws:cloudwatch:{REGION}:{account}:alarm:{env.t.name(alarm_id)}"
    return {"aws:SourceAccount": account, "aws:SourceArn": alarm_arn, **SECURE}


def cloudwatch_publish(env: Env, topic_arn: str, context: dict) -> bool:
    cloudwatch = Principal(service="cloudwatch.amazonaws.com")
    (key_id,) = env.t.of_type("AWS::KMS::Key")
    key_arn = env.t.attribute(key_id, "Arn")
    publish = is_allowed(
        Request(cloudwatch, "sns:Publish", topic_arn, context),
        resource_policies=env.t.topic_policies(topic_arn),
    )
    encrypt = all(
        is_allowed(
            Request(cloudwatch, action, key_arn, context), key_policy=env.t.key_policy(key_id)
        )
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    )
    return publish and encrypt


def test_cloudwatch_alarms_can_publish_to_the_encrypted_topic(env: Env) -> None:
    topic = env.stack.runtime.observability.alarm_topic
    topic_arn = env.t.attribute(env.id_of(topic), "TopicArn")
    assert cloudwatch_publish(env, topic_arn, alarm_context(env))


def test_the_key_serves_cloudwatch_without_source_context(env: Env) -> None:
    """No AWS document says CloudWatch's KMS calls carry aws:SourceArn/SourceAccount: the key
    must not depend on them (the topic policy does the scoping)."""
    cloudwatch = Principal(service="cloudwatch.amazonaws.com")
    (key_id,) = env.t.of_type("AWS::KMS::Key")
    key_arn = env.t.attribute(key_id, "Arn")
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert is_allowed(
            Request(cloudwatch, action, key_arn, {}), key_policy=env.t.key_policy(key_id)
        )


def test_only_this_accounts_alarms_and_only_this_topic(env: Env) -> None:
    topic_arn = env.t.attribute(env.id_of(env.stack.runtime.observability.alarm_topic), "TopicArn")
    assert not cloudwatch_publish(env, topic_arn, alarm_context(env, OTHER_ACCOUNT))
    neighbour = f"arn:aws:sns:{REGION}:{ACCOUNT}:someone-elses-topic"
    assert not cloudwatch_publish(env, neighbour, alarm_context(env))
    plain_http = {**alarm_context(env), "aws:SecureTransport": False}
    assert not cloudwatch_publish(env, topic_arn, plain_http)


# -- Vended log and trace delivery ------------------------------------------------------------


def delivery(env: Env, action: str, resource: str, **extra) -> bool:
    context = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:delivery-source:{env.stack.runtime.runtime_name}-app",
        **extra,
    }
    kind = (
        "AWS::Logs::ResourcePolicy" if action.startswith("logs:") else "AWS::XRay::ResourcePolicy"
    )
    return is_allowed(
        Request(Principal(service="delivery.logs.amazonaws.com"), action, resource, context),
        resource_policies=env.t.account_policies(kind),
    )


def test_log_delivery_writes_the_runtimes_log_group(env: Env) -> None:
    group = env.stack.runtime.observability.log_group.node.default_child.log_group_name
    assert (
        group
        == f"/aws/vendedlogs/bedrock-agentcore/{env.stack.stack_name}/runtimes/{env.stack.config.runtime.name}"
    )
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:abc"
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        assert delivery(env, action, stream), f"{action} on {stream}"


def test_log_delivery_writes_no_other_log_group(env: Env) -> None:
    for name in (
        "/aws/lambda/unrelated",
        "/aws/bedrock-agentcore/runtimes/other-DEFAULT",
        "/aws/vendedlogs/bedrock-agentcore/OtherStack/runtimes/other",
    ):
        stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:log-stream:abc"
        assert not delivery(env, "logs:PutLogEvents", stream)


def test_trace_delivery_for_this_accounts_agentcore_resources_only(env: Env) -> None:
    """One X-Ray policy per stack (5 per account): it names resource types, not each runtime."""
    runtime_arn = env.t.attribute(env.id_of(env.stack.runtime.cfn_runtime), "AgentRuntimeArn")
    key = "logs:LogGeneratingResourceArns"
    assert delivery(env, "xray:PutTraceSegments", "*", **{key: [runtime_arn]})
    gateway = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/tools-abcdefghij"
    assert delivery(env, "xray:PutTraceSegments", "*", **{key: [gateway]})
    lambda_function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other"
    elsewhere = f"arn:aws:bedrock-agentcore:{REGION}:{OTHER_ACCOUNT}:runtime/other-XyZ"
    for other in (lambda_function, elsewhere):
        assert not delivery(env, "xray:PutTraceSegments", "*", **{key: [other]})
        assert not delivery(env, "xray:PutTraceSegments", "*", **{key: [runtime_arn, other]})


# -- The runtime's execution role -------------------------------------------------------------


def test_agentcore_may_assume_the_runtime_role_for_this_account_only(env: Env) -> None:
    role_id = env.id_of(env.stack.runtime.role)
    service = Principal(service="bedrock-agentcore.amazonaws.com")
    role_arn = env.t.attribute(role_id, "Arn")

    def assume(account: str) -> bool:
        context = {
            "aws:SourceAccount": account,
            "aws:SourceArn": f"arn:aws:bedrock-agentcore:{REGION}:{account}:runtime/x-AbC",
        }
        return is_allowed(
            Request(service, "sts:AssumeRole", role_arn, context),
            resource_policies=[env.t.trust_policy(role_id)],
        )

    assert assume(ACCOUNT)
    assert not assume(OTHER_ACCOUNT)


def test_runtime_role_pulls_its_image_and_no_other(env: Env) -> None:
    role = env.stack.runtime.role
    repository = env.t.attribute(env.id_of(env.stack.repository), "Arn")
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        assert env.role_may(role, action, repository)
    assert env.role_may(role, "ecr:GetAuthorizationToken", "*")
    assert not env.role_may(
        role, "ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other"
    )
    assert not env.role_may(role, "ecr:PutImage", repository)


def test_runtime_role_writes_its_own_logs(env: Env) -> None:
    role = env.stack.runtime.role
    runtime_id = env.t.attribute(env.id_of(env.stack.runtime.cfn_runtime), "AgentRuntimeId")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/bedrock-agentcore/runtimes/{runtime_id}-DEFAULT"
    assert env.role_may(role, "logs:CreateLogGroup", group)
    assert env.role_may(
        role, "logs:PutLogEvents", f"{group}:log-stream:2026/11/25/[runtime-logs]abc"
    )
    assert not env.role_may(
        role,
        "logs:PutLogEvents",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/x:log-stream:y",
    )


def test_runtime_role_calls_the_configured_model_only(env: Env) -> None:
    role = env.stack.runtime.role
    profile = env.stack.config.model_id
    base = profile.split(".", 1)[1]
    for action in ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"):
        assert env.role_may(
            role, action, f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{profile}"
        )
        assert env.role_may(role, action, f"arn:aws:bedrock:us-west-2::foundation-model/{base}")
    assert not env.role_may(
        role,
        "bedrock:InvokeModel",
        f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-opus-4-1",
    )
    assert not env.role_may(
        role,
        "bedrock:InvokeModel",
        f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/us.other",
    )


def test_runtime_role_calls_its_gateway_and_publishes_namespaced_metrics(env: Env) -> None:
    role = env.stack.runtime.role
    gateway_arn = env.t.attribute(env.id_of(env.stack.demo_gateway.cfn_gateway), "GatewayArn")
    assert env.role_may(role, "bedrock-agentcore:InvokeGateway", gateway_arn)
    assert not env.role_may(
        role,
        "bedrock-agentcore:InvokeGateway",
        f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/other-gw",
    )
    assert env.role_may(
        role, "cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": "bedrock-agentcore"}
    )
    assert not env.role_may(
        role, "cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": "Billing"}
    )


# -- The image-copy handler (deploy time) -----------------------------------------------------


def copy_function(env: Env):
    return env.stack.node.find_child("EcrImageCopyFunction")


def test_copy_handler_pulls_the_asset_and_pushes_to_the_environment_repository(env: Env) -> None:
    role = copy_function(env).role
    assets = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/cdk-hnb659fds-container-assets-{ACCOUNT}-{REGION}"
    repository = env.t.attribute(env.id_of(env.stack.repository), "Arn")
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        assert env.role_may(role, action, assets)
    for action in (
        "ecr:BatchGetImage",
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
    ):
        assert env.role_may(role, action, repository), action


def test_copy_handler_may_not_touch_anything_else(env: Env) -> None:
    role = copy_function(env).role
    other = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other-team/agents"
    assets = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/cdk-hnb659fds-container-assets-{ACCOUNT}-{REGION}"
    assert not env.role_may(role, "ecr:PutImage", other)
    assert not env.role_may(role, "ecr:BatchGetImage", other)
    assert not env.role_may(role, "ecr:PutImage", assets)
    assert not env.role_may(role, "s3:GetObject", "arn:aws:s3:::any-bucket/any-key")


def test_copy_handler_logs_only_to_its_group_which_exists_before_it_runs(env: Env) -> None:
    function = copy_function(env)
    group_name = env.t.name(env.id_of(function.log_group))
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group_name}"
    assert env.role_may(function.role, "logs:PutLogEvents", f"{group_arn}:log-stream:x")
    # Without CreateLogGroup the function cannot make the group itself and race CloudFormation.
    assert not env.role_may(function.role, "logs:CreateLogGroup", group_arn)
    (copy_id,) = env.t.of_type("Custom::EcrImageCopy")
    depends_on = env.synthesized.json["Resources"][copy_id]["DependsOn"]
    assert env.id_of(function.log_group) in depends_on
    assert env.id_of(function.policy) in depends_on


# -- The demo gateway -------------------------------------------------------------------------


def test_gateway_role_invokes_its_tool_only(env: Env) -> None:
    role = env.stack.demo_gateway.role
    function_arn = env.t.attribute(env.id_of(env.stack.order_tools.function), "Arn")
    assert env.role_may(role, "lambda:InvokeFunction", function_arn)
    assert not env.role_may(
        role, "lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other"
    )


def test_runtime_role_uses_its_memory_only(env: Env) -> None:
    role = env.stack.runtime.role
    memory = env.t.attribute(env.id_of(env.stack.memory.cfn_memory), "MemoryArn")
    other = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:memory/other_memory-AbCdEf1234"
    for action in ("bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents"):
        assert env.role_may(role, action, memory), action
        assert not env.role_may(role, action, other), action
    retrieves = env.role_may(role, "bedrock-agentcore:RetrieveMemoryRecords", memory)
    assert retrieves is bool(env.stack.config.memory.strategies), "records only with strategies"
    assert not env.role_may(role, "bedrock-agentcore:DeleteEvent", memory)
