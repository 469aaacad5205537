"""CDK constructs for Strands agents on Amazon Bedrock AgentCore Runtime."""

from .authorizer import RuntimeAuthorizer
from .code import AgentPython, AgentRuntimeCode, BundleError
from .image import AgentRuntimeImage
from .image_copy import EcrImageCopy
from .memory import AgentMemory, MemoryStrategy
from .network import RuntimeNetwork
from .observability import ObservabilityOptions, RuntimeMetrics, RuntimeObservability
from .runtime import AgentRuntime, ServerProtocol
from .validation import AgentRuntimeValidationError

__all__ = [
    "AgentMemory",
    "AgentPython",
    "AgentRuntime",
    "AgentRuntimeCode",
    "AgentRuntimeImage",
    "AgentRuntimeValidationError",
    "BundleError",
    "EcrImageCopy",
    "MemoryStrategy",
    "ObservabilityOptions",
    "RuntimeAuthorizer",
    "RuntimeMetrics",
    "RuntimeNetwork",
    "RuntimeObservability",
    "ServerProtocol",
]
