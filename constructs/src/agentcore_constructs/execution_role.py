"""The least-privilege execution role the runtime assumes (ERRATA rows 1-4).

Every statement names the resources it is for; the few actions that cannot be scoped
(``ecr:GetAuthorizationToken``, X-Ray, ``cloudwatch:PutMetricData``) are listed in
``UNSCOPABLE_ACTIONS`` so apps can acknowledge them precisely.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .nag import arn_prefix, printed_partition
from .stack_env import stack_env

SERVICE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
METRICS_NAMESPACE = "bedrock-agentcore"
CROSS_REGION_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.")
GLOBAL_PROFILE_PREFIX = "global."
UNSCOPABLE_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "cloudwatch:PutMetricData",
)


Statement = dict[str, Any]


def _statement(
    *,
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: Mapping[str, Any] | None = None,
) -> Statement:
    """An Allow statement as IAM JSON (read by ``execution_policy_document``)."""
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": list(resources),
    }
    if conditions:
        statement["Condition"] = dict(conditions)
    return statement


def execution_policy_document(statements: Sequence[Statement]) -> iam.PolicyDocument:
    """One policy document from IAM JSON: a single jsii round trip for the whole policy,
    where building it statement by statement costs two per statement."""
    return iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": list(statements)})


def trust_principal(scope: Construct, resources: str = "*") -> iam.IPrincipal:
    """The AgentCore service, only on behalf of this account's AgentCore ``resources`` (an ARN
    resource pattern: ``*`` for runtimes, ``gateway/*`` for gateways), against confused deputies."""
    stack = stack_env(scope)
    return iam.ServicePrincipal(
        SERVICE_PRINCIPAL,
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": f"arn:{stack.partition}:bedrock-agentcore:"
                f"{stack.region}:{stack.account}:{resources}"
            },
        },
    )


def model_resource_arns(scope: Construct, model_id: str) -> list[str]:
    """ARNs a model id needs: the inference profile and every foundation model it routes to."""
    stack = stack_env(scope)
    partition, region, account = stack.partition, stack.region, stack.account
    if model_id.startswith("arn:"):
        return [model_id]
    if model_id.startswith((*CROSS_REGION_PROFILE_PREFIXES, GLOBAL_PROFILE_PREFIX)):
        base_model = model_id.split(".", 1)[1]
        return [
            f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}",
            # A cross-region profile routes to the model in any of its destination regions; the
            # "*" also matches the region-less ARN a global profile's calls carry.
            f"arn:{partition}:bedrock:*::foundation-model/{base_model}",
        ]
    return [f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"]


def runtime_base_statements(
    scope: Construct, *, runtime_name: str, pulls_image: bool, image_repository_arn: str | None
) -> list[Statement]:
    """What every runtime needs: write logs/traces/metrics, get identity tokens, and for a
    container artifact pull its image (a code artifact is read by the deploying principal)."""
    stack = stack_env(scope)
    partition, region, account = stack.partition, stack.region, stack.account
    log_groups = (
        f"arn:{partition}:logs:{region}:{account}:log-group:/aws/bedrock-agentcore/runtimes/*"
    )
    directory = (
        f"arn:{partition}:bedrock-agentcore:{region}:{account}:workload-identity-directory/default"
    )
    statements = [
        _statement(
            sid="RuntimeLogs",
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            resources=[log_groups, f"{log_groups}:log-stream:*"],
        ),
        _statement(
            sid="DescribeLogGroups",
            actions=["logs:DescribeLogGroups"],
            # No resource types (Service Authorization Reference): any ARN here matches nothing.
            resources=["*"],
        ),
        _statement(
            sid="XRayTraces",
            actions=[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            resources=["*"],
        ),
        _statement(
            sid="RuntimeMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
        ),
        _statement(
            sid="WorkloadIdentityTokens",
            actions=[
                "bedrock-agentcore:GetWorkloadAccessToken",
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            ],
            resources=[directory, f"{directory}/workload-identity/{runtime_name}-*"],
        ),
    ]
    pull: list[Statement] = []
    if image_repository_arn is not None:
        pull.append(
            _statement(
                sid="EcrImagePull",
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                resources=[image_repository_arn],
            )
        )
    if pulls_image:
        pull.append(
            _statement(
                sid="EcrAuthorizationToken", actions=["ecr:GetAuthorizationToken"], resources=["*"]
            )
        )
    return pull + statements


def model_invoke_statement(scope: Construct, model_ids: Sequence[str]) -> Statement:
    """Strands streams, so both InvokeModel and InvokeModelWithResponseStream are needed."""
    return _statement(
        sid="BedrockModelInvoke",
        actions=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        resources=[arn for model_id in model_ids for arn in model_resource_arns(scope, model_id)],
    )


def gateway_invoke_statement(gateway_arn: str) -> Statement:
    return _statement(
        sid="GatewayInvoke", actions=["bedrock-agentcore:InvokeGateway"], resources=[gateway_arn]
    )


def secret_read_statements(
    scope: Construct, secrets: Iterable[secretsmanager.ISecret]
) -> list[Statement]:
    """``GetSecretValue`` on exactly these secrets, and decrypt with their keys through
    Secrets Manager only. A secret known by name has a random 6-character ARN suffix."""
    secrets = list(secrets)
    arns = [s.secret_full_arn or f"{s.secret_arn}-??????" for s in secrets]
    statements = [
        _statement(sid="ReadSecrets", actions=["secretsmanager:GetSecretValue"], resources=arns)
    ]
    keys = [s.encryption_key.key_arn for s in secrets if s.encryption_key is not None]
    if keys:
        stack = stack_env(scope)
        statements.append(
            _statement(
                sid="DecryptSecrets",
                actions=["kms:Decrypt"],
                resources=keys,
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{stack.region}.{stack.url_suffix}"
                    }
                },
            )
        )
    return statements


def key_use_statement(scope: Construct, key: kms.IKey, service: str) -> Statement:
    """Encrypt and decrypt with ``key``, only through ``service``."""
    stack = stack_env(scope)
    return _statement(
        sid="MemoryKey",
        actions=["kms:Decrypt", "kms:GenerateDataKey"],
        resources=[key.key_arn],
        conditions={
            "StringEquals": {"kms:ViaService": f"{service}.{stack.region}.{stack.url_suffix}"}
        },
    )


def wildcard_reasons(
    scope: Construct, *, runtime_name: str, pulls_image: bool, model_ids: Sequence[str]
) -> dict[str, str]:
    """The execution policy's wildcards, as cdk-nag prints them, and why each is the narrowest.

    These are exactly the resources ``runtime_base_statements`` and ``model_invoke_statement``
    write with a wildcard; the runtime acknowledges them so apps do not repeat it.
    """
    logs = f"{arn_prefix(scope, 'logs')}:log-group"
    directory = f"{arn_prefix(scope, 'bedrock-agentcore')}:workload-identity-directory/default"
    unscopable = (
        "logs:DescribeLogGroups, the X-Ray actions and cloudwatch:PutMetricData have no "
        "resource-level "
    )
    if pulls_image:
        unscopable = "ecr:GetAuthorizationToken, " + unscopable
    reasons = {
        "*": f"{unscopable[0].upper()}{unscopable[1:]}permissions; PutMetricData is limited to "
        f"the {METRICS_NAMESPACE} namespace by condition.",
        f"{logs}:/aws/bedrock-agentcore/runtimes/*": "The runtime names its log groups "
        "/aws/bedrock-agentcore/runtimes/<id>-<endpoint>; the id is assigned at creation, so "
        "the runtime prefix is the narrowest scope.",
        f"{logs}:/aws/bedrock-agentcore/runtimes/*:log-stream:*": "Log streams are created per "
        "session inside the runtime's log groups.",
        f"{directory}/workload-identity/{runtime_name}-*": "The runtime's workload identity is "
        "named <runtime name>-<suffix> by the service.",
    }
    partition = printed_partition(scope)
    for model_id in model_ids:
        if model_id.startswith((*CROSS_REGION_PROFILE_PREFIXES, GLOBAL_PROFILE_PREFIX)):
            base_model = model_id.split(".", 1)[1]
            reasons[f"arn:{partition}:bedrock:*::foundation-model/{base_model}"] = (
                f"The inference profile {model_id} routes each request to {base_model} in one "
                "of several regions chosen by Bedrock; the grant is for that one model."
            )
    return reasons
