"""Observability that AgentRuntime creates by default, on a stack outside the app."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint

from agentcore_constructs import (
    AgentRuntime,
    AgentRuntimeImage,
    AgentRuntimeValidationError,
    ObservabilityOptions,
)

IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/agents:v1"


def dimensions(stack, runtime) -> list[dict]:
    arn = {"Fn::GetAtt": [stack.get_logical_id(runtime.cfn_runtime), "AgentRuntimeArn"]}
    return [
        {"Name": "Name", "Value": "watched_agent::DEFAULT"},
        {"Name": "Operation", "Value": "InvokeAgentRuntime"},
        {"Name": "Resource", "Value": arn},
    ]


def build(options: ObservabilityOptions | None, outdir: Path | None = None):
    app = cdk.App(outdir=str(outdir) if outdir else None)
    stack = cdk.Stack(
        app, "Watched", env=cdk.Environment(account="111122223333", region="eu-west-1")
    )
    runtime = AgentRuntime(
        stack,
        "Agent",
        runtime_name="watched_agent",
        image=AgentRuntimeImage.from_image_uri(IMAGE),
        observability=options,
    )
    return app, stack, runtime


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("watched")
    app, stack, runtime = build(
        ObservabilityOptions(
            alarm_email="oncall@example.com",
            log_retention=logs.RetentionDays.TWO_WEEKS,
            system_errors_threshold=2,
            throttles_threshold=7,
            latency_p99_threshold=cdk.Duration.seconds(12),
        ),
        outdir,
    )
    # The runtime acknowledges its execution role's findings itself; observability needs none.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return stack, runtime, Template.from_stack(stack), outdir


def policy_document(value: str | dict) -> dict:
    """A policy document rendered as a string, its partition pseudo parameter read as aws."""
    if isinstance(value, dict):
        parts = value["Fn::Join"][1]
        value = "".join("aws" if p == {"Ref": "AWS::Partition"} else p for p in parts)
    return json.loads(value)


def alarms_by_metric(template: Template) -> dict[str, dict]:
    return {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
    }


def test_metric_methods_use_the_runtime_dimensions(watched) -> None:
    _, runtime, _, _ = watched
    for method, name in [
        (runtime.metric_invocations, "Invocations"),
        (runtime.metric_throttles, "Throttles"),
        (runtime.metric_system_errors, "SystemErrors"),
        (runtime.metric_user_errors, "UserErrors"),
        (runtime.metric_latency, "Latency"),
        (runtime.metric_total_errors, "TotalErrors"),
        (runtime.metric_session_count, "SessionCount"),
    ]:
        metric = method()
        assert metric.namespace == "AWS/Bedrock-AgentCore"
        assert metric.metric_name == name
        assert metric.dimensions == {
            "Operation": "InvokeAgentRuntime",
            "Name": "watched_agent::DEFAULT",
            "Resource": runtime.runtime_arn,
        }
    assert runtime.metric("Duration", statistic="p90").statistic == "p90"


def test_alarms_thresholds_and_actions(watched) -> None:
    stack, runtime, template, _ = watched
    alarms = alarms_by_metric(template)
    assert set(alarms) == {"SystemErrors", "Throttles", "Latency"}
    topic = {"Ref": stack.get_logical_id(runtime.observability.alarm_topic.node.default_child)}
    expected = {
        "SystemErrors": (2, "Sum", 1),
        "Throttles": (7, "Sum", 1),
        "Latency": (12000, None, 3),
    }
    for name, (threshold, statistic, periods) in expected.items():
        alarm = alarms[name]
        assert alarm["Namespace"] == "AWS/Bedrock-AgentCore"
        assert alarm["Dimensions"] == dimensions(stack, runtime)
        assert alarm["Threshold"] == threshold
        assert alarm["EvaluationPeriods"] == periods
        assert alarm["Period"] == 300
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        if statistic:
            assert alarm["Statistic"] == statistic
    assert alarms["Latency"]["ExtendedStatistic"] == "p99"


def test_topic_is_encrypted_ssl_only_and_mails_on_call(watched) -> None:
    _, _, template, _ = watched
    (topic,) = template.find_resources("AWS::SNS::Topic").values()
    (key_id,) = template.find_resources("AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    (key,) = template.find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    key_statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key_statements
    )
    (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    deny = statements["AllowPublishThroughSSLOnly"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    # The topic policy replaces SNS's default one: CloudWatch needs its own Allow.
    assert statements["AlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["AlarmsPublish"]["Action"] == "sns:Publish"
    (subscription,) = template.find_resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"


def test_dashboard_graphs_the_runtime_metrics(watched) -> None:
    _, _, template, _ = watched
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in (
        "Invocations",
        "SessionCount",
        "SystemErrors",
        "UserErrors",
        "Throttles",
        "Latency",
        "TotalErrors",
    ):
        assert metric in body
    for percentile in ("p50", "p90", "p99"):
        assert percentile in body
    assert "watched_agent::DEFAULT" in body


def test_logs_and_traces_are_delivered(watched) -> None:
    stack, runtime, template, _ = watched
    runtime_arn = {"Fn::GetAtt": [stack.get_logical_id(runtime.cfn_runtime), "AgentRuntimeArn"]}
    sources = {
        s["Properties"]["LogType"]: s
        for s in template.find_resources("AWS::Logs::DeliverySource").values()
    }
    assert set(sources) == {"APPLICATION_LOGS", "USAGE_LOGS", "TRACES"}
    assert all(s["Properties"]["ResourceArn"] == runtime_arn for s in sources.values())
    destinations = template.find_resources("AWS::Logs::DeliveryDestination")
    targets = {d["Properties"]["Name"]: d["Properties"] for d in destinations.values()}
    group = stack.get_logical_id(runtime.observability.log_group.node.default_child)
    # Application and usage logs go to the runtime's one group; traces to the stack's X-Ray.
    assert targets["watched_agent-logs"]["DestinationResourceArn"] == {"Fn::GetAtt": [group, "Arn"]}
    assert targets["Watched-agentcore-traces"]["DeliveryDestinationType"] == "XRAY"
    assert len(targets) == 2
    deliveries = template.find_resources("AWS::Logs::Delivery")
    assert len(deliveries) == 3
    ordered = sorted(deliveries.items(), key=lambda item: len(item[1].get("DependsOn", [])))
    first_id = ordered[0][0]
    assert any(first_id in d.get("DependsOn", []) for _, d in ordered[1:]), "deliveries are chained"
    for delivery in deliveries.values():
        name = delivery["Properties"]["DeliverySourceName"]
        assert name in {s["Properties"]["Name"] for s in sources.values()}


def test_delivery_services_may_write_only_for_this_account_and_stack(watched) -> None:
    _, runtime, template, _ = watched
    (logs_policy,) = template.find_resources("AWS::Logs::ResourcePolicy").values()
    (statement,) = policy_document(logs_policy["Properties"]["PolicyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    # The stack's own prefix, which the runtime's group is under; no per-runtime entries.
    assert statement["Resource"] == (
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/bedrock-agentcore/Watched/*"
    )
    group = runtime.observability.log_group.node.default_child
    assert (
        group.log_group_name == "/aws/vendedlogs/bedrock-agentcore/Watched/runtimes/watched_agent"
    )
    (xray_policy,) = template.find_resources("AWS::XRay::ResourcePolicy").values()
    (statement,) = policy_document(xray_policy["Properties"]["PolicyDocument"])["Statement"]
    assert statement["Action"] == "xray:PutTraceSegments"
    assert statement["Condition"]["ForAllValues:ArnLike"] == {
        "logs:LogGeneratingResourceArns": [
            f"arn:aws:bedrock-agentcore:eu-west-1:111122223333:{kind}/*"
            for kind in ("runtime", "gateway", "memory")
        ]
    }
    destinations = template.find_resources("AWS::Logs::DeliveryDestination")
    (logs_policy_id,) = template.find_resources("AWS::Logs::ResourcePolicy")
    (xray_policy_id,) = template.find_resources("AWS::XRay::ResourcePolicy")
    for destination in destinations.values():
        policy = (
            xray_policy_id
            if destination["Properties"].get("DeliveryDestinationType") == "XRAY"
            else logs_policy_id
        )
        assert policy in destination["DependsOn"], "the policy exists before delivery starts"


def test_log_groups_keep_logs_for_the_configured_time(watched) -> None:
    _, _, template, _ = watched
    groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 1
    assert {g["Properties"]["RetentionInDays"] for g in groups.values()} == {14}


def test_nag_and_cfn_lint_are_clean(watched) -> None:
    _, _, _, outdir = watched
    report = json.loads((outdir / "validation-report.json").read_text())
    unexpected = [
        (r["pluginName"], v["ruleName"]) for r in report["pluginReports"] for v in r["violations"]
    ]
    assert unexpected == []
    acknowledged_paths = {
        c["constructPath"]
        for r in report["pluginReports"]
        for a in r["suppressedViolations"]
        for c in a["violatingConstructs"]
    }
    assert acknowledged_paths == {"Watched/Agent/ExecutionPolicy/Resource"}, "none in observability"
    text = (outdir / "Watched.template.json").read_text()
    assert [str(m) for m in lint(text, regions=["eu-west-1"]) if m.rule.id[0] in "EW"] == []


def test_switched_off_creates_nothing() -> None:
    _, stack, runtime = build(ObservabilityOptions(enabled=False))
    template = Template.from_stack(stack)
    assert runtime.observability is None
    for resource_type in (
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::SNS::Topic",
        "AWS::Logs::Delivery",
    ):
        assert template.find_resources(resource_type) == {}
    assert runtime.metric_invocations().metric_name == "Invocations", "metrics stay available"


def test_on_by_default() -> None:
    _, stack, _ = build(None)
    template = Template.from_stack(stack)
    assert len(template.find_resources("AWS::CloudWatch::Alarm")) == 3
    assert template.find_resources("AWS::SNS::Subscription") == {}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ObservabilityOptions(system_errors_threshold=0),
            "observability.system_errors_threshold=0: must be >= 1",
        ),
        (
            ObservabilityOptions(throttles_threshold=-1),
            "observability.throttles_threshold=-1: must be >= 1",
        ),
        (
            ObservabilityOptions(latency_p99_threshold=cdk.Duration.millis(0)),
            "observability.latency_p99_threshold",
        ),
        (
            ObservabilityOptions(alarm_email="oncall"),
            "observability.alarm_email='oncall': must be an e-mail address",
        ),
    ],
)
def test_invalid_options_are_rejected(options, expected) -> None:
    with pytest.raises(AgentRuntimeValidationError) as raised:
        build(options)
    assert expected in str(raised.value)


def test_the_scoped_nag_check_sees_observability_resources(tmp_path) -> None:
    """Control: the scoped check above does inspect the subtree (an open topic is flagged)."""
    from aws_cdk import aws_sns as sns

    app, _, runtime = build(ObservabilityOptions(), tmp_path)
    sns.Topic(runtime.observability, "Unencrypted")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="AwsSolutions-SNS3"):
        app.synth()
