"""The runtime's CloudWatch metrics, as CDK ``Metric`` objects users can alarm and graph on."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

NAMESPACE = "AWS/Bedrock-AgentCore"
OPERATION = "InvokeAgentRuntime"
FIVE_MINUTES = Duration.minutes(5)  # one jsii object for every metric, not one each


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
        return self.metric("Invocations", unit=cloudwatch.Unit.COUNT, **props)

    def throttles(self, **props) -> cloudwatch.Metric:
        return self.metric("Throttles", unit=cloudwatch.Unit.COUNT, **props)

    def system_errors(self, **props) -> cloudwatch.Metric:
        return self.metric("SystemErrors", unit=cloudwatch.Unit.COUNT, **props)

    def user_errors(self, **props) -> cloudwatch.Metric:
        return self.metric("UserErrors", unit=cloudwatch.Unit.COUNT, **props)

    def total_errors(self, **props) -> cloudwatch.Metric:
        return self.metric("TotalErrors", unit=cloudwatch.Unit.COUNT, **props)

    def session_count(self, **props) -> cloudwatch.Metric:
        return self.metric("SessionCount", unit=cloudwatch.Unit.COUNT, **props)

    def latency(self, *, statistic: str = "Average", **props) -> cloudwatch.Metric:
        return self.metric(
            "Latency", statistic=statistic, unit=cloudwatch.Unit.MILLISECONDS, **props
        )
