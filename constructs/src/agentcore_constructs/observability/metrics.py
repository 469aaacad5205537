"""The runtime's CloudWatch metrics, as CDK ``Metric`` objects users can alarm and graph on."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

NAMESPACE = "AWS/Bedrock-AgentCore"
OPERATION = "InvokeAgentRuntime"
PERIOD_SECONDS = 300
FIVE_MINUTES = Duration.seconds(PERIOD_SECONDS)  # one jsii object for every metric, not one each
# No metric carries a unit: CloudWatch matches a unit exactly, and an alarm or graph asking for a
# unit the service does not publish stays in INSUFFICIENT_DATA ("We recommend omitting Unit",
# PutMetricAlarm); AgentCore does not document the units it publishes.


class RuntimeMetrics:
    """Metrics of one runtime endpoint (``DEFAULT`` unless told otherwise).

    The service publishes them with three dimensions (operation, ``<name>::<endpoint>`` and the
    runtime ARN as ``Resource``); a metric only matches data with exactly that set.
    """

    def __init__(self, runtime_name: str, runtime_arn: str, endpoint_name: str = "DEFAULT") -> None:
        self.dimensions = {
            "Operation": OPERATION,
            "Name": f"{runtime_name}::{endpoint_name}",
            "Resource": runtime_arn,
        }

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Sum",
        period: Duration | None = None,
        unit: cloudwatch.Unit | None = None,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric_name,
            dimensions_map=self.dimensions,
            statistic=statistic,
            period=period or FIVE_MINUTES,
            unit=unit,
            label=label,
        )

    def invocations(self, **props) -> cloudwatch.Metric:
        return self.metric("Invocations", **props)

    def throttles(self, **props) -> cloudwatch.Metric:
        return self.metric("Throttles", **props)

    def system_errors(self, **props) -> cloudwatch.Metric:
        return self.metric("SystemErrors", **props)

    def user_errors(self, **props) -> cloudwatch.Metric:
        return self.metric("UserErrors", **props)

    def total_errors(self, **props) -> cloudwatch.Metric:
        return self.metric("TotalErrors", **props)

    def session_count(self, **props) -> cloudwatch.Metric:
        return self.metric("SessionCount", **props)

    def latency(self, *, statistic: str = "Average", **props) -> cloudwatch.Metric:
        return self.metric("Latency", statistic=statistic, **props)
