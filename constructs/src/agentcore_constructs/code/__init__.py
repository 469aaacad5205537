"""The runtime's code artifact: Python zipped with its linux/aarch64 wheels, no Docker."""

from .artifact import AgentPython, AgentRuntimeCode, BoundCode
from .bundle import BundleError, Bundler, BundleSpec

__all__ = ["AgentPython", "AgentRuntimeCode", "BoundCode", "BundleError", "BundleSpec", "Bundler"]
