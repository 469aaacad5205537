"""An AgentCore Gateway, its targets, their outbound credentials and its log delivery."""

from .authorizer import GatewayAuthorizer
from .credentials import ApiKeyLocation, OAuthGrantType, TargetCredentials
from .gateway import AgentGateway
from .observability import GatewayObservability
from .providers import ApiKeyCredentialProvider, OAuth2CredentialProvider
from .spec import TargetSpec
from .target import GatewayTarget
from .tools import ToolDefinition

__all__ = [
    "AgentGateway",
    "ApiKeyCredentialProvider",
    "ApiKeyLocation",
    "GatewayAuthorizer",
    "GatewayObservability",
    "GatewayTarget",
    "OAuth2CredentialProvider",
    "OAuthGrantType",
    "TargetCredentials",
    "TargetSpec",
    "ToolDefinition",
]
