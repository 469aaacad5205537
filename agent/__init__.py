"""The order-support agent container served to Amazon Bedrock AgentCore Runtime.

Importing this package stays cheap: the Strands, MCP and boto3 stacks load only when the first
invocation needs them, so ``/ping`` answers within milliseconds of start-up.
"""
