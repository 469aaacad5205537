"""Failures mapped to the status and message a caller can act on; details stay in the logs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class InvocationError(Exception):
    status: int
    code: str
    message: str

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message}}


class GatewayUnavailableError(InvocationError):
    def __init__(self, message: str) -> None:
        super().__init__(503, "gateway_unavailable", message)


class GatewayFailedError(InvocationError):
    def __init__(self, message: str) -> None:
        super().__init__(502, "gateway_error", message)


def from_exception(error: BaseException) -> InvocationError:
    """Classify an exception from the model or the SDKs without leaking its text."""
    if isinstance(error, InvocationError):
        return error
    from .sigv4 import MissingCredentialsError

    kind = type(error).__name__
    if isinstance(error, MissingCredentialsError) or kind in (
        "NoCredentialsError",
        "PartialCredentialsError",
        "CredentialRetrievalError",
    ):
        return InvocationError(
            503,
            "aws_credentials_missing",
            "The agent has no AWS credentials to call Bedrock or the gateway; check the "
            "runtime's execution role (or your local AWS credentials).",
        )
    if kind == "ModelThrottledException":
        return InvocationError(
            503, "model_throttled", "The model is throttling requests; retry after a short wait."
        )
    if kind in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return InvocationError(503, "model_unavailable", "The model endpoint could not be reached.")
    if kind == "ClientError" or "AccessDenied" in str(error)[:200]:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code in ("ThrottlingException", "ServiceQuotaExceededException"):
            return InvocationError(
                503,
                "model_throttled",
                "The model is throttling requests; retry after a short wait.",
            )
        if code in (
            "AccessDeniedException",
            "UnrecognizedClientException",
            "ExpiredTokenException",
        ):
            return InvocationError(
                503,
                "model_access_denied",
                "Bedrock refused the model call: check model access and the role's "
                "InvokeModel permissions for this model id.",
            )
        return InvocationError(503, "model_unavailable", "The model call failed; retry later.")
    if isinstance(error, TimeoutError):
        return InvocationError(504, "invocation_timeout", "The invocation took too long.")
    return InvocationError(500, "internal_error", "The agent failed to answer; see its logs.")
