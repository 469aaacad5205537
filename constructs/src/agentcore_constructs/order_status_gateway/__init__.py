"""The demo AgentCore Gateway with an order-status Lambda target."""

from .construct import OrderStatusGateway

__all__ = ["OrderStatusGateway"]
