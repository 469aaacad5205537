"""Alarms, a dashboard, log delivery and tracing for one AgentCore runtime.

Logs and traces use CloudWatch vended-logs delivery (``DeliverySource`` ->
``DeliveryDestination`` -> ``Delivery``), the mechanism the service itself offers; the log
groups belong to this stack so their retention is set here, not left at "never expire".
"""

from __future__ import annotations

from aws_cdk import Duration, Names, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_xray as xray
from constructs import Construct

from .metrics import RuntimeMetrics
from .options import ObservabilityOptions

LOG_TYPES = {"APPLICATION_LOGS": "app", "USAGE_LOGS": "usage"}


class RuntimeObservability(Construct):
    """Everything to watch a runtime; created by ``AgentRuntime`` unless switched off."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime_arn: str,
        runtime_name: str,
        metrics: RuntimeMetrics,
        options: ObservabilityOptions,
    ) -> None:
        super().__init__(scope, construct_id)
        self.metrics = metrics
        self.alarm_topic = self._topic(options)
        self.alarms = self._alarms(options)
        self.dashboard = self._dashboard(runtime_name) if options.dashboard else None
        self.log_groups: dict[str, logs.LogGroup] = {
            log_type: logs.LogGroup(
                self,
                f"{suffix.capitalize()}Logs",
                retention=options.log_retention,
                removal_policy=options.log_removal_policy,
            )
            for log_type, suffix in LOG_TYPES.items()
        }
        self.deliveries: list[logs.CfnDelivery] = []
        logs_policy = self._log_delivery_policy()
        for log_type, suffix in LOG_TYPES.items():
            destination = logs.CfnDeliveryDestination(
                self,
                f"{suffix.capitalize()}LogsDestination",
                name=f"{runtime_name}-{suffix}",
                delivery_destination_type="CWL",
                destination_resource_arn=self.log_groups[log_type].log_group_arn,
            )
            destination.node.add_dependency(logs_policy)
            self._deliver(runtime_arn, runtime_name, log_type, suffix, destination)
        if options.tracing:
            traces = logs.CfnDeliveryDestination(
                self,
                "TracesDestination",
                name=f"{runtime_name}-traces",
                delivery_destination_type="XRAY",
            )
            traces.add_resource_dependency(self._trace_delivery_policy(runtime_arn))
            self._deliver(runtime_arn, runtime_name, "TRACES", "traces", traces)

    @property
    def application_log_group(self) -> logs.LogGroup:
        return self.log_groups["APPLICATION_LOGS"]

    @property
    def usage_log_group(self) -> logs.LogGroup:
        return self.log_groups["USAGE_LOGS"]

    def _deliver(
        self,
        runtime_arn: str,
        runtime_name: str,
        log_type: str,
        suffix: str,
        destination: logs.CfnDeliveryDestination,
    ) -> None:
        label = suffix.capitalize()
        source = logs.CfnDeliverySource(
            self,
            f"{label}Source",
            name=f"{runtime_name}-{suffix}",
            resource_arn=runtime_arn,
            log_type=log_type,
        )
        delivery = logs.CfnDelivery(
            self,
            f"{label}Delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.attr_arn,
        )
        delivery.add_resource_dependency(source)
        # Deliveries of one resource are created one after another: CloudWatch Logs refuses
        # concurrent changes to the same source resource.
        if self.deliveries:
            delivery.add_resource_dependency(self.deliveries[-1])
        self.deliveries.append(delivery)

    def _delivery_conditions(self) -> dict[str, dict[str, str]]:
        """Only CloudWatch Logs deliveries of this account may write (confused deputy)."""
        stack = Stack.of(self)
        return {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"
            },
        }

    def _log_delivery_policy(self) -> logs.ResourcePolicy:
        """Vended-logs delivery writes into the log groups through their resource policy."""
        return logs.ResourcePolicy(
            self,
            "LogDeliveryPolicy",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[_stream_arns(self, g) for g in self.log_groups.values()],
                    conditions=self._delivery_conditions(),
                )
            ],
        )

    def _trace_delivery_policy(self, runtime_arn: str) -> xray.CfnResourcePolicy:
        """X-Ray accepts the delivered spans of this runtime only."""
        statement = iam.PolicyStatement(
            principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
            actions=["xray:PutTraceSegments"],
            resources=["*"],
            conditions={
                **self._delivery_conditions(),
                "ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": [runtime_arn]},
            },
        )
        document = iam.PolicyDocument(statements=[statement])
        return xray.CfnResourcePolicy(
            self,
            "TraceDeliveryPolicy",
            policy_name=f"{Names.unique_id(self)[-100:]}-traces",
            policy_document=Stack.of(self).to_json_string(document.to_json()),
        )

    def _topic(self, options: ObservabilityOptions) -> sns.Topic:
        stack = Stack.of(self)
        # Only alarms of this account and region, through both the key and the topic.
        from_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:"
                f"{stack.account}:alarm:*"
            },
        }
        cloudwatch_service = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        key = kms.Key(
            self,
            "AlarmTopicKey",
            enable_key_rotation=True,
            description="Encrypts the runtime's alarm notifications",
        )
        # CloudWatch alarms publish to encrypted topics only with a key they may use.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsEncryptNotifications",
                principals=[cloudwatch_service],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=from_alarms,
            )
        )
        topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        # A topic policy replaces SNS's default one, which is what lets CloudWatch publish.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                principals=[cloudwatch_service],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_alarms,
            )
        )
        if options.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(options.alarm_email))
        return topic

    def _alarms(self, options: ObservabilityOptions) -> dict[str, cloudwatch.Alarm]:
        five_minutes = Duration.minutes(5)
        specs = {
            "SystemErrors": (
                self.metrics.system_errors(period=five_minutes),
                options.system_errors_threshold,
                1,
                "The runtime returned server-side (5xx) errors",
            ),
            "Throttles": (
                self.metrics.throttles(period=five_minutes),
                options.throttles_threshold,
                1,
                "Invocations are being throttled: check the runtime's quotas",
            ),
            "LatencyP99": (
                self.metrics.latency(statistic="p99", period=five_minutes),
                options.latency_p99_threshold.to_milliseconds(),
                3,
                "p99 latency is above its threshold for most of the last 15 minutes",
            ),
        }
        alarms = {}
        for name, (metric, threshold, periods, description) in specs.items():
            alarm = metric.create_alarm(
                self,
                f"{name}Alarm",
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=min(periods, 2),
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            alarm.add_alarm_action(actions.SnsAction(self.alarm_topic))
            alarm.add_ok_action(actions.SnsAction(self.alarm_topic))
            alarms[name] = alarm
        return alarms

    def _dashboard(self, runtime_name: str) -> cloudwatch.Dashboard:
        m = self.metrics
        dashboard = cloudwatch.Dashboard(self, "Dashboard")
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Invocations", left=[m.invocations()], right=[m.session_count()], width=12
            ),
            cloudwatch.GraphWidget(
                title="Errors by kind",
                left=[m.system_errors(), m.user_errors(), m.throttles()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Latency",
                left=[m.latency(statistic=s, label=s) for s in ("p50", "p90", "p99")],
                width=12,
            ),
            cloudwatch.SingleValueWidget(
                title=f"{runtime_name}: sessions and errors (5 min)",
                metrics=[m.session_count(), m.total_errors()],
                width=12,
            ),
        )
        return dashboard


def _stream_arns(scope: Construct, group: logs.LogGroup) -> str:
    """Streams of ``group``; its ``Arn`` attribute already ends in ``:*``, so use the name."""
    stack = Stack.of(scope)
    return (
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:"
        f"{group.log_group_name}:log-stream:*"
    )
