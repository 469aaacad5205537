"""``EcrImageCopy``: put an image (usually a ``DockerImageAsset``) into a repository under a tag.

One copy function per stack serves every copy in it; its role may pull from exactly the source
repositories and push to exactly the destination repositories used, and write its own log
group, which exists before the first copy runs (the function cannot create log groups, so a
first invocation can never race CloudFormation for the group's name).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..python_function import python_function
from ..stack_env import StackAwareConstruct, stack_env

FUNCTION_DIRECTORY = Path(__file__).parent / "function"
RESOURCE_TYPE = "Custom::EcrImageCopy"
PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
PUSH_ACTIONS = (
    "ecr:BatchGetImage",
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
)


class ImageCopyFunction(StackAwareConstruct):
    """The stack's copy handler (Python, arm64), created on first use by ``of``."""

    ID = "EcrImageCopyFunction"

    @classmethod
    def of(cls, stack: Stack) -> ImageCopyFunction:
        existing = stack.node.try_find_child(cls.ID)
        return existing if isinstance(existing, cls) else cls(stack, cls.ID)

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Copies agent images between this stack's ECR repositories at deploy time",
        )
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ],
        )
        self.function = python_function(
            self,
            "Handler",
            directory=FUNCTION_DIRECTORY,
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.minutes(15),
            memory_size=512,
            description="Idempotent ECR image copy for AgentCore runtimes (custom resource)",
        )

    def allow(self, source: ecr.IRepository, destination: ecr.IRepository) -> None:
        """Let the handler pull from ``source`` and push to ``destination``.

        A repeated pair renders once: CDK drops duplicate statements from a policy document.
        """
        self.policy.add_statements(
            iam.PolicyStatement(actions=list(PULL_ACTIONS), resources=[source.repository_arn]),
            iam.PolicyStatement(actions=list(PUSH_ACTIONS), resources=[destination.repository_arn]),
        )


class EcrImageCopy(StackAwareConstruct):
    """Copy ``source_repository:source_tag`` to ``destination:destination_tag``.

    Safe with IMMUTABLE destinations on update and on rollback: a tag that already holds the
    same image is left as it is, so CloudFormation's replay of the old properties succeeds.
    Deleting the resource keeps the image (a rollback may still need it).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_repository: ecr.IRepository,
        source_tag: str,
        destination: ecr.IRepository,
        destination_tag: str,
    ) -> None:
        super().__init__(scope, construct_id)
        handler = ImageCopyFunction.of(stack_env(self).stack)
        handler.allow(source_repository, destination)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=handler.function.function_arn,
            resource_type=RESOURCE_TYPE,
            # A handler that dies before it answers fails the stack in minutes, not CloudFormation's
            # default hour (on create, rollback and delete alike).
            service_timeout=Duration.minutes(20),
            properties={
                "SourceRepository": source_repository.repository_name,
                "SourceTag": source_tag,
                "DestinationRepository": destination.repository_name,
                "DestinationTag": destination_tag,
            },
        )
        # The handler's permissions and log group must exist before CloudFormation calls it.
        self.resource.node.add_dependency(handler.policy, handler.log_group)
        self.image_digest: str = self.resource.get_att_string("ImageDigest")
