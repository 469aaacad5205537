"""Inbound auth of a gateway: IAM (SigV4, the default) or a JWT from any OIDC issuer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_bedrockagentcore as agentcore

from ..authorizer import SCOPE_PATTERN, discovery_url_problems
from ..validation import is_token

IAM = "AWS_IAM"
JWT = "CUSTOM_JWT"


@dataclass(frozen=True)
class GatewayAuthorizer:
    """Who may call the gateway's tools: ``iam()`` callers sign with SigV4 and need
    ``InvokeGateway`` (see ``AgentGateway.grant_invoke``); ``jwt()`` callers send a bearer token."""

    authorizer_type: str
    discovery_url: str | None = None
    allowed_clients: tuple[str, ...] = ()
    allowed_audiences: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = ()

    @classmethod
    def iam(cls) -> GatewayAuthorizer:
        return cls(IAM)

    @classmethod
    def jwt(
        cls,
        *,
        discovery_url: str,
        allowed_clients: Sequence[str] = (),
        allowed_audiences: Sequence[str] = (),
        allowed_scopes: Sequence[str] = (),
    ) -> GatewayAuthorizer:
        """Any OIDC issuer; ``discovery_url`` ends with /.well-known/openid-configuration."""
        return cls(
            JWT,
            discovery_url,
            tuple(allowed_clients),
            tuple(allowed_audiences),
            tuple(allowed_scopes),
        )

    def problems(self) -> list[tuple[str, object, str]]:
        if self.authorizer_type != JWT:
            return []
        found = discovery_url_problems(self.discovery_url)
        if not (self.allowed_clients or self.allowed_audiences or self.allowed_scopes):
            # The service accepts this, but then every token the issuer signs gets in.
            found.append(
                (
                    "authorizer",
                    "jwt(discovery_url only)",
                    "give allowed_clients, allowed_audiences or allowed_scopes, else any token "
                    "of the issuer is accepted",
                )
            )
        for scope_name in self.allowed_scopes:
            if not is_token(scope_name) and not (
                len(scope_name) <= 255 and SCOPE_PATTERN.fullmatch(scope_name)
            ):
                found.append(
                    (
                        "authorizer.allowed_scopes",
                        scope_name,
                        "scopes are 1 to 255 printable ASCII characters without spaces, quotes "
                        "or backslashes",
                    )
                )
        return found

    def to_cfn(self) -> agentcore.CfnGateway.AuthorizerConfigurationProperty | None:
        if self.authorizer_type != JWT:
            return None
        assert self.discovery_url is not None
        return agentcore.CfnGateway.AuthorizerConfigurationProperty(
            custom_jwt_authorizer=agentcore.CfnGateway.CustomJWTAuthorizerConfigurationProperty(
                discovery_url=self.discovery_url,
                allowed_clients=list(self.allowed_clients) or None,
                allowed_audience=list(self.allowed_audiences) or None,
                allowed_scopes=list(self.allowed_scopes) or None,
            )
        )
