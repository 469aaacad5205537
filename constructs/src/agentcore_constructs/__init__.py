"""CDK constructs for Strands agents on Amazon Bedrock AgentCore Runtime."""

from .authorizer import RuntimeAuthorizer
from .image import AgentRuntimeImage
from .network import RuntimeNetwork
from .runtime import AgentRuntime, ServerProtocol
from .validation import AgentRuntimeValidationError

__all__ = [
    "AgentRuntime",
    "AgentRuntimeImage",
    "AgentRuntimeValidationError",
    "RuntimeAuthorizer",
    "RuntimeNetwork",
    "ServerProtocol",
]
