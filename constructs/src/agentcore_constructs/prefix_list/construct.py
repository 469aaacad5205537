"""``ManagedPrefixList``: an AWS-managed prefix list's id as a deploy-time value.

A security group that sends to S3 through a gateway endpoint needs an egress rule to the
region's ``com.amazonaws.<region>.s3`` prefix list; the gateway endpoint routes to S3's public
addresses, which no rule to another security group covers (ERRATA 35). The id differs per
region and CloudFormation cannot look it up, so a small function reads it at deploy time.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from ..nag import acknowledge_wildcards
from ..python_function import python_function
from ..stack_env import StackAwareConstruct, stack_env, stack_singleton

LOOKUP_SOURCE = Path(__file__).with_name("lookup.py")
RESOURCE_TYPE = "Custom::ManagedPrefixList"
FUNCTION_ID = "ManagedPrefixListLookup"


class _LookupFunction(StackAwareConstruct):
    """The stack's one lookup function: inline code, its own log group, read-only EC2 access."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Reads AWS-managed prefix list ids at deploy time",
        )
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadPrefixLists",
                    actions=["ec2:DescribeManagedPrefixLists"],
                    resources=["*"],
                ),
            ],
        )
        acknowledge_wildcards(
            self.policy,
            {
                "*": "ec2:DescribeManagedPrefixLists supports no resource-level permissions "
                "(Service Authorization Reference: no resource types); the action only reads "
                "prefix list metadata."
            },
        )
        self.function = python_function(
            self,
            "Handler",
            inline_source=LOOKUP_SOURCE.read_text(),
            role=role,
            log_group=self.log_group,
            timeout=Duration.minutes(1),
            memory_size=128,
            description="Finds AWS-managed prefix list ids for security group rules",
        )


class ManagedPrefixList(StackAwareConstruct):
    """The AWS-managed prefix list ``prefix_list_name`` of the stack's region.

    ``prefix_list_id`` resolves at deploy time; ``peer`` is the ``ec2.IPeer`` to use in rules.
    Use ``ManagedPrefixList.s3(scope)`` for S3's list (one per stack).
    """

    def __init__(self, scope: Construct, construct_id: str, *, prefix_list_name: str) -> None:
        super().__init__(scope, construct_id)
        lookup = stack_singleton(self, FUNCTION_ID, _LookupFunction)
        resource = CustomResource(
            self,
            "Resource",
            service_token=lookup.function.function_arn,
            resource_type=RESOURCE_TYPE,
            # A handler that dies before it answers fails the stack in minutes, not CloudFormation's
            # default hour (on create, rollback and delete alike).
            service_timeout=Duration.minutes(5),
            properties={"PrefixListName": prefix_list_name},
        )
        # The function's permissions and log group must exist before CloudFormation calls it.
        resource.node.add_dependency(lookup.policy, lookup.log_group)
        self.prefix_list_name = prefix_list_name
        self.prefix_list_id: str = resource.get_att_string("PrefixListId")
        self.peer: ec2.IPeer = ec2.Peer.prefix_list(self.prefix_list_id)

    @classmethod
    def s3(cls, scope: IConstruct) -> ManagedPrefixList:
        """``com.amazonaws.<region>.s3``: where an S3 gateway endpoint routes (one per stack)."""

        def create(stack: Construct, construct_id: str) -> ManagedPrefixList:
            region = stack_env(stack).region
            return cls(stack, construct_id, prefix_list_name=f"com.amazonaws.{region}.s3")

        return stack_singleton(scope, "S3PrefixList", create)
