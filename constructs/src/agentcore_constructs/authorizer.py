"""Inbound auth of the runtime: a JWT authorizer, or none (callers sign with SigV4/IAM)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .stack_env import stack_env
from .validation import is_token

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


def discovery_url_problems(url: str | None) -> list[tuple[str, object, str]]:
    """An OIDC discovery URL must be https and end in the well-known path (runtime, gateway)."""
    if url is None or is_token(url):
        return []
    if url.startswith("https://") and url.endswith(DISCOVERY_SUFFIX):
        return []
    return [
        ("authorizer.discovery_url", url, f"must be an https URL ending with {DISCOVERY_SUFFIX}")
    ]


# Printable ASCII without space, double quote or backslash (the service's AllowedScope pattern).
SCOPE_PATTERN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
GROUP_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,255}")


@dataclass(frozen=True)
class RuntimeAuthorizer:
    """A custom JWT authorizer. Omit the authorizer entirely for IAM (SigV4) invoke."""

    discovery_url: str | None
    allowed_clients: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    allowed_audience: tuple[str, ...]
    user_pool: cognito.IUserPool | None = None
    # Cognito groups, one of which the token's ``cognito:groups`` claim must contain.
    required_groups: tuple[str, ...] = ()

    @classmethod
    def jwt(
        cls,
        *,
        discovery_url: str,
        allowed_clients: Sequence[str] = (),
        allowed_scopes: Sequence[str] = (),
        allowed_audience: Sequence[str] = (),
    ) -> RuntimeAuthorizer:
        """Any OIDC issuer; ``discovery_url`` ends with /.well-known/openid-configuration."""
        return cls(
            discovery_url, tuple(allowed_clients), tuple(allowed_scopes), tuple(allowed_audience)
        )

    @classmethod
    def cognito(
        cls,
        *,
        user_pool: cognito.IUserPool,
        clients: Sequence[cognito.IUserPoolClient],
        scopes: Sequence[str] = (),
        required_groups: Sequence[str] = (),
    ) -> RuntimeAuthorizer:
        """Cognito access tokens carry no ``aud`` claim, so clients (and scopes) are checked.

        ``required_groups``: the token's ``cognito:groups`` must contain one of them (a
        ``CustomClaims`` rule), so only users an administrator put in a group get in. Tokens
        from Cognito's own sign-in API carry no custom scopes; use groups rather than scopes
        for clients that sign users in that way.
        """
        return cls(
            None,
            tuple(c.user_pool_client_id for c in clients),
            tuple(scopes),
            (),
            user_pool=user_pool,
            required_groups=tuple(required_groups),
        )

    def resolved_discovery_url(self, scope: Construct) -> str:
        if self.user_pool is None:
            assert self.discovery_url is not None
            return self.discovery_url
        stack = stack_env(scope)
        return (
            f"https://cognito-idp.{stack.region}.{stack.url_suffix}/"
            f"{self.user_pool.user_pool_id}{DISCOVERY_SUFFIX}"
        )

    def issuer(self, scope: Construct) -> str:
        """The ``iss`` of this authorizer's tokens (the discovery URL without its suffix)."""
        return self.resolved_discovery_url(scope).removesuffix(DISCOVERY_SUFFIX)

    def problems(self) -> list[tuple[str, object, str]]:
        found = discovery_url_problems(self.discovery_url)
        if not (self.allowed_clients or self.allowed_audience):
            found.append(
                (
                    "authorizer.allowed_clients",
                    list(self.allowed_clients),
                    "give at least one allowed client or audience, else any token of the "
                    "issuer is accepted",
                )
            )
        for scope_name in self.allowed_scopes:
            if not is_token(scope_name) and not SCOPE_PATTERN.fullmatch(scope_name):
                found.append(
                    (
                        "authorizer.allowed_scopes",
                        scope_name,
                        "scopes are printable ASCII without spaces, quotes or backslashes",
                    )
                )
        for group in self.required_groups:
            if not is_token(group) and not GROUP_PATTERN.fullmatch(group):
                found.append(
                    (
                        "authorizer.required_groups",
                        group,
                        "1 to 255 letters, digits, '_', '.' or '-' (the CustomClaims pattern)",
                    )
                )
        return found

    def to_cfn(self, scope: Construct) -> agentcore.CfnRuntime.AuthorizerConfigurationProperty:
        return agentcore.CfnRuntime.AuthorizerConfigurationProperty(
            custom_jwt_authorizer=agentcore.CfnRuntime.CustomJWTAuthorizerConfigurationProperty(
                discovery_url=self.resolved_discovery_url(scope),
                allowed_clients=list(self.allowed_clients) or None,
                allowed_scopes=list(self.allowed_scopes) or None,
                allowed_audience=list(self.allowed_audience) or None,
                custom_claims=[
                    agentcore.CfnRuntime.CustomClaimValidationTypeProperty(
                        inbound_token_claim_name="cognito:groups",
                        inbound_token_claim_value_type="STRING_ARRAY",
                        authorizing_claim_match_value=agentcore.CfnRuntime.AuthorizingClaimMatchValueTypeProperty(
                            claim_match_operator="CONTAINS_ANY",
                            claim_match_value=agentcore.CfnRuntime.ClaimMatchValueTypeProperty(
                                match_value_string_list=list(self.required_groups)
                            ),
                        ),
                    )
                ]
                if self.required_groups
                else None,
            )
        )
