"""AgentGateway on its own: inbound auth, each target kind, outbound credentials, the role's
exact permissions, log delivery, validation, cfn-lint and cdk-nag.

Imports only the library, CDK and the checkers, so it can move to the library's tests as is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint

from agentcore_constructs import (
    AgentGateway,
    AgentRuntimeValidationError,
    ApiKeyCredentialProvider,
    ApiKeyLocation,
    GatewayAuthorizer,
    GatewayObservability,
    OAuth2CredentialProvider,
    OAuthGrantType,
    TargetCredentials,
    TargetSpec,
    ToolDefinition,
)

ACCOUNT = "123456789012"
REGION = "us-west-2"
DISCOVERY = "https://idp.example.com/.well-known/openid-configuration"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lookup"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
API_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:weather-key-AbCdEf"
CLIENT_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:crm-client-GhIjKl"
PARTITION: dict[str, Any] = {"Ref": "AWS::Partition"}
NO_LOGS = GatewayObservability(enabled=False)
LOOKUP = ToolDefinition(
    name="lookup",
    description="Look a thing up by id.",
    input_schema={
        "type": "object",
        "properties": {"id": {"type": "string", "description": "The id."}},
        "required": ["id"],
    },
    output_schema={"type": "array", "items": {"type": "string"}},
)
LOOKUP_CFN = {
    "Name": "lookup",
    "Description": "Look a thing up by id.",
    "InputSchema": {
        "Type": "object",
        "Properties": {"id": {"Type": "string", "Description": "The id."}},
        "Required": ["id"],
    },
    "OutputSchema": {"Type": "array", "Items": {"Type": "string"}},
}


def new_stack(outdir: Path | None = None) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(outdir=str(outdir)) if outdir else cdk.App()
    stack = cdk.Stack(app, "GatewayStack", env=cdk.Environment(account=ACCOUNT, region=REGION))
    return app, stack


def function(stack: cdk.Stack, arn: str = FUNCTION_ARN) -> lambda_.IFunction:
    construct_id = f"Fn-{arn.rsplit(':', 1)[-1]}"
    existing = stack.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.Function.from_function_arn(stack, construct_id, arn)


def template_of(stack: cdk.Stack) -> dict[str, Any]:
    return cdk.assertions.Template.from_stack(stack).to_json()


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def props(stack: cdk.Stack, construct: Any) -> dict[str, Any]:
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    return template_of(stack)["Resources"][stack.get_logical_id(resource)]["Properties"]


def statements(stack: cdk.Stack, policy: iam.Policy) -> list[dict[str, Any]]:
    return props(stack, policy)["PolicyDocument"]["Statement"]


def arn(resource: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", PARTITION, f":{resource}"]]}


def api_key_provider(stack: cdk.Stack) -> ApiKeyCredentialProvider:
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "ApiSecret", API_SECRET_ARN)
    return ApiKeyCredentialProvider(
        stack, "WeatherKey", provider_name="weather-key", secret=secret, json_key="apiKey"
    )


def oauth_provider(stack: cdk.Stack, key: kms.IKey | None = None) -> OAuth2CredentialProvider:
    secret = secretsmanager.Secret.from_secret_attributes(
        stack, "ClientSecret", secret_complete_arn=CLIENT_SECRET_ARN, encryption_key=key
    )
    return OAuth2CredentialProvider(
        stack,
        "CrmOAuth",
        provider_name="crm",
        discovery_url=DISCOVERY,
        client_id="gateway-client",
        client_secret=secret,
        json_key="client_secret",
    )


# -- Inbound auth and the gateway itself ------------------------------------------------------


def test_iam_inbound_by_default_with_a_role_only_this_account_s_gateways_assume() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    gw = props(stack, gateway.cfn_gateway)
    assert gw["AuthorizerType"] == "AWS_IAM"
    assert gw["ProtocolType"] == "MCP"
    assert "AuthorizerConfiguration" not in gw and "ExceptionLevel" not in gw
    assert gw["RoleArn"] == {
        "Fn::GetAtt": [stack.get_logical_id(gateway.role.node.default_child), "Arn"]
    }
    (trust,) = props(stack, gateway.role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": arn(f"bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/*")},
    }


def test_jwt_inbound_from_any_oidc_issuer() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(
        stack,
        "Gw",
        gateway_name="tools",
        description="Order tools",
        instructions="Use these for orders.",
        authorizer=GatewayAuthorizer.jwt(
            discovery_url=DISCOVERY, allowed_clients=["app"], allowed_scopes=["tools/invoke"]
        ),
        debug_exceptions=True,
        observability=NO_LOGS,
    )
    gw = props(stack, gateway.cfn_gateway)
    assert gw["AuthorizerType"] == "CUSTOM_JWT"
    assert gw["AuthorizerConfiguration"] == {
        "CustomJWTAuthorizer": {
            "DiscoveryUrl": DISCOVERY,
            "AllowedClients": ["app"],
            "AllowedScopes": ["tools/invoke"],
        }
    }
    assert gw["Description"] == "Order tools"
    assert gw["ProtocolConfiguration"] == {"Mcp": {"Instructions": "Use these for orders."}}
    assert gw["ExceptionLevel"] == "DEBUG"


def test_kms_key_is_used_through_agentcore_only() -> None:
    _, stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", kms_key=key, observability=NO_LOGS)
    assert props(stack, gateway.cfn_gateway)["KmsKeyArn"] == KEY_ARN
    assert statements(stack, gateway.node.find_child("Policy")) == [
        {
            "Action": ["kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": {
                        "Fn::Join": [
                            "",
                            [f"bedrock-agentcore.{REGION}.", {"Ref": "AWS::URLSuffix"}],
                        ]
                    }
                }
            },
            "Effect": "Allow",
            "Resource": KEY_ARN,
        }
    ]


def test_grant_invoke_is_scoped_to_this_gateway() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    gateway.grant_invoke(caller)
    policy = caller.node.find_child("DefaultPolicy")
    assert statements(stack, policy) == [
        {
            "Action": "bedrock-agentcore:InvokeGateway",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [stack.get_logical_id(gateway.cfn_gateway), "GatewayArn"]},
        }
    ]


def test_a_role_brought_along_gets_the_policy_and_no_role_is_created() -> None:
    _, stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Mine", f"arn:aws:iam::{ACCOUNT}:role/gw", mutable=True)
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", role=role, observability=NO_LOGS)
    gateway.add_lambda_target("lookup", function=function(stack), tools=[LOOKUP])
    template = template_of(stack)
    assert of_type(template, "AWS::IAM::Role") == {}
    (policy,) = of_type(template, "AWS::IAM::Policy").values()
    assert policy["Properties"]["Roles"] == ["gw"]
    assert props(stack, gateway.cfn_gateway)["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/gw"


# -- Targets ----------------------------------------------------------------------------------


def test_lambda_target_inline_tools_and_invoke_on_that_function_only() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    other_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other"
    target = gateway.add_lambda_target(
        "lookup", function=function(stack), tools=[LOOKUP], description="Looks things up"
    )
    gateway.add_lambda_target("other", function=function(stack, other_arn), tools=[LOOKUP])
    assert props(stack, target.cfn_target) == {
        "Name": "lookup",
        "Description": "Looks things up",
        "GatewayIdentifier": {
            "Fn::GetAtt": [stack.get_logical_id(gateway.cfn_gateway), "GatewayIdentifier"]
        },
        "CredentialProviderConfigurations": [{"CredentialProviderType": "GATEWAY_IAM_ROLE"}],
        "TargetConfiguration": {
            "Mcp": {
                "Lambda": {
                    "LambdaArn": FUNCTION_ARN,
                    "ToolSchema": {"InlinePayload": [LOOKUP_CFN]},
                }
            }
        },
    }
    assert statements(stack, gateway.node.find_child("Policy")) == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": FUNCTION_ARN},
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": other_arn},
    ]
    assert target.tool_name("lookup") == "lookup___lookup"
    assert gateway.node.try_find_child("IdentityPolicy") is None


def test_lambda_tools_from_a_json_file_in_the_api_shape(tmp_path: Path) -> None:
    schema = tmp_path / "tools.json"
    schema.write_text(
        json.dumps(
            [
                {
                    "name": "lookup",
                    "description": "Look a thing up by id.",
                    "inputSchema": dict(LOOKUP.input_schema),
                    "outputSchema": dict(LOOKUP.output_schema or {}),
                }
            ]
        )
    )
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    target = gateway.add_lambda_target("lookup", function=function(stack), tool_schema_file=schema)
    lambda_config = props(stack, target.cfn_target)["TargetConfiguration"]["Mcp"]["Lambda"]
    assert lambda_config["ToolSchema"] == {"InlinePayload": [LOOKUP_CFN]}


def test_openapi_targets_inline_from_a_file_and_from_s3(tmp_path: Path) -> None:
    spec_file = tmp_path / "api.yaml"
    spec_file.write_text("openapi: 3.0.0\n")
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    credentials = TargetCredentials.api_key(api_key_provider(stack))
    inline = gateway.add_openapi_target(
        "inline", spec=TargetSpec.from_inline('{"openapi": "3.0.0"}'), credentials=credentials
    )
    from_file = gateway.add_openapi_target(
        "file", spec=TargetSpec.from_file(spec_file), credentials=credentials
    )
    bucket = s3.Bucket.from_bucket_name(stack, "Specs", "spec-bucket")
    from_s3 = gateway.add_openapi_target(
        "s3", spec=TargetSpec.from_s3(bucket, "apis/weather.json"), credentials=credentials
    )

    def spec_of(target: Any) -> dict[str, Any]:
        return props(stack, target.cfn_target)["TargetConfiguration"]["Mcp"]

    assert spec_of(inline) == {"OpenApiSchema": {"InlinePayload": '{"openapi": "3.0.0"}'}}
    assert spec_of(from_file) == {"OpenApiSchema": {"InlinePayload": "openapi: 3.0.0\n"}}
    assert spec_of(from_s3) == {
        "OpenApiSchema": {"S3": {"Uri": "s3://spec-bucket/apis/weather.json"}}
    }
    assert statements(stack, gateway.node.find_child("Policy")) == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": arn("s3:::spec-bucket/apis/weather.json"),
        }
    ]


def test_s3_spec_in_a_kms_bucket_is_decrypted_through_s3_only() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    key = kms.Key.from_key_arn(stack, "BucketKey", KEY_ARN)
    bucket = s3.Bucket.from_bucket_attributes(
        stack, "Specs", bucket_name="spec-bucket", encryption_key=key
    )
    target = gateway.add_smithy_target("ddb", spec=TargetSpec.from_s3(bucket, "ddb.json"))
    assert props(stack, target.cfn_target)["TargetConfiguration"] == {
        "Mcp": {"SmithyModel": {"S3": {"Uri": "s3://spec-bucket/ddb.json"}}}
    }
    assert props(stack, target.cfn_target)["CredentialProviderConfigurations"] == [
        {"CredentialProviderType": "GATEWAY_IAM_ROLE"}
    ]
    assert statements(stack, gateway.node.find_child("Policy"))[1] == {
        "Action": "kms:Decrypt",
        "Condition": {
            "StringEquals": {
                "kms:ViaService": {"Fn::Join": ["", [f"s3.{REGION}.", {"Ref": "AWS::URLSuffix"}]]}
            }
        },
        "Effect": "Allow",
        "Resource": KEY_ARN,
    }


def test_mcp_server_targets_with_iam_signing_or_no_credentials() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    signed = gateway.add_mcp_server_target(
        "runtime",
        endpoint="https://bedrock-agentcore.us-west-2.amazonaws.com/runtimes/x/invocations",
        credentials=TargetCredentials.gateway_iam_role(service="bedrock-agentcore"),
    )
    public = gateway.add_mcp_server_target(
        "docs", endpoint="https://docs.example.com/mcp", credentials=None
    )
    assert props(stack, signed.cfn_target)["CredentialProviderConfigurations"] == [
        {
            "CredentialProviderType": "GATEWAY_IAM_ROLE",
            "CredentialProvider": {"IamCredentialProvider": {"Service": "bedrock-agentcore"}},
        }
    ]
    assert props(stack, public.cfn_target)["TargetConfiguration"] == {
        "Mcp": {"McpServer": {"Endpoint": "https://docs.example.com/mcp"}}
    }
    assert "CredentialProviderConfigurations" not in props(stack, public.cfn_target)


# -- Outbound credentials ---------------------------------------------------------------------


def identity(stack: cdk.Stack, gateway: AgentGateway) -> dict[str, Any]:
    gateway_id = {"Fn::GetAtt": [stack.get_logical_id(gateway.cfn_gateway), "GatewayIdentifier"]}
    prefix = f":bedrock-agentcore:{REGION}:{ACCOUNT}:workload-identity-directory/default"
    return {
        "directory": arn(prefix[1:]),
        "identity": {
            "Fn::Join": ["", ["arn:", PARTITION, f"{prefix}/workload-identity/", gateway_id]]
        },
        # aws-cdk-lib's Gateway L2 names it after the gateway: both forms are granted.
        "named": arn(f"{prefix[1:]}/workload-identity/{gateway.gateway_name}-*"),
        "vault": arn(f"bedrock-agentcore:{REGION}:{ACCOUNT}:token-vault/default"),
    }


def test_api_key_provider_reads_your_secret_and_the_gateway_may_fetch_that_key_only() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    provider = api_key_provider(stack)
    target = gateway.add_openapi_target(
        "weather",
        spec=TargetSpec.from_inline("openapi: 3.0.0"),
        credentials=TargetCredentials.api_key(
            provider, location=ApiKeyLocation.QUERY_PARAMETER, parameter_name="key"
        ),
    )
    assert props(stack, provider) == {
        "Name": "weather-key",
        "ApiKeySecretSource": "EXTERNAL",
        "ApiKeySecretConfig": {"SecretId": API_SECRET_ARN, "JsonKey": "apiKey"},
    }
    provider_arn = {
        "Fn::GetAtt": [stack.get_logical_id(provider.cfn_provider), "CredentialProviderArn"]
    }
    assert props(stack, target.cfn_target)["CredentialProviderConfigurations"] == [
        {
            "CredentialProviderType": "API_KEY",
            "CredentialProvider": {
                "ApiKeyCredentialProvider": {
                    "ProviderArn": provider_arn,
                    "CredentialLocation": "QUERY_PARAMETER",
                    "CredentialParameterName": "key",
                }
            },
        }
    ]
    ids = identity(stack, gateway)
    identity_policy = gateway.node.find_child("IdentityPolicy")
    assert statements(stack, identity_policy) == [
        {
            "Action": "bedrock-agentcore:GetWorkloadAccessToken",
            "Effect": "Allow",
            "Resource": [ids["directory"], ids["identity"], ids["named"]],
        },
        {
            "Action": "bedrock-agentcore:GetResourceApiKey",
            "Effect": "Allow",
            "Resource": [
                ids["vault"],
                provider_arn,
                ids["directory"],
                ids["identity"],
                ids["named"],
            ],
        },
        {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": API_SECRET_ARN},
    ]
    depends_on = template_of(stack)["Resources"][stack.get_logical_id(target.cfn_target)][
        "DependsOn"
    ]
    assert depends_on == [stack.get_logical_id(identity_policy.node.default_child)]


def test_oauth2_client_credentials_provider_and_its_grants() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    key = kms.Key.from_key_arn(stack, "SecretKey", KEY_ARN)
    provider = oauth_provider(stack, key)
    target = gateway.add_mcp_server_target(
        "crm",
        endpoint="https://crm.example.com/mcp",
        credentials=TargetCredentials.oauth2(provider, scopes=["crm/read"]),
    )
    assert props(stack, provider) == {
        "Name": "crm",
        "CredentialProviderVendor": "CustomOauth2",
        "Oauth2ProviderConfigInput": {
            "CustomOauth2ProviderConfig": {
                "OauthDiscovery": {"DiscoveryUrl": DISCOVERY},
                "ClientId": "gateway-client",
                "ClientSecretSource": "EXTERNAL",
                "ClientSecretConfig": {"SecretId": CLIENT_SECRET_ARN, "JsonKey": "client_secret"},
            }
        },
    }
    provider_arn = {
        "Fn::GetAtt": [stack.get_logical_id(provider.cfn_provider), "CredentialProviderArn"]
    }
    assert props(stack, target.cfn_target)["CredentialProviderConfigurations"] == [
        {
            "CredentialProviderType": "OAUTH",
            "CredentialProvider": {
                "OauthCredentialProvider": {
                    "ProviderArn": provider_arn,
                    "Scopes": ["crm/read"],
                    "GrantType": "CLIENT_CREDENTIALS",
                }
            },
        }
    ]
    ids = identity(stack, gateway)
    assert statements(stack, gateway.node.find_child("IdentityPolicy")) == [
        {
            "Action": "bedrock-agentcore:GetWorkloadAccessToken",
            "Effect": "Allow",
            "Resource": [ids["directory"], ids["identity"], ids["named"]],
        },
        {
            "Action": "bedrock-agentcore:GetResourceOauth2Token",
            "Effect": "Allow",
            "Resource": [
                ids["vault"],
                provider_arn,
                ids["directory"],
                ids["identity"],
                ids["named"],
            ],
        },
        {
            "Action": "secretsmanager:GetSecretValue",
            "Effect": "Allow",
            "Resource": CLIENT_SECRET_ARN,
        },
        {
            "Action": "kms:Decrypt",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": {
                        "Fn::Join": ["", [f"secretsmanager.{REGION}.", {"Ref": "AWS::URLSuffix"}]]
                    }
                }
            },
            "Effect": "Allow",
            "Resource": KEY_ARN,
        },
    ]


def test_authorization_code_needs_its_return_url_and_only_it_takes_one() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    provider = oauth_provider(stack)
    cases = {
        "a": (OAuthGrantType.AUTHORIZATION_CODE, None, "AUTHORIZATION_CODE needs the URL"),
        "b": (
            OAuthGrantType.CLIENT_CREDENTIALS,
            "https://x.example.com/",
            "only the AUTHORIZATION_CODE",
        ),
        "c": (OAuthGrantType.AUTHORIZATION_CODE, "not a url", "must be a URL"),
    }
    for name, (grant, url, expected) in cases.items():
        with pytest.raises(AgentRuntimeValidationError) as raised:
            gateway.add_mcp_server_target(
                name,
                endpoint="https://crm.example.com/mcp",
                credentials=TargetCredentials.oauth2(
                    provider, scopes=["crm/read"], grant_type=grant, default_return_url=url
                ),
            )
        assert "default_return_url" in str(raised.value) and expected in str(raised.value)


def test_oauth2_on_behalf_of_the_user_adds_the_user_token_actions() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    gateway.add_mcp_server_target(
        "crm",
        endpoint="https://crm.example.com/mcp",
        credentials=TargetCredentials.oauth2(
            oauth_provider(stack),
            scopes=["crm/read"],
            grant_type=OAuthGrantType.AUTHORIZATION_CODE,
            default_return_url="https://app.example.com/oauth/done",
        ),
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::BedrockAgentCore::GatewayTarget",
        {
            "CredentialProviderConfigurations": [
                Match.object_like(
                    {
                        "CredentialProvider": {
                            "OauthCredentialProvider": Match.object_like(
                                {
                                    "GrantType": "AUTHORIZATION_CODE",
                                    "DefaultReturnUrl": "https://app.example.com/oauth/done",
                                }
                            )
                        }
                    }
                )
            ]
        },
    )
    token, retrieve, _ = statements(stack, gateway.node.find_child("IdentityPolicy"))
    assert token["Action"] == [
        "bedrock-agentcore:GetWorkloadAccessToken",
        "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
        "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
    ]
    assert retrieve["Action"] == [
        "bedrock-agentcore:GetResourceOauth2Token",
        "bedrock-agentcore:CompleteResourceTokenAuth",
    ]


def test_secret_values_never_reach_the_template() -> None:
    _, stack = new_stack()
    api_key_provider(stack)
    oauth_provider(stack)
    text = json.dumps(template_of(stack))
    for plaintext_prop in ('"ApiKey"', '"ClientSecret"'):
        assert plaintext_prop not in text


# -- Log delivery -----------------------------------------------------------------------------


def test_logs_and_traces_are_delivered_like_a_runtime_s() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(
        stack,
        "Gw",
        gateway_name="tools",
        observability=GatewayObservability(
            log_retention=cdk.aws_logs.RetentionDays.ONE_WEEK,
            log_removal_policy=cdk.RemovalPolicy.RETAIN,
        ),
    )
    template = template_of(stack)
    (group,) = of_type(template, "AWS::Logs::LogGroup").values()
    assert group["Properties"] == {
        "LogGroupName": "/aws/vendedlogs/bedrock-agentcore/GatewayStack/gateways/tools",
        "RetentionInDays": 7,
    }
    assert group["DeletionPolicy"] == "Retain"
    gateway_arn = {"Fn::GetAtt": [stack.get_logical_id(gateway.cfn_gateway), "GatewayArn"]}
    sources = {
        s["Properties"]["LogType"]: s["Properties"]
        for s in of_type(template, "AWS::Logs::DeliverySource").values()
    }
    assert sources == {
        "APPLICATION_LOGS": {
            "Name": "tools-gw-app",
            "LogType": "APPLICATION_LOGS",
            "ResourceArn": gateway_arn,
        },
        "TRACES": {"Name": "tools-gw-traces", "LogType": "TRACES", "ResourceArn": gateway_arn},
    }
    assert gateway.delivery is not None and len(gateway.delivery.deliveries) == 2
    assert len(of_type(template, "AWS::Logs::ResourcePolicy")) == 1
    assert len(of_type(template, "AWS::XRay::ResourcePolicy")) == 1


def test_tracing_off_and_observability_off() -> None:
    _, stack = new_stack()
    AgentGateway(
        stack, "Gw", gateway_name="tools", observability=GatewayObservability(tracing=False)
    )
    template = template_of(stack)
    log_types = [
        s["Properties"]["LogType"] for s in of_type(template, "AWS::Logs::DeliverySource").values()
    ]
    assert log_types == ["APPLICATION_LOGS"]
    assert of_type(template, "AWS::Logs::DeliveryDestination").keys() == {
        k for k in template["Resources"] if k.startswith("GwObservabilityLogsDestination")
    }, "no X-Ray destination without tracing"
    _, quiet = new_stack()
    AgentGateway(quiet, "Gw", gateway_name="tools", observability=NO_LOGS)
    quiet_template = template_of(quiet)
    for resource_type in (
        "AWS::Logs::LogGroup",
        "AWS::Logs::DeliverySource",
        "AWS::Logs::ResourcePolicy",
    ):
        assert of_type(quiet_template, resource_type) == {}


# -- Validation -------------------------------------------------------------------------------


def problems_of(error: pytest.ExceptionInfo[AgentRuntimeValidationError]) -> list[str]:
    header, *lines = str(error.value).splitlines()
    assert header.endswith(":")
    assert all(line.startswith("  - ") for line in lines)
    return [line[4:] for line in lines]


def test_every_bad_gateway_prop_is_reported_at_once_one_line_each() -> None:
    _, stack = new_stack()
    with pytest.raises(AgentRuntimeValidationError) as error:
        AgentGateway(
            stack,
            "Gw",
            gateway_name="order_tools",
            description="",
            authorizer=GatewayAuthorizer.jwt(
                discovery_url="https://idp.example.com/oidc", allowed_clients=["app"]
            ),
        )
    assert problems_of(error) == [
        "gateway_name='order_tools': must be 1 to 48 letters and digits, single hyphens between "
        "them (no underscores)",
        "description='': must be 1 to 200 characters",
        "authorizer.discovery_url='https://idp.example.com/oidc': must be an https URL ending "
        "with /.well-known/openid-configuration",
    ]


def test_a_jwt_authorizer_must_restrict_who_gets_in() -> None:
    _, stack = new_stack()
    with pytest.raises(
        AgentRuntimeValidationError,
        match=r"give allowed_clients, allowed_audiences or allowed_scopes",
    ):
        AgentGateway(
            stack,
            "Gw",
            gateway_name="tools",
            authorizer=GatewayAuthorizer.jwt(discovery_url=DISCOVERY),
        )


def test_target_problems_name_the_prop_and_the_fix() -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    gateway.add_mcp_server_target("docs", endpoint="https://docs.example.com/mcp", credentials=None)
    with pytest.raises(AgentRuntimeValidationError) as error:
        gateway.add_mcp_server_target(
            "docs", endpoint="http://docs.example.com/mcp", credentials=None
        )
    assert problems_of(error) == [
        "target_name='docs': is already a target of this gateway",
        "endpoint='http://docs.example.com/mcp': must be an https:// URL of the MCP server",
    ]
    with pytest.raises(AgentRuntimeValidationError) as error:
        gateway.add_lambda_target("bad_name", function=function(stack), tools=[LOOKUP])
    assert problems_of(error) == [
        "target_name='bad_name': must be 1 to 100 letters and digits, single hyphens between them"
    ]
    assert list(gateway.targets) == ["docs"], "a rejected target adds nothing"


@pytest.mark.parametrize(
    ("add", "expected"),
    [
        (
            lambda gw, stack: gw.add_mcp_server_target(
                "crm",
                endpoint="https://crm.example.com/mcp",
                credentials=TargetCredentials.api_key(api_key_provider(stack)),
            ),
            "credentials='TargetCredentials.api_key(...)': an MCP server target accepts "
            "oauth2(...), gateway_iam_role(service=...) or None",
        ),
        (
            lambda gw, stack: gw.add_smithy_target(
                "ddb",
                spec=TargetSpec.from_inline("{}"),
                credentials=TargetCredentials.oauth2(oauth_provider(stack), scopes=[]),
            ),
            "credentials='TargetCredentials.oauth2(...)': a Smithy target accepts "
            "gateway_iam_role()",
        ),
        (
            lambda gw, stack: gw.add_openapi_target(
                "api",
                spec=TargetSpec.from_inline("{}"),
                credentials=TargetCredentials.gateway_iam_role(),
            ),
            "credentials='TargetCredentials.gateway_iam_role()': an OpenAPI target accepts "
            "api_key(...), oauth2(...) or gateway_iam_role(service=...)",
        ),
        (
            lambda gw, stack: gw.add_mcp_server_target(
                "public",
                endpoint="https://x.example.com/mcp",
                credentials=TargetCredentials.gateway_iam_role(),
            ),
            "credentials='TargetCredentials.gateway_iam_role()': an MCP server target accepts "
            "oauth2(...), gateway_iam_role(service=...) or None",
        ),
    ],
)
def test_impossible_credentials_for_the_target_type_are_rejected(add, expected: str) -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    with pytest.raises(AgentRuntimeValidationError) as error:
        add(gateway, stack)
    assert problems_of(error) == [expected]


def test_tool_schemas_outside_what_the_gateway_accepts_are_reported(tmp_path: Path) -> None:
    _, stack = new_stack()
    gateway = AgentGateway(stack, "Gw", gateway_name="tools", observability=NO_LOGS)
    loose = ToolDefinition(
        name="lookup",
        description="",
        input_schema={"type": "object", "properties": {"id": {"type": "uuid", "format": "uuid"}}},
    )
    with pytest.raises(AgentRuntimeValidationError) as error:
        gateway.add_lambda_target("lookup", function=function(stack), tools=[loose])
    assert problems_of(error) == [
        "tools[0].description='': say what the tool does: the model chooses tools by their "
        "descriptions",
        "tools[0].input_schema.properties['id']=['format']: the gateway supports only type, "
        "description, properties, required, items: remove these",
        "tools[0].input_schema.properties['id'].type='uuid': must be one of string, number, "
        "object, array, boolean, integer",
    ]
    with pytest.raises(
        AgentRuntimeValidationError, match=r"tool_schema_file='.*missing.json': cannot be read"
    ):
        gateway.add_lambda_target(
            "lookup", function=function(stack), tool_schema_file=tmp_path / "missing.json"
        )
    with pytest.raises(AgentRuntimeValidationError, match=r"exactly one of the two"):
        gateway.add_lambda_target("lookup", function=function(stack))


def test_provider_props_are_validated() -> None:
    _, stack = new_stack()
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "S", API_SECRET_ARN)
    with pytest.raises(AgentRuntimeValidationError) as error:
        OAuth2CredentialProvider(
            stack,
            "Bad",
            provider_name="crm provider",
            discovery_url="http://idp.example.com/.well-known/openid-configuration",
            client_id="c",
            client_secret=secret,
            json_key="",
        )
    assert problems_of(error) == [
        "provider_name='crm provider': must be 1 to 128 letters, digits, hyphens or underscores",
        "discovery_url='http://idp.example.com/.well-known/openid-configuration': must be an "
        "https URL ending with /.well-known/openid-configuration",
        "json_key='': must be the key (1 to 128 characters) in the secret",
    ]


# -- Every feature at once: cfn-lint and cdk-nag ----------------------------------------------


def build_everything(outdir: Path) -> tuple[cdk.App, cdk.Stack, AgentGateway]:
    app, stack = new_stack(outdir)
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    gateway = AgentGateway(
        stack,
        "Gw",
        gateway_name="All-Tools",
        description="Every kind of target",
        instructions="Tools of every kind.",
        authorizer=GatewayAuthorizer.jwt(discovery_url=DISCOVERY, allowed_audiences=["tools"]),
        kms_key=key,
        debug_exceptions=True,
    )
    gateway.add_lambda_target("lookup", function=function(stack), tools=[LOOKUP])
    bucket = s3.Bucket.from_bucket_attributes(
        stack, "Specs", bucket_name="spec-bucket", encryption_key=key
    )
    gateway.add_openapi_target(
        "weather",
        spec=TargetSpec.from_s3(bucket, "weather.json"),
        credentials=TargetCredentials.api_key(api_key_provider(stack), prefix="Bearer"),
    )
    gateway.add_smithy_target("ddb", spec=TargetSpec.from_inline('{"smithy": "2.0"}'))
    gateway.add_mcp_server_target(
        "crm",
        endpoint="https://crm.example.com/mcp",
        credentials=TargetCredentials.oauth2(
            oauth_provider(stack, key),
            scopes=["crm/read"],
            grant_type=OAuthGrantType.AUTHORIZATION_CODE,
            default_return_url="myapp://oauth/done",
        ),
    )
    gateway.add_mcp_server_target("docs", endpoint="https://docs.example.com/mcp", credentials=None)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    gateway.grant_invoke(caller)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack, gateway


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("everything")
    app, _, _ = build_everything(outdir)
    app.synth()
    return outdir


def test_every_feature_is_cfn_lint_clean(everything: Path) -> None:
    template = json.loads((everything / "GatewayStack.template.json").read_text())
    assert len(of_type(template, "AWS::BedrockAgentCore::GatewayTarget")) == 5
    matches = lint(json.dumps(template), regions=[REGION])
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_every_feature_leaves_no_cdk_nag_finding(everything: Path) -> None:
    """No violation; one wildcard acknowledged: the gateway's own workload identity by name."""
    report = json.loads((everything / "validation-report.json").read_text())
    (nag,) = report["pluginReports"]
    assert nag["violations"] == []
    assert [v["ruleName"] for v in nag["suppressedViolations"]] == [
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock-agentcore:us-west-2:"
        "123456789012:workload-identity-directory/default/workload-identity/All-Tools-*]"
    ]


def test_the_same_nag_harness_flags_a_wildcard_on_the_gateway_role(tmp_path: Path) -> None:
    """Control for the clean result above: the checks run on this very stack."""
    app, _, gateway = build_everything(tmp_path)
    gateway.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    with pytest.raises(RuntimeError, match=r"AwsSolutions-IAM5\[Resource::\*\]"):
        app.synth()
