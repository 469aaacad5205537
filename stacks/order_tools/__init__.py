"""The demo's order-status tool: a Lambda function behind an AgentGateway target."""

from .construct import OrderStatusTools

__all__ = ["OrderStatusTools"]
