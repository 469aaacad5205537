"""How the gateway authenticates to a target, and the permissions that takes.

Which credentials a target type accepts (AgentCore devguide, "Set up outbound authorization
for your gateway" and "Specify the authorization type and credentials"):

- Lambda, Smithy: the gateway's role (``gateway_iam_role()``), nothing else.
- OpenAPI: an API key, OAuth2, or the gateway's role signing for ``service``.
- MCP server: OAuth2, the gateway's role signing for ``service``, or no credentials.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from ..stack_env import stack_env
from ..validation import is_token
from .providers import ApiKeyCredentialProvider, OAuth2CredentialProvider

GATEWAY_IAM_ROLE = "GATEWAY_IAM_ROLE"
API_KEY = "API_KEY"
OAUTH = "OAUTH"
SERVICE_PATTERN = re.compile(r"[a-zA-Z0-9._-]{1,64}")
REGION_PATTERN = re.compile(r"[a-zA-Z0-9-]{1,32}")
# The GatewayTarget schema's DefaultReturnUrl: any scheme (an app's own, too), no spaces.
RETURN_URL_PATTERN = re.compile(r"\w+:(\/?\/?)[^\s]+")
MAX_RETURN_URL_LENGTH = 2048
MAX_SCOPES = 100
MAX_SCOPE_LENGTH = 128
MAX_API_KEY_PARAMETER_LENGTH = 64

Problems = list[tuple[str, object, str]]
Cfn = agentcore.CfnGatewayTarget


class ApiKeyLocation(enum.Enum):
    """Where the gateway puts the API key in its request to the target."""

    HEADER = "HEADER"
    QUERY_PARAMETER = "QUERY_PARAMETER"


class OAuthGrantType(enum.Enum):
    """Client credentials act as the application; the others on behalf of the calling user."""

    CLIENT_CREDENTIALS = "CLIENT_CREDENTIALS"
    AUTHORIZATION_CODE = "AUTHORIZATION_CODE"
    TOKEN_EXCHANGE = "TOKEN_EXCHANGE"


@dataclass(frozen=True)
class TargetCredentials:
    """Outbound credentials of one target; build them with the class methods."""

    credential_type: str
    provider: ApiKeyCredentialProvider | OAuth2CredentialProvider | None = None
    service: str | None = None
    region: str | None = None
    location: ApiKeyLocation = ApiKeyLocation.HEADER
    parameter_name: str | None = None
    prefix: str | None = None
    scopes: tuple[str, ...] = ()
    grant_type: OAuthGrantType = OAuthGrantType.CLIENT_CREDENTIALS
    default_return_url: str | None = None

    @classmethod
    def gateway_iam_role(
        cls, *, service: str | None = None, region: str | None = None
    ) -> TargetCredentials:
        """SigV4 with the gateway's role. Lambda and Smithy targets take no ``service``;
        OpenAPI and MCP server targets need the signing name (``execute-api``,
        ``bedrock-agentcore``...) and the target's permissions added with
        ``AgentGateway.add_to_role_policy``."""
        return cls(GATEWAY_IAM_ROLE, service=service, region=region)

    @classmethod
    def api_key(
        cls,
        provider: ApiKeyCredentialProvider,
        *,
        location: ApiKeyLocation = ApiKeyLocation.HEADER,
        parameter_name: str | None = None,
        prefix: str | None = None,
    ) -> TargetCredentials:
        """The provider's key in a header or query parameter (``prefix`` as in ``Bearer``)."""
        return cls(
            API_KEY,
            provider=provider,
            location=location,
            parameter_name=parameter_name,
            prefix=prefix,
        )

    @classmethod
    def oauth2(
        cls,
        provider: OAuth2CredentialProvider,
        *,
        scopes: Sequence[str],
        grant_type: OAuthGrantType = OAuthGrantType.CLIENT_CREDENTIALS,
        default_return_url: str | None = None,
    ) -> TargetCredentials:
        """OAuth tokens from ``provider``. With ``AUTHORIZATION_CODE`` (the user consents in a
        browser) give ``default_return_url``: where the user's browser lands after consenting
        (``OAuthCredentialProvider.DefaultReturnUrl`` of the target; a caller may override it
        per call). Other grants take none."""
        return cls(
            OAUTH,
            provider=provider,
            scopes=tuple(scopes),
            grant_type=grant_type,
            default_return_url=default_return_url,
        )

    @property
    def label(self) -> str:
        """How the credentials read in an error message."""
        if self.credential_type == GATEWAY_IAM_ROLE:
            return (
                f"gateway_iam_role(service={self.service!r})"
                if self.service
                else ("gateway_iam_role()")
            )
        return "api_key(...)" if self.credential_type == API_KEY else "oauth2(...)"

    def problems(self, prop: str) -> Problems:
        found: Problems = []
        service = self.service
        if service is not None and not is_token(service) and not SERVICE_PATTERN.fullmatch(service):
            found.append(
                (
                    f"{prop}.service",
                    service,
                    "must be a SigV4 signing name, e.g. execute-api (1 to 64 letters, digits, "
                    "'.', '_' or '-')",
                )
            )
        if self.region is not None and not is_token(self.region):
            if self.service is None:
                found.append((f"{prop}.region", self.region, "give it together with service"))
            elif not REGION_PATTERN.fullmatch(self.region):
                found.append((f"{prop}.region", self.region, "must be a region name"))
        for name, value in (("parameter_name", self.parameter_name), ("prefix", self.prefix)):
            if (
                value is not None
                and not is_token(value)
                and not 1 <= len(value) <= MAX_API_KEY_PARAMETER_LENGTH
            ):
                expected = f"must be 1 to {MAX_API_KEY_PARAMETER_LENGTH} characters"
                found.append((f"{prop}.{name}", value, expected))
        url = self.default_return_url
        authorization_code = self.grant_type is OAuthGrantType.AUTHORIZATION_CODE
        if authorization_code and url is None:
            found.append(
                (
                    f"{prop}.default_return_url",
                    None,
                    "AUTHORIZATION_CODE needs the URL the user's browser returns to after "
                    "consenting: give default_return_url",
                )
            )
        if url is not None and not authorization_code:
            found.append(
                (f"{prop}.default_return_url", url, "only the AUTHORIZATION_CODE grant uses it")
            )
        if (
            url is not None
            and not is_token(url)
            and not (RETURN_URL_PATTERN.fullmatch(url) and len(url) <= MAX_RETURN_URL_LENGTH)
        ):
            found.append(
                (
                    f"{prop}.default_return_url",
                    url,
                    "must be a URL (scheme:..., no spaces), at most 2048 characters",
                )
            )
        if len(self.scopes) > MAX_SCOPES:
            found.append((f"{prop}.scopes", len(self.scopes), f"at most {MAX_SCOPES} scopes"))
        for scope_name in self.scopes:
            if not is_token(scope_name) and not 1 <= len(scope_name) <= MAX_SCOPE_LENGTH:
                found.append(
                    (f"{prop}.scopes", scope_name, f"scopes are 1 to {MAX_SCOPE_LENGTH} characters")
                )
        return found

    def to_cfn(self) -> Cfn.CredentialProviderConfigurationProperty:
        provider: Cfn.CredentialProviderProperty | None = None
        if self.credential_type == GATEWAY_IAM_ROLE and self.service is not None:
            provider = Cfn.CredentialProviderProperty(
                iam_credential_provider=Cfn.IamCredentialProviderProperty(
                    service=self.service, region=self.region
                )
            )
        elif self.credential_type == API_KEY:
            assert self.provider is not None
            provider = Cfn.CredentialProviderProperty(
                api_key_credential_provider=Cfn.ApiKeyCredentialProviderProperty(
                    provider_arn=self.provider.credential_provider_arn,
                    credential_location=self.location.value,
                    credential_parameter_name=self.parameter_name,
                    credential_prefix=self.prefix,
                )
            )
        elif self.credential_type == OAUTH:
            assert self.provider is not None
            provider = Cfn.CredentialProviderProperty(
                oauth_credential_provider=Cfn.OAuthCredentialProviderProperty(
                    provider_arn=self.provider.credential_provider_arn,
                    scopes=list(self.scopes),
                    grant_type=self.grant_type.value,
                    default_return_url=self.default_return_url,
                )
            )
        return Cfn.CredentialProviderConfigurationProperty(
            credential_provider_type=self.credential_type, credential_provider=provider
        )

    def identity_statements(
        self, scope: IConstruct, *, gateway_id: str, gateway_name: str
    ) -> list[iam.PolicyStatement]:
        """What the gateway's role needs to fetch this credential from the token vault: a
        workload access token for its own workload identity, the key or token from this
        provider, and the secret the provider reads (Service Authorization Reference:
        ``GetResourceApiKey``/``GetResourceOauth2Token`` require the provider, the token
        vault, the workload identity and its directory)."""
        if self.provider is None:
            return []
        stack = stack_env(scope)
        arn = f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}"
        directory = f"{arn}:workload-identity-directory/default"
        # The gateway's own workload identity. Its ARN is only in the WorkloadIdentityDetails
        # attribute, an object GetAtt cannot take apart (cfn-lint E6101 rejects
        # WorkloadIdentityDetails.WorkloadIdentityArn), and no document gives its name: grant
        # both forms seen, the gateway's id and aws-cdk-lib's Gateway L2 ``<gateway name>-*``.
        identities = [
            f"{directory}/workload-identity/{gateway_id}",
            f"{directory}/workload-identity/{gateway_name}-*",
        ]
        on_behalf_of_user = self.grant_type is not OAuthGrantType.CLIENT_CREDENTIALS
        token_actions = ["bedrock-agentcore:GetWorkloadAccessToken"]
        retrieve_actions = [self.provider.retrieve_action]
        if on_behalf_of_user:
            token_actions += [
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            ]
        if self.grant_type is OAuthGrantType.AUTHORIZATION_CODE:
            retrieve_actions.append("bedrock-agentcore:CompleteResourceTokenAuth")
        secret = self.provider.secret
        statements = [
            iam.PolicyStatement(actions=token_actions, resources=[directory, *identities]),
            iam.PolicyStatement(
                actions=retrieve_actions,
                resources=[
                    f"{arn}:token-vault/default",
                    self.provider.credential_provider_arn,
                    directory,
                    *identities,
                ],
            ),
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"],
                # A secret known by name has a random 6-character ARN suffix.
                resources=[secret.secret_full_arn or f"{secret.secret_arn}-??????"],
            ),
        ]
        if secret.encryption_key is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[secret.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{stack.region}.{stack.url_suffix}"
                        }
                    },
                )
            )
        return statements
