"""Many agents in one stack: account-quota'd pieces are shared, so the stack still deploys.

CloudWatch Logs allows 10 resource policies per account and region, X-Ray 5 per account and
CloudFormation 500 resources per stack; a per-runtime policy, topic or key hits these quickly.
(Synth time at this scale is measured by ``benchmarks/scale.py``, not here.)
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from agentcore_constructs import (
    AgentRuntime,
    AgentRuntimeImage,
    DeliveryPolicies,
    ObservabilityOptions,
)

IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/platform/agents:build-42"
AGENTS = 20


def platform_stack(
    outdir: Path, agents: int, observability: ObservabilityOptions | None = None
) -> tuple[cdk.App, cdk.Stack, list[AgentRuntime]]:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, "AgentsStack", env=cdk.Environment(account="111122223333", region="eu-west-1")
    )
    return app, stack, add_agents(stack, range(agents), observability)


def add_agents(
    stack: cdk.Stack, numbers: range, observability: ObservabilityOptions | None = None
) -> list[AgentRuntime]:
    """Runtimes ``agent_<n>`` for each n, from one image, with the same observability."""
    image = AgentRuntimeImage.from_image_uri(IMAGE)
    return [
        AgentRuntime(
            stack,
            f"Agent{n}",
            runtime_name=f"agent_{n}",
            image=image,
            observability=observability,
        )
        for n in numbers
    ]


def counts(stack: cdk.Stack) -> Counter[str]:
    resources = Template.from_stack(stack).to_json()["Resources"]
    return Counter(r["Type"] for r in resources.values())


@pytest.fixture(scope="module")
def twenty(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.Stack, Counter[str], Path]:
    outdir = tmp_path_factory.mktemp("twenty")
    app, stack, runtimes = platform_stack(outdir, AGENTS)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    for runtime in runtimes:
        runtime.grant_invoke(caller)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return stack, counts(stack), outdir


def test_twenty_agents_share_the_account_level_pieces(twenty) -> None:
    _, found, _ = twenty
    assert found["AWS::BedrockAgentCore::Runtime"] == AGENTS
    assert found["AWS::Logs::ResourcePolicy"] == 1
    assert found["AWS::XRay::ResourcePolicy"] == 1
    assert found["AWS::SNS::Topic"] == 1
    assert found["AWS::KMS::Key"] == 1
    assert found["AWS::CloudWatch::Dashboard"] == 1
    assert sum(found.values()) < 300, found


def test_every_agent_still_has_its_alarms_logs_traces_and_dashboard_section(twenty) -> None:
    stack, found, _ = twenty
    template = Template.from_stack(stack).to_json()["Resources"]
    assert found["AWS::CloudWatch::Alarm"] == 3 * AGENTS
    sources = [
        r["Properties"] for r in template.values() if r["Type"] == "AWS::Logs::DeliverySource"
    ]
    assert Counter(s["LogType"] for s in sources) == {
        "APPLICATION_LOGS": AGENTS,
        "USAGE_LOGS": AGENTS,
        "TRACES": AGENTS,
    }
    (dashboard,) = (r for r in template.values() if r["Type"] == "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert all(f"## agent_{n}::DEFAULT" in body for n in range(AGENTS))


def test_policies_stay_small_whatever_the_number_of_agents(twenty) -> None:
    """Both policy kinds have a 5 KB limit: they cover a prefix, not a list of agents."""
    stack, _, _ = twenty
    template = Template.from_stack(stack).to_json()["Resources"]
    for resource_type in ("AWS::Logs::ResourcePolicy", "AWS::XRay::ResourcePolicy"):
        (policy,) = (r for r in template.values() if r["Type"] == resource_type)
        document = json.dumps(policy["Properties"]["PolicyDocument"])
        assert len(document) < 2000, (resource_type, len(document))
        assert "agent_19" not in document


def test_cdk_nag_finds_nothing_unacknowledged_with_twenty_agents(twenty) -> None:
    _, _, outdir = twenty
    report = json.loads((outdir / "validation-report.json").read_text())
    violations: list[dict[str, Any]] = [
        rule for plugin in report["pluginReports"] for rule in plugin.get("violations", [])
    ]
    assert violations == []


def test_one_agent_per_stack_keeps_everything(tmp_path: Path) -> None:
    _, stack, _ = platform_stack(tmp_path, 1)
    found = counts(stack)
    for resource_type in (
        "AWS::Logs::ResourcePolicy",
        "AWS::XRay::ResourcePolicy",
        "AWS::SNS::Topic",
        "AWS::KMS::Key",
        "AWS::CloudWatch::Dashboard",
        "AWS::Logs::LogGroup",
    ):
        assert found[resource_type] == 1, resource_type
    assert found["AWS::CloudWatch::Alarm"] == 3


def test_existing_topic_and_account_policies_are_used_instead(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    env = cdk.Environment(account="111122223333", region="eu-west-1")
    account = cdk.Stack(app, "AccountStack", env=env)
    DeliveryPolicies(account, "Delivery", account_wide=True)
    stack = cdk.Stack(app, "AgentsStack", env=env)
    topic = sns.Topic.from_topic_arn(
        stack, "OpsTopic", "arn:aws:sns:eu-west-1:111122223333:ops-alarms"
    )
    add_agents(
        stack, range(3), ObservabilityOptions(alarm_topic=topic, manage_delivery_policies=False)
    )
    found = counts(stack)
    for resource_type in (
        "AWS::Logs::ResourcePolicy",
        "AWS::XRay::ResourcePolicy",
        "AWS::SNS::Topic",
        "AWS::KMS::Key",
    ):
        assert found[resource_type] == 0, resource_type
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    assert {a["Properties"]["AlarmActions"][0] for a in alarms} == {topic.topic_arn}
    account_policy = Template.from_stack(account).find_resources("AWS::Logs::ResourcePolicy")
    (policy,) = account_policy.values()
    assert "/aws/vendedlogs/bedrock-agentcore/*" in json.dumps(policy["Properties"])


def test_no_xray_policy_slot_is_taken_without_traces(tmp_path: Path) -> None:
    _, stack, _ = platform_stack(tmp_path, 2, ObservabilityOptions(tracing=False))
    found = counts(stack)
    assert found["AWS::XRay::ResourcePolicy"] == 0
    assert found["AWS::Logs::ResourcePolicy"] == 1


class RoundTrips:
    """Counts the requests the jsii bindings send to the Node process, by kind and target.

    Each is a synchronous round trip; with many runtimes per stack they are most of the
    construction time, so their number (not a timing) is what this guards.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from jsii._kernel.providers import process

        self.requests: Counter[tuple[str, str]] = Counter()
        send = process._NodeProcess.send

        def counting_send(provider: Any, request: Any, response_type: Any) -> Any:
            target = getattr(request, "fqn", None) or getattr(request, "method", None) or ""
            self.requests[(type(request).__name__, target)] += 1
            return send(provider, request, response_type)

        monkeypatch.setattr(process._NodeProcess, "send", counting_send)

    def total(self) -> int:
        return sum(self.requests.values())


def test_each_more_agent_costs_few_jsii_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first runtime creates the stack's shared pieces; each further one pays only for its
    own 14 resources: about 33 round trips (about 185 in 0.1.0). No ``Stack.of`` per runtime:
    the library finds its stack on the Python side."""
    _, stack, _ = platform_stack(tmp_path, 1)
    trips = RoundTrips(monkeypatch)
    add_agents(stack, range(1, 6))
    per_agent = trips.total() / 5
    assert per_agent <= 40, trips.requests.most_common(10)
    assert trips.requests[("StaticInvokeRequest", "aws-cdk-lib.Stack")] == 0
    assert trips.requests[("CreateRequest", "aws-cdk-lib.aws_cloudwatch.CfnAlarm")] == 3 * 5
