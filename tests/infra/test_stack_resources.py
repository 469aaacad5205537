"""What each environment deploys, asserted resource by resource."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from .conftest import ACCOUNT, Synthesized

RUNTIME = "AWS::BedrockAgentCore::Runtime"


def statements_by_sid(env: Synthesized) -> dict[str, dict]:
    policy = next(
        p
        for logical_id, p in env.resources("AWS::IAM::Policy").items()
        if logical_id.startswith("AgentRuntimeExecutionPolicy")
    )
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def rendered(value) -> str:
    """Flatten Fn::Join pieces to compare ARNs built with intrinsics."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(rendered(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def test_ecr_repository_scans_pins_tags_and_expires_old_images(each_env: Synthesized) -> None:
    repo = each_env.only("AWS::ECR::Repository")
    props = repo["Properties"]
    assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert props["ImageTagMutability"] == "IMMUTABLE"
    rules = json.loads(props["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    keep = each_env.stack.config.ecr.keep_last_images
    assert rules[0]["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": keep,
    }


def test_removal_policies_follow_config(dev: Synthesized, prod: Synthesized) -> None:
    assert dev.only("AWS::ECR::Repository")["DeletionPolicy"] == "Delete"
    assert dev.only("AWS::ECR::Repository")["Properties"]["EmptyOnDelete"] is True
    assert prod.only("AWS::ECR::Repository")["DeletionPolicy"] == "Retain"
    assert prod.only("AWS::Cognito::UserPool")["DeletionPolicy"] == "Retain"
    assert prod.only("AWS::Cognito::UserPool")["Properties"]["DeletionProtection"] == "ACTIVE"


def test_runtime_runs_the_copied_image_under_its_asset_hash(each_env: Synthesized) -> None:
    runtime = each_env.only(RUNTIME)
    uri = rendered(
        runtime["Properties"]["AgentRuntimeArtifact"]["ContainerConfiguration"]["ContainerUri"]
    )
    manifest = json.loads(
        (each_env.outdir / f"{each_env.stack.stack_name}.assets.json").read_text()
    )
    (asset_hash,) = manifest["dockerImages"]
    repository_id = each_env.stack.get_logical_id(each_env.stack.repository.node.default_child)
    repo_ref = f'{{"Ref": "{repository_id}"}}'
    assert uri.endswith(f"/{repo_ref}:{asset_hash}"), "the environment's repository, hash tag"
    copy = each_env.only("Custom::EcrImageCopy")["Properties"]
    assert copy["DestinationRepository"] == {"Ref": repository_id}
    assert copy["DestinationTag"] == copy["SourceTag"] == asset_hash
    assert (
        rendered(copy["SourceRepository"]) == f"cdk-hnb659fds-container-assets-{ACCOUNT}-us-east-1"
    )
    assert any("ImageCopy" in dependency for dependency in runtime["DependsOn"])


def test_image_asset_is_built_for_arm64(each_env: Synthesized) -> None:
    manifest = json.loads(
        (each_env.outdir / f"{each_env.stack.stack_name}.assets.json").read_text()
    )
    (image,) = manifest["dockerImages"].values()
    assert image["source"]["platform"] == "linux/arm64"


def test_nothing_uses_latest(each_env: Synthesized) -> None:
    assert ":latest" not in json.dumps(each_env.json)


def test_trust_policy_is_the_agentcore_service_in_this_account_only(each_env: Synthesized) -> None:
    roles = {
        logical_id: role
        for logical_id, role in each_env.template.find_resources(
            "AWS::IAM::Role",
            {
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            Match.object_like(
                                {"Principal": {"Service": "bedrock-agentcore.amazonaws.com"}}
                            )
                        ]
                    }
                }
            },
        ).items()
        if logical_id.startswith("AgentRuntimeExecutionRole")
    }
    assert len(roles) == 1
    (statement,) = next(iter(roles.values()))["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:*"
    )


