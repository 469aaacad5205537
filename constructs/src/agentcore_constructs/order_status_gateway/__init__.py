"""The demo AgentCore Gateway with an order-status Lambda target."""
