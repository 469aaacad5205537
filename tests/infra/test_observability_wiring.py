"""The environment's observability settings reach the runtime's alarms and log groups."""

from __future__ import annotations

from .conftest import Synthesized, synthesize


def retention_days(env: Synthesized) -> set[int]:
    groups = env.resources("AWS::Logs::LogGroup")
    return {
        g["Properties"]["RetentionInDays"]
        for k, g in groups.items()
        if k.startswith("AgentRuntimeObservability")
    }


def test_retention_per_env(dev: Synthesized, prod: Synthesized) -> None:
    assert retention_days(dev) == {14}
    assert retention_days(prod) == {90}
    kept = [
        g["DeletionPolicy"]
        for k, g in prod.resources("AWS::Logs::LogGroup").items()
        if k.startswith("AgentRuntimeObservability")
    ]
    assert kept == ["Retain"], "application and usage logs share the runtime's group"


def test_thresholds_per_env(each_env: Synthesized) -> None:
    settings = each_env.stack.config.observability
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"]["Threshold"]
        for a in each_env.resources("AWS::CloudWatch::Alarm").values()
    }
    assert alarms == {
        "SystemErrors": settings.system_errors_threshold,
        "Throttles": settings.throttles_threshold,
        "Latency": settings.latency_p99_threshold_ms,
    }
    # A unit the service does not publish keeps an alarm in INSUFFICIENT_DATA: none is set.
    assert all(
        "Unit" not in a["Properties"] for a in each_env.resources("AWS::CloudWatch::Alarm").values()
    )
    assert len(each_env.resources("AWS::CloudWatch::Dashboard")) == 1
    runtime_deliveries = [
        k for k in each_env.resources("AWS::Logs::Delivery") if k.startswith("AgentRuntime")
    ]
    assert len(runtime_deliveries) == 3


def test_alarm_email_from_config(tmp_path) -> None:
    env = synthesize(
        "dev",
        tmp_path,
        mutate=lambda c: c["observability"].update(alarm_email="oncall@example.com"),
    )
    (subscription,) = env.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"


def test_switch_off_from_config(tmp_path) -> None:
    env = synthesize("dev", tmp_path, mutate=lambda c: c["observability"].update(enabled=False))
    assert env.resources("AWS::CloudWatch::Alarm") == {}
    assert env.resources("AWS::Logs::Delivery") == {}
    assert "AlarmTopicArn" not in env.json["Outputs"]
