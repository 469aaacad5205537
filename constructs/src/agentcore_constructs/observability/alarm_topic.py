"""The stack's one encrypted SNS topic for AgentCore alarms (not one per runtime)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

from ..stack_env import StackAwareConstruct, stack_env, stack_singleton

SHARED_ID = "AgentCoreAlarmTopic"


class AlarmTopic(StackAwareConstruct):
    """A KMS-encrypted topic CloudWatch alarms of this account and region may publish to.

    Every runtime of a stack shares it (``AlarmTopic.of(stack)``) unless the user passes a topic
    of their own through ``ObservabilityOptions.alarm_topic``.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = stack_env(self)
        self._emails: set[str] = set()
        # Only alarms of this account and region may publish (the topic policy). The key policy
        # is AWS's documented statement for CloudWatch, without conditions: no AWS document
        # says CloudWatch's KMS calls carry aws:SourceArn/SourceAccount, and if they did not,
        # every notification would be dropped silently (SNS developer guide, "Key management").
        from_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:"
                f"{stack.account}:alarm:*"
            },
        }
        cloudwatch_service = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description="Encrypts the AgentCore alarm notifications of this stack",
        )
        # CloudWatch alarms publish to encrypted topics only with a key they may use.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsEncryptNotifications",
                principals=[cloudwatch_service],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        self.topic_arn: str = self.topic.topic_arn  # read once for every alarm of the stack
        # A topic policy replaces SNS's default one, which is what lets CloudWatch publish.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                principals=[cloudwatch_service],
                actions=["sns:Publish"],
                resources=[self.topic_arn],
                conditions=from_alarms,
            )
        )

    @classmethod
    def of(cls, scope: IConstruct) -> AlarmTopic:
        """The stack's topic, created on first call."""
        return stack_singleton(scope, SHARED_ID, cls)

    def subscribe_email(self, email: str) -> None:
        """Subscribe ``email`` once, however many runtimes ask for it."""
        if email not in self._emails:
            self._emails.add(email)
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
