"""The stack's one CloudWatch dashboard, with a section per AgentCore runtime (or endpoint).

The body is written here as the JSON CloudWatch reads, rendered once at synth: building it
from ``GraphWidget``/``Metric`` objects costs a dozen jsii round trips per section, which is
most of a runtime's synth time when a stack holds many of them.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import IStableStringProducer, Lazy
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

from ..stack_env import StackAwareConstruct, stack_env, stack_singleton
from .metrics import NAMESPACE, PERIOD_SECONDS, RuntimeMetrics

SHARED_ID = "AgentCoreDashboard"
SECTION_HEIGHT = 7  # a one-line title and a row of 6-high graphs
GRAPH = {"width": 6, "height": 6}


class AgentDashboard(StackAwareConstruct):
    """One dashboard per stack (``AgentDashboard.of(stack)``); runtimes add their sections."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._sections: list[tuple[str, RuntimeMetrics]] = []
        self.dashboard = cloudwatch.CfnDashboard(
            self, "Resource", dashboard_body=Lazy.string(_Body(self))
        )

    @classmethod
    def of(cls, scope: IConstruct) -> AgentDashboard:
        """The stack's dashboard, created on first call."""
        return stack_singleton(scope, SHARED_ID, cls)

    def add_runtime(self, title: str, metrics: RuntimeMetrics) -> None:
        """A titled row: invocations and sessions, errors by kind, latency, a 5-minute summary."""
        self._sections.append((title, metrics))

    def body(self) -> dict[str, Any]:
        region = stack_env(self).region
        widgets: list[dict[str, Any]] = []
        for index, (title, metrics) in enumerate(self._sections):
            top = index * SECTION_HEIGHT
            widgets.append(
                {
                    "type": "text",
                    "x": 0,
                    "y": top,
                    "width": 24,
                    "height": 1,
                    "properties": {"markdown": f"## {title}"},
                }
            )
            graphs = [
                _graph(
                    f"{title}: invocations",
                    [
                        _line(metrics, "Invocations", "Sum"),
                        _line(metrics, "SessionCount", "Sum", yAxis="right"),
                    ],
                ),
                _graph(
                    f"{title}: errors by kind",
                    [
                        _line(metrics, name, "Sum")
                        for name in ("SystemErrors", "UserErrors", "Throttles")
                    ],
                ),
                _graph(
                    f"{title}: latency",
                    [_line(metrics, "Latency", s, label=s) for s in ("p50", "p90", "p99")],
                ),
                _graph(
                    f"{title}: sessions and errors (5 min)",
                    [
                        _line(metrics, "SessionCount", "Sum"),
                        _line(metrics, "TotalErrors", "Sum"),
                    ],
                    view="singleValue",
                ),
            ]
            for column, graph in enumerate(graphs):
                graph["properties"]["region"] = region
                widgets.append({"type": "metric", "x": 6 * column, "y": top + 1, **GRAPH, **graph})
        return {"widgets": widgets}


def _line(metrics: RuntimeMetrics, name: str, stat: str, **options: str) -> list[Any]:
    dimensions = [part for pair in metrics.dimensions.items() for part in pair]
    return [NAMESPACE, name, *dimensions, {"stat": stat, **options}]


def _graph(title: str, lines: list[list[Any]], *, view: str = "timeSeries") -> dict[str, Any]:
    return {
        "properties": {
            "view": view,
            "title": title,
            "metrics": lines,
            "period": PERIOD_SECONDS,
            **({"yAxis": {}} if view == "timeSeries" else {}),
        }
    }


@jsii.implements(IStableStringProducer)
class _Body:
    """Renders the dashboard body at synth, after every runtime has added its section."""

    def __init__(self, dashboard: AgentDashboard) -> None:
        self._dashboard = dashboard

    def produce(self) -> str | None:
        return stack_env(self._dashboard).stack.to_json_string(self._dashboard.body())
