"""Alarms, a dashboard section, log delivery and tracing for one AgentCore runtime.

Logs and traces use CloudWatch vended-logs delivery (``DeliverySource`` ->
``DeliveryDestination`` -> ``Delivery``), the mechanism the service itself offers; the log
group belongs to this stack so its retention is set here, not left at "never expire". What the
account has few of (resource policies, and the topic, key and dashboard) is shared by every
runtime of the stack; see ``delivery.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..stack_env import StackAwareConstruct
from .alarm_topic import AlarmTopic
from .dashboard import AgentDashboard
from .delivery import deliver, vended_log_group
from .metrics import NAMESPACE, PERIOD_SECONDS, RuntimeMetrics
from .options import ObservabilityOptions


class RuntimeObservability(StackAwareConstruct):
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
        self.alarm_topic: sns.ITopic
        if options.alarm_topic is not None:
            self.alarm_topic, self._topic_arn = options.alarm_topic, options.alarm_topic.topic_arn
        else:
            shared = AlarmTopic.of(self)
            self.alarm_topic, self._topic_arn = shared.topic, shared.topic_arn
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
        self.log_group = vended_log_group(
            self,
            "runtimes",
            runtime_name,
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

    def _alarms(self, metrics: RuntimeMetrics, *, prefix: str) -> dict[str, cloudwatch.CfnAlarm]:
        """Three alarms notifying the topic on alarm and on recovery.

        Written as ``CfnAlarm``s: the same template as ``Metric.create_alarm`` plus alarm and OK
        actions, in one jsii round trip per alarm instead of five.
        """
        options = self._options
        specs = (
            AlarmSpec(
                "SystemErrors",
                "SystemErrors",
                options.system_errors_threshold,
                1,
                "The runtime returned server-side (5xx) errors",
            ),
            AlarmSpec(
                "Throttles",
                "Throttles",
                options.throttles_threshold,
                1,
                "Invocations are being throttled: check the runtime's quotas",
            ),
            AlarmSpec(
                "LatencyP99",
                "Latency",
                options.latency_p99_threshold_ms,
                3,
                "p99 latency is above its threshold for most of the last 15 minutes",
                statistic="p99",
            ),
        )
        topic = [self._topic_arn]
        dimensions = [
            cloudwatch.CfnAlarm.DimensionProperty(name=name, value=value)
            for name, value in sorted(metrics.dimensions.items())
        ]
        alarms = {}
        for spec in specs:
            percentile = spec.statistic.startswith("p")
            alarms[f"{prefix}{spec.name}"] = cloudwatch.CfnAlarm(
                self,
                f"{prefix}{spec.name}Alarm",
                alarm_description=spec.description,
                namespace=NAMESPACE,
                metric_name=spec.metric_name,
                dimensions=dimensions,
                statistic=None if percentile else spec.statistic,
                extended_statistic=spec.statistic if percentile else None,
                period=PERIOD_SECONDS,
                threshold=spec.threshold,
                evaluation_periods=spec.periods,
                datapoints_to_alarm=min(spec.periods, 2),
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=topic,
                ok_actions=topic,
            )
        return alarms


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm on a runtime metric: above ``threshold`` for ``periods`` 5-minute periods."""

    name: str
    metric_name: str
    threshold: float
    periods: int
    description: str
    statistic: str = "Sum"
