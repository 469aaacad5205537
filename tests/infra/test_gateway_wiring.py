"""No gateway in config -> the demo gateway; a configured one is used exactly as given."""

from __future__ import annotations

from .conftest import Synthesized, synthesize

EXTERNAL = {
    "endpoint": "https://orders-gw-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp",
    "arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/orders-gw-abc123",
}


def test_demo_gateway_feeds_the_runtime(each_env: Synthesized) -> None:
    stack = each_env.stack
    gateway_id = stack.get_logical_id(stack.demo_gateway.cfn_gateway)
    runtime = each_env.only("AWS::BedrockAgentCore::Runtime")["Properties"]
    assert runtime["EnvironmentVariables"]["GATEWAY_ENDPOINT"] == {
        "Fn::GetAtt": [gateway_id, "GatewayUrl"]
    }
    outputs = each_env.json["Outputs"]
    assert outputs["GatewayUrl"]["Value"] == {"Fn::GetAtt": [gateway_id, "GatewayUrl"]}
    assert outputs["GatewayArn"]["Value"] == {"Fn::GetAtt": [gateway_id, "GatewayArn"]}
    gateway = each_env.only("AWS::BedrockAgentCore::Gateway")["Properties"]
    assert gateway["Name"] == f"{stack.config.stack_name}-tools"


def test_external_gateway_is_used_as_configured(tmp_path) -> None:
    env = synthesize("dev", tmp_path, mutate=lambda config: config.update(gateway=EXTERNAL))
    assert env.resources("AWS::BedrockAgentCore::Gateway") == {}
    functions = env.resources("AWS::Lambda::Function")
    assert all("EcrImageCopy" in logical_id for logical_id in functions), "no tool function"
    runtime = env.only("AWS::BedrockAgentCore::Runtime")["Properties"]
    assert runtime["EnvironmentVariables"]["GATEWAY_ENDPOINT"] == EXTERNAL["endpoint"]
    policy = next(
        p
        for k, p in env.resources("AWS::IAM::Policy").items()
        if k.startswith("AgentRuntimeExecutionPolicy")
    )
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["GatewayInvoke"]["Resource"] == EXTERNAL["arn"]
    assert statements["GatewayInvoke"]["Action"] == "bedrock-agentcore:InvokeGateway"
    assert env.json["Outputs"]["GatewayUrl"]["Value"] == EXTERNAL["endpoint"]
    assert env.json["Outputs"]["GatewayArn"]["Value"] == EXTERNAL["arn"]
