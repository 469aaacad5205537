"""Outbound credentials in AgentCore Identity's token vault, read from your own secret.

Both providers use the EXTERNAL secret source: the vault reads the key (or client secret)
from a Secrets Manager secret you manage, so it never appears in the template, and you keep
its rotation, encryption and resource policy. The gateway reads that secret in its own name
when it fetches the credential, which is why a target using a provider grants the gateway's
role ``GetSecretValue`` on it (see ``TargetCredentials``).
"""

from __future__ import annotations

import re

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ..authorizer import DISCOVERY_SUFFIX
from ..stack_env import StackAwareConstruct
from ..validation import ProblemList, check_pattern, is_token

PROVIDER_NAME_PATTERN = r"[a-zA-Z0-9\-_]{1,128}"
PROVIDER_NAME_EXPECTED = "must be 1 to 128 letters, digits, hyphens or underscores"
EXTERNAL = "EXTERNAL"


def _check_json_key(problems: ProblemList, json_key: str) -> None:
    if not is_token(json_key) and not 1 <= len(json_key) <= 128:
        problems.add("json_key", json_key, "must be the key (1 to 128 characters) in the secret")


class ApiKeyCredentialProvider(StackAwareConstruct):
    """An API key the gateway sends to a target, taken from ``json_key`` of ``secret``."""

    #: What the gateway's role calls to fetch the key.
    retrieve_action = "bedrock-agentcore:GetResourceApiKey"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider_name: str,
        secret: secretsmanager.ISecret,
        json_key: str,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = ProblemList(self)
        check_pattern(
            problems, "provider_name", provider_name, PROVIDER_NAME_PATTERN, PROVIDER_NAME_EXPECTED
        )
        _check_json_key(problems, json_key)
        problems.raise_if_any()
        self.secret = secret
        self.cfn_provider = agentcore.CfnApiKeyCredentialProvider(
            self,
            "Resource",
            name=provider_name,
            api_key_secret_source=EXTERNAL,
            api_key_secret_config=agentcore.CfnApiKeyCredentialProvider.SecretReferenceProperty(
                secret_id=secret.secret_arn, json_key=json_key
            ),
        )
        self.credential_provider_arn: str = self.cfn_provider.attr_credential_provider_arn


class OAuth2CredentialProvider(StackAwareConstruct):
    """An OAuth2 client of any OIDC authorization server (``CustomOauth2``); its client secret
    is ``json_key`` of ``client_secret``."""

    #: What the gateway's role calls to fetch an access token.
    retrieve_action = "bedrock-agentcore:GetResourceOauth2Token"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider_name: str,
        discovery_url: str,
        client_id: str,
        client_secret: secretsmanager.ISecret,
        json_key: str,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = ProblemList(self)
        check_pattern(
            problems, "provider_name", provider_name, PROVIDER_NAME_PATTERN, PROVIDER_NAME_EXPECTED
        )
        check_pattern(
            problems,
            "discovery_url",
            discovery_url,
            rf"https://.+{re.escape(DISCOVERY_SUFFIX)}",
            f"must be an https URL ending with {DISCOVERY_SUFFIX}",
        )
        if not is_token(client_id) and not 1 <= len(client_id) <= 256:
            problems.add("client_id", client_id, "must be 1 to 256 characters")
        _check_json_key(problems, json_key)
        problems.raise_if_any()
        self.secret = client_secret
        provider = agentcore.CfnOAuth2CredentialProvider
        self.cfn_provider = provider(
            self,
            "Resource",
            name=provider_name,
            credential_provider_vendor="CustomOauth2",
            oauth2_provider_config_input=provider.Oauth2ProviderConfigInputProperty(
                custom_oauth2_provider_config=provider.CustomOauth2ProviderConfigInputProperty(
                    oauth_discovery=provider.Oauth2DiscoveryProperty(discovery_url=discovery_url),
                    client_id=client_id,
                    client_secret_source=EXTERNAL,
                    client_secret_config=provider.SecretReferenceProperty(
                        secret_id=client_secret.secret_arn, json_key=json_key
                    ),
                )
            ),
        )
        self.credential_provider_arn: str = self.cfn_provider.attr_credential_provider_arn