def test_each_execution_statement_is_scoped(each_env: Synthesized) -> None:
    sids = statements_by_sid(each_env)
    stack = each_env.stack
    name = stack.config.runtime.name
    gateway_id = stack.get_logical_id(stack.demo_gateway.cfn_gateway)
    repository_id = stack.get_logical_id(stack.repository.node.default_child)
    logs = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group"
    expected = {
        "EcrImagePull": (
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [f'{{"Fn::GetAtt": ["{repository_id}", "Arn"]}}'],
        ),
        "EcrAuthorizationToken": (["ecr:GetAuthorizationToken"], ["*"]),
        "RuntimeLogs": (
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            [
                f"arn:aws{logs[7:]}:/aws/bedrock-agentcore/runtimes/*",
                f"arn:aws{logs[7:]}:/aws/bedrock-agentcore/runtimes/*:log-stream:*",
            ],
        ),
        "DescribeLogGroups": (["logs:DescribeLogGroups"], ["*"]),
        "XRayTraces": (
            [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            ["*"],
        ),
        "RuntimeMetrics": (["cloudwatch:PutMetricData"], ["*"]),
        "WorkloadIdentityTokens": (
            [
                "bedrock-agentcore:GetWorkloadAccessToken",
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            ],
            [
                f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:workload-identity-directory/default",
                f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:workload-identity-directory/"
                f"default/workload-identity/{name}-*",
            ],
        ),
        "GatewayInvoke": (
            ["bedrock-agentcore:InvokeGateway"],
            [f'{{"Fn::GetAtt": ["{gateway_id}", "GatewayArn"]}}'],
        ),
        "BedrockModelInvoke": (
            ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            [
                f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/"
                "us.anthropic.claude-sonnet-4-6",
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6",
            ],
        ),
        "MemoryEvents": (
            [
                "bedrock-agentcore:CreateEvent",
                "bedrock-agentcore:GetEvent",
                "bedrock-agentcore:ListEvents",
                *(
                    [
                        "bedrock-agentcore:GetMemoryRecord",
                        "bedrock-agentcore:ListMemoryRecords",
                        "bedrock-agentcore:RetrieveMemoryRecords",
                    ]
                    if stack.config.memory.strategies
                    else []
                ),
            ],
            [f'{{"Fn::GetAtt": ["{stack.get_logical_id(stack.memory.cfn_memory)}", "MemoryArn"]}}'],
        ),
    }
    assert set(sids) == set(expected), "no statement beyond the expected ones"
    for sid, (actions, resources) in expected.items():
        assert sorted(as_list(sids[sid]["Action"])) == sorted(actions), sid
        assert sorted(rendered(r) for r in as_list(sids[sid]["Resource"])) == sorted(resources), sid
    assert sids["RuntimeMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}
    }


def test_runtime_waits_for_its_policy(each_env: Synthesized) -> None:
    runtime = each_env.only(RUNTIME)
    policies = [
        logical_id
        for logical_id in each_env.resources("AWS::IAM::Policy")
        if logical_id.startswith("AgentRuntimeExecutionPolicy")
    ]
    assert policies and set(policies) <= set(runtime["DependsOn"])


def test_lifecycle_protocol_and_network_per_env(dev: Synthesized, prod: Synthesized) -> None:
    for env, idle, lifetime in ((dev, 600, 3600), (prod, 1800, 28800)):
        props = env.only(RUNTIME)["Properties"]
        assert props["LifecycleConfiguration"] == {
            "IdleRuntimeSessionTimeout": idle,
            "MaxLifetime": lifetime,
        }
        assert props["ProtocolConfiguration"] == "HTTP"
        assert props["AgentRuntimeName"] == env.stack.config.runtime.name
    assert dev.only(RUNTIME)["Properties"]["NetworkConfiguration"] == {"NetworkMode": "PUBLIC"}
    assert prod.only(RUNTIME)["Properties"]["NetworkConfiguration"]["NetworkMode"] == "VPC"


def test_runtime_environment_variables(each_env: Synthesized) -> None:
    variables = each_env.only(RUNTIME)["Properties"]["EnvironmentVariables"]
    assert variables["MODEL_ID"] == "us.anthropic.claude-sonnet-4-6"
    assert variables["AGENT_REGION"] == "us-east-1"
    assert not [name for name in variables if name.startswith("AWS_")], "AWS_* is the platform's"
    assert (
        variables["LOG_LEVEL"] == each_env.stack.config.runtime.environment_variables["LOG_LEVEL"]
    )


def test_prod_runtime_accepts_only_signed_in_users_of_the_agent_group(prod: Synthesized) -> None:
    authorizer = prod.only(RUNTIME)["Properties"]["AuthorizerConfiguration"]["CustomJWTAuthorizer"]
    (client_id,) = prod.resources("AWS::Cognito::UserPoolClient")
    (pool_id,) = prod.resources("AWS::Cognito::UserPool")
    assert authorizer["AllowedClients"] == [{"Ref": client_id}]
    assert "AllowedScopes" not in authorizer, "user tokens carry openid, not a resource scope"
    assert authorizer["CustomClaims"] == [
        {
            "InboundTokenClaimName": "cognito:groups",
            "InboundTokenClaimValueType": "STRING_ARRAY",
            "AuthorizingClaimMatchValue": {
                "ClaimMatchOperator": "CONTAINS_ANY",
                "ClaimMatchValue": {"MatchValueStringList": ["agent-users"]},
            },
        }
    ]
    assert "AllowedAudience" not in authorizer, "Cognito access tokens carry no aud claim"
    assert rendered(authorizer["DiscoveryUrl"]) == (
        'https://cognito-idp.us-east-1.{"Ref": "AWS::URLSuffix"}/{"Ref": "'
        + pool_id
        + '"}/.well-known/openid-configuration'
    )


def test_prod_agent_checks_the_same_issuer_and_clients(prod: Synthesized) -> None:
    """The agent re-checks what the authorizer checked before it trusts `sub` as the actor."""
    variables = prod.only(RUNTIME)["Properties"]["EnvironmentVariables"]
    (client_id,) = prod.resources("AWS::Cognito::UserPoolClient")
    (pool_id,) = prod.resources("AWS::Cognito::UserPool")
    assert variables["AGENT_AUTH_MODE"] == "jwt"
    assert rendered(variables["AGENT_JWT_ISSUER"]) == (
        'https://cognito-idp.us-east-1.{"Ref": "AWS::URLSuffix"}/{"Ref": "' + pool_id + '"}'
    )
    assert variables["AGENT_JWT_CLIENT_IDS"] == {"Ref": client_id}


def test_dev_agent_takes_the_user_from_the_for_user_header(dev: Synthesized) -> None:
    variables = dev.only(RUNTIME)["Properties"]["EnvironmentVariables"]
    assert variables["AGENT_AUTH_MODE"] == "iam"
    assert "AGENT_JWT_ISSUER" not in variables


def test_dev_runtime_uses_iam_auth_and_no_cognito(dev: Synthesized) -> None:
    assert "AuthorizerConfiguration" not in dev.only(RUNTIME)["Properties"]
    assert dev.resources("AWS::Cognito::UserPool") == {}


def test_cognito_users_sign_in_through_a_public_pkce_client(prod: Synthesized) -> None:
    pool = prod.only("AWS::Cognito::UserPool")["Properties"]
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert prod.resources("AWS::Cognito::UserPoolResourceServer") == {}, "no machine client"
    client = prod.only("AWS::Cognito::UserPoolClient")["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthScopes"] == ["openid"]
    assert client["CallbackURLs"] == ["http://localhost:8400/callback"]
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    group = prod.only("AWS::Cognito::UserPoolGroup")["Properties"]
    assert group["GroupName"] == "agent-users"


def test_the_user_pool_updates_in_place_from_earlier_releases(prod: Synthesized) -> None:
    """Sign-in options, case sensitivity and required attributes are fixed at creation
    (Cognito "Settings you can't change"): changing them replaces the pool, its users and
    the issuer every token names, and the domain cannot move to the new pool."""
    pool = prod.only("AWS::Cognito::UserPool")["Properties"]
    for fixed in ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration", "Schema"):
        assert fixed not in pool, fixed


def test_cognito_domain_prefix_is_unique_per_account(prod: Synthesized) -> None:
    domain = prod.only("AWS::Cognito::UserPoolDomain")["Properties"]["Domain"]
    assert domain == f"agentcore-orders-prod-{ACCOUNT}"


def test_tags_from_config(each_env: Synthesized) -> None:
    tags = each_env.only(RUNTIME)["Properties"]["Tags"]
    assert tags == {
        "Project": "agentcore-orders",
        "Environment": each_env.stack.config.name,
        **each_env.stack.config.tags,
    }
    repo_tags = {
        t["Key"]: t["Value"] for t in each_env.only("AWS::ECR::Repository")["Properties"]["Tags"]
    }
    assert repo_tags == tags


def test_outputs(dev: Synthesized, prod: Synthesized) -> None:
    common = {
        "RuntimeArn",
        "RuntimeId",
        "RuntimeVersion",
        "Qualifier",
        "InvokeUrl",
        "AuthMode",
        "Artifact",
        "Protocol",
        "MemoryId",
        "EcrRepositoryUri",
        "GatewayUrl",
        "GatewayArn",
        "AlarmTopicArn",
        "ApplicationLogGroup",
    }
    cognito = {"CognitoDomainUrl", "CognitoCliClientId", "CognitoUserPoolId", "CognitoUserGroup"}
    endpoint = {"EndpointArn", "EndpointLiveVersion"}
    assert set(dev.json["Outputs"]) == common
    assert set(prod.json["Outputs"]) == common | cognito | endpoint
    # dev's callers use DEFAULT; prod's go through its `live` endpoint.
    assert dev.json["Outputs"]["Qualifier"]["Value"] == "DEFAULT"
    assert prod.json["Outputs"]["Qualifier"]["Value"] == "live"
    assert rendered(dev.json["Outputs"]["InvokeUrl"]["Value"]).endswith("?qualifier=DEFAULT")
    assert dev.json["Outputs"]["AuthMode"]["Value"] == "iam"
    assert prod.json["Outputs"]["AuthMode"]["Value"] == "jwt"
    assert prod.json["Outputs"]["CognitoUserGroup"]["Value"] == "agent-users"
    url = rendered(prod.json["Outputs"]["InvokeUrl"]["Value"])
    assert url.startswith("https://bedrock-agentcore.us-east-1.")
    assert f"/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A{ACCOUNT}%3Aruntime%2F" in url
    assert url.endswith("/invocations?qualifier=live")
    domain_url = rendered(prod.json["Outputs"]["CognitoDomainUrl"]["Value"])
    assert domain_url.endswith(".auth.us-east-1.amazoncognito.com")
    assert "Secret" not in json.dumps(prod.json["Outputs"])


def test_container_is_told_the_protocol_the_runtime_speaks(
    each_env: Synthesized, dev_a2a: Synthesized
) -> None:
    for env, protocol in ((each_env, "HTTP"), (dev_a2a, "A2A")):
        runtime = env.only("AWS::BedrockAgentCore::Runtime")["Properties"]
        assert runtime["ProtocolConfiguration"] == protocol
        assert runtime["EnvironmentVariables"]["AGENT_PROTOCOL"] == protocol
        assert env.json["Outputs"]["Protocol"]["Value"] == protocol


def test_memory_per_environment(dev: Synthesized, prod: Synthesized) -> None:
    for env, days, kinds in (
        (dev, 30, []),
        (prod, 90, ["SummaryMemoryStrategy", "UserPreferenceMemoryStrategy"]),
    ):
        memory = env.only("AWS::BedrockAgentCore::Memory")["Properties"]
        assert memory["EventExpiryDuration"] == days
        assert memory["Name"] == f"{env.stack.config.runtime.name}_memory"
        strategies = memory.get("MemoryStrategies", [])
        assert [next(iter(s)) for s in strategies] == kinds
        for strategy in strategies:
            (template,) = next(iter(strategy.values()))["NamespaceTemplates"]
            assert "{actorId}" in template, "records are per user"
        runtime = env.only(RUNTIME)["Properties"]
        memory_id = env.stack.get_logical_id(env.stack.memory.cfn_memory)
        assert runtime["EnvironmentVariables"]["MEMORY_ID"] == {
            "Fn::GetAtt": [memory_id, "MemoryId"]
        }
        assert env.json["Outputs"]["MemoryId"]["Value"] == {"Fn::GetAtt": [memory_id, "MemoryId"]}
    assert "MEMORY_NAMESPACES" not in dev.only(RUNTIME)["Properties"]["EnvironmentVariables"]
    prod_runtime = prod.only(RUNTIME)["Properties"]
    assert prod_runtime["EnvironmentVariables"]["MEMORY_NAMESPACES"] == (
        "/summaries/{actorId}/{sessionId},/preferences/{actorId}"
    )
    assert prod_runtime["RequestHeaderConfiguration"] == {
        "RequestHeaderAllowlist": ["Authorization"]
    }
