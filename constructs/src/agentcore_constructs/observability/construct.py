"""Alarms, a dashboard section, log delivery and tracing for one AgentCore runtime.

Logs and traces use CloudWatch vended-logs delivery (``DeliverySource`` ->
``DeliveryDestination`` -> ``Delivery``), the mechanism the service itself offers; the log
group belongs to this stack so its retention is set here, not left at "never expire". What the
account has few of (resource policies, and the topic, key and dashboard) is shared by every
runtime of the stack; see ``delivery.py``.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .alarm_topic import AlarmTopic
from .dashboard import AgentDashboard
from .delivery import deliver, vended_log_group_name
from .metrics import FIVE_MINUTES, RuntimeMetrics
from .options import ObservabilityOptions


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
        self.alarm_topic: sns.ITopic = options.alarm_topic or AlarmTopic.of(self).topic
        if options.alarm_email:  # validated: only with the shared topic
            AlarmTopic.of(self).subscribe_email(options.alarm_email)
        self._options = options
        self._runtime_name = runtime_name
        self.alarms = self._alarms(metrics, prefix="")
        self.dashboard: AgentDashboard | None = None
        if options.dashboard:
            self.dashboard = AgentDashboard.of(self)
            self.dashboard.add_runtime(f"{runtime_name}::DEFAULT", metrics)
        # Application and usage logs share the runtime's group: one destination, not two.
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=vended_log_group_name(self, "runtimes", runtime_name),
            retention=options.log_retention,
            removal_policy=options.log_removal_policy,
        )
        log_types = ["APPLICATION_LOGS", *(["USAGE_LOGS"] if options.usage_logs else [])]
        self.deliveries = deliver(
            self,
            resource_arn=runtime_arn,
            name=runtime_name,
            log_groups=dict.fromkeys(log_types, self.log_group),
            traces=options.tracing,
            manage_policies=options.manage_delivery_policies,
        )

    @property
    def application_log_group(self) -> logs.LogGroup:
        return self.log_group

    def watch_endpoint(self, endpoint_name: str, metrics: RuntimeMetrics) -> None:
        """Alarms and a dashboard section for a named endpoint: its traffic has its own metrics."""
        self.alarms |= self._alarms(metrics, prefix=endpoint_name)
        if self.dashboard is not None:
            self.dashboard.add_runtime(f"{self._runtime_name}::{endpoint_name}", metrics)

    def _alarms(self, metrics: RuntimeMetrics, *, prefix: str) -> dict[str, cloudwatch.Alarm]:
        options = self._options
        five_minutes = FIVE_MINUTES
        specs = {
            "SystemErrors": (
                metrics.system_errors(period=five_minutes),
                options.system_errors_threshold,
                1,
                "The runtime returned server-side (5xx) errors",
            ),
            "Throttles": (
                metrics.throttles(period=five_minutes),
                options.throttles_threshold,
                1,
                "Invocations are being throttled: check the runtime's quotas",
            ),
            "LatencyP99": (
                metrics.latency(statistic="p99", period=five_minutes),
                options.latency_p99_threshold.to_milliseconds(),
                3,
                "p99 latency is above its threshold for most of the last 15 minutes",
            ),
        }
        alarms = {}
        notify = actions.SnsAction(self.alarm_topic)  # one action object serves every alarm
        for name, (metric, threshold, periods, description) in specs.items():
            alarm = metric.create_alarm(
                self,
                f"{prefix}{name}Alarm",
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=min(periods, 2),
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            alarm.add_alarm_action(notify)
            alarm.add_ok_action(notify)
            alarms[f"{prefix}{name}"] = alarm
        return alarms
