"""CDK constructs for Strands agents on Amazon Bedrock AgentCore Runtime."""
