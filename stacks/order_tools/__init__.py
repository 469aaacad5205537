"""The demo's order-status tool: a Lambda function (``function/``) behind an AgentGateway target
(``construct.OrderStatusTools``). Nothing is imported here, so the function's code loads
without aws_cdk (the local MCP test double serves it)."""
