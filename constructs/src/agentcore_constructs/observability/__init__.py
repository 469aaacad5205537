"""Metrics, alarms, a dashboard, log delivery and tracing for AgentCore resources."""

from .alarm_topic import AlarmTopic
from .construct import RuntimeObservability
from .dashboard import AgentDashboard
from .delivery import DeliveryPolicies, deliver, vended_log_group_name
from .metrics import NAMESPACE, RuntimeMetrics
from .options import ObservabilityOptions

__all__ = [
    "NAMESPACE",
    "AgentDashboard",
    "AlarmTopic",
    "DeliveryPolicies",
    "ObservabilityOptions",
    "RuntimeMetrics",
    "RuntimeObservability",
    "deliver",
    "vended_log_group_name",
]
