"""What observability the AgentRuntime construct sets up (on by default)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

DEFAULT_LATENCY_P99_THRESHOLD = Duration.seconds(30)


@dataclass(frozen=True)
class ObservabilityOptions:
    """Alarms, dashboard, log delivery and tracing; ``enabled=False`` switches all off.

    Defaults: logs kept one month; alarm on any system error, on 5 throttles, and on p99
    latency above 30 s, each over 5-minute periods; traces sent to X-Ray (the account needs
    CloudWatch Transaction Search enabled once to see them). The alarm topic, its key, the
    dashboard and the delivery resource policies are shared by every runtime of the stack;
    ``alarm_topic`` brings a topic of your own, and ``manage_delivery_policies=False`` relies on
    policies the account already has (``DeliveryPolicies(account_wide=True)``, deployed once).
    """

    enabled: bool = True
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    log_removal_policy: RemovalPolicy = RemovalPolicy.DESTROY
    alarm_email: str | None = None
    alarm_topic: sns.ITopic | None = None
    system_errors_threshold: int = 1
    throttles_threshold: int = 5
    latency_p99_threshold: Duration = DEFAULT_LATENCY_P99_THRESHOLD
    tracing: bool = True
    usage_logs: bool = True
    dashboard: bool = True
    manage_delivery_policies: bool = True

    @cached_property
    def latency_p99_threshold_ms(self) -> float:
        """The latency threshold in milliseconds (read from the Duration once per options)."""
        return self.latency_p99_threshold.to_milliseconds()

    def problems(self) -> list[tuple[str, object, str]]:
        found: list[tuple[str, object, str]] = []
        if self.system_errors_threshold < 1:
            found.append(
                (
                    "observability.system_errors_threshold",
                    self.system_errors_threshold,
                    "must be >= 1",
                )
            )
        if self.throttles_threshold < 1:
            found.append(
                ("observability.throttles_threshold", self.throttles_threshold, "must be >= 1")
            )
        if self.latency_p99_threshold_ms < 1:
            found.append(
                (
                    "observability.latency_p99_threshold",
                    self.latency_p99_threshold.to_human_string(),
                    "must be at least 1 ms",
                )
            )
        email = self.alarm_email
        if email is not None and ("@" not in email or " " in email or email.endswith("@")):
            found.append(("observability.alarm_email", email, "must be an e-mail address"))
        if email is not None and self.alarm_topic is not None:
            found.append(
                (
                    "observability.alarm_email",
                    email,
                    "give alarm_email or alarm_topic, not both: subscribe to your own topic there",
                )
            )
        return found
