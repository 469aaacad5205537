"""CDK constructs for Strands agents on Amazon Bedrock AgentCore Runtime."""

from .authorizer import RuntimeAuthorizer
from .image import AgentRuntimeImage
from .image_copy import EcrImageCopy
from .network import RuntimeNetwork
from .observability import ObservabilityOptions, RuntimeMetrics, RuntimeObservability
from .runtime import AgentRuntime, ServerProtocol
from .validation import AgentRuntimeValidationError

__all__ = [
    "AgentRuntime",
    "AgentRuntimeImage",
    "AgentRuntimeValidationError",
    "EcrImageCopy",
    "ObservabilityOptions",
    "RuntimeAuthorizer",
    "RuntimeMetrics",
    "RuntimeNetwork",
    "RuntimeObservability",
    "ServerProtocol",
]
