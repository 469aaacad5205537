"""cdk-nag and cfn-lint findings the app accepts, each with the reason a reviewer needs.

Findings carry qualifiers (``AwsSolutions-IAM5[Resource::...]``); each is acknowledged by the
exact id the report prints, so a new wildcard anywhere else still fails the check.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct

from agentcore_constructs import AgentRuntime


def _account(stack: Stack) -> str:
    """How cdk-nag prints the account inside a finding id."""
    return "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account


def _iam5(resource: str, reason: str) -> Acknowledgment:
    return Acknowledgment(
        id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", reason=reason
    )


def acknowledge_runtime_findings(runtime: AgentRuntime, model_ids: Sequence[str]) -> None:
    """The execution policy's wildcards are those AWS offers no narrower resource for."""
    stack = Stack.of(runtime)
    region, account = stack.region, _account(stack)
    logs = f"arn:aws:logs:{region}:{account}:log-group"
    directory = f"arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default"
    acknowledgments = [
        _iam5(
            "*",
            "ecr:GetAuthorizationToken, the X-Ray actions and cloudwatch:PutMetricData have no "
            "resource-level permissions; PutMetricData is limited to the bedrock-agentcore "
            "namespace by condition.",
        ),
        _iam5(
            f"{logs}:*",
            "logs:DescribeLogGroups only accepts the all-log-groups resource of the account.",
        ),
        _iam5(
            f"{logs}:/aws/bedrock-agentcore/runtimes/*",
            "The runtime names its log groups /aws/bedrock-agentcore/runtimes/<id>-<endpoint>; "
            "the id is assigned at creation, so the runtime prefix is the narrowest scope.",
        ),
        _iam5(
            f"{logs}:/aws/bedrock-agentcore/runtimes/*:log-stream:*",
            "Log streams are created per session inside the runtime's log groups.",
        ),
        _iam5(
            f"{directory}/workload-identity/{runtime.runtime_name}-*",
            "The runtime's workload identity is named <runtime name>-<suffix> by the service.",
        ),
    ]
    for model_id in model_ids:
        if "." in model_id and not model_id.startswith("arn:"):
            base_model = model_id.split(".", 1)[1]
            acknowledgments.append(
                _iam5(
                    f"arn:aws:bedrock:*::foundation-model/{base_model}",
                    f"The inference profile {model_id} routes each request to {base_model} in "
                    "one of several regions chosen by Bedrock; the grant is for that one model.",
                )
            )
    Validations.of(runtime).acknowledge(*acknowledgments)


def acknowledge_machine_user_pool(user_pool: IConstruct) -> None:
    """The pool only issues client-credentials tokens: user-facing controls do not apply."""
    reason_no_users = (
        "Machine-to-machine pool: no user signs up or signs in; the only app client "
        "authenticates with its secret through the client-credentials grant."
    )
    Validations.of(user_pool).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG2", reason=f"No MFA to require. {reason_no_users}"
        ),
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG3",
            reason=f"Threat protection evaluates user sign-ins. {reason_no_users}",
        ),
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG8",
            reason=f"The Plus feature plan adds user threat protection only. {reason_no_users}",
        ),
    )
