"""Metrics, alarms, a dashboard, log delivery and tracing for an AgentCore runtime."""

from .construct import RuntimeObservability
from .metrics import NAMESPACE, RuntimeMetrics
from .options import ObservabilityOptions

__all__ = ["NAMESPACE", "ObservabilityOptions", "RuntimeMetrics", "RuntimeObservability"]
