"""CDK constructs for Strands agents on Amazon Bedrock AgentCore Runtime."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from .authorizer import RuntimeAuthorizer
from .code import AgentPython, AgentRuntimeCode, BundleError
from .endpoint import RuntimeEndpoint
from .gateway import (
    AgentGateway,
    ApiKeyCredentialProvider,
    ApiKeyLocation,
    GatewayAuthorizer,
    GatewayObservability,
    GatewayTarget,
    OAuth2CredentialProvider,
    OAuthGrantType,
    TargetCredentials,
    TargetSpec,
    ToolDefinition,
)
from .grants import CALLER_ACTIONS, InvokeAction
from .image import AgentRuntimeImage
from .image_copy import EcrImageCopy
from .memory import AgentMemory, MemoryStrategy
from .network import RuntimeNetwork
from .observability import (
    AgentDashboard,
    AlarmTopic,
    DeliveryPolicies,
    ObservabilityOptions,
    RuntimeMetrics,
    RuntimeObservability,
)
from .runtime import AgentRuntime, ServerProtocol
from .validation import AgentRuntimeValidationError

try:
    __version__ = _distribution_version("agentcore-constructs")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "CALLER_ACTIONS",
    "AgentDashboard",
    "AgentGateway",
    "AgentMemory",
    "AgentPython",
    "AgentRuntime",
    "AgentRuntimeCode",
    "AgentRuntimeImage",
    "AgentRuntimeValidationError",
    "AlarmTopic",
    "ApiKeyCredentialProvider",
    "ApiKeyLocation",
    "BundleError",
    "DeliveryPolicies",
    "EcrImageCopy",
    "GatewayAuthorizer",
    "GatewayObservability",
    "GatewayTarget",
    "InvokeAction",
    "MemoryStrategy",
    "OAuth2CredentialProvider",
    "OAuthGrantType",
    "ObservabilityOptions",
    "RuntimeAuthorizer",
    "RuntimeEndpoint",
    "RuntimeMetrics",
    "RuntimeNetwork",
    "RuntimeObservability",
    "ServerProtocol",
    "TargetCredentials",
    "TargetSpec",
    "ToolDefinition",
]
