"""SigV4 for the gateway's IAM inbound auth: every request signed with current credentials.

A signature covers the time, the body and the credentials (which rotate), so signing once at
start-up fails minutes later; this ``httpx.Auth`` signs each request as it is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

SERVICE = "bedrock-agentcore"


class MissingCredentialsError(RuntimeError):
    """No AWS credentials could be found to sign a request."""


def default_credentials() -> Credentials | None:
    """The standard chain (env, profile, container, instance role), resolved on demand."""
    import botocore.session

    return botocore.session.get_session().get_credentials()


class SigV4HttpxAuth(httpx.Auth):
    requires_request_body = True

    def __init__(
        self,
        *,
        region: str,
        service: str = SERVICE,
        credentials: Callable[[], Credentials | None] = default_credentials,
    ) -> None:
        self._region = region
        self._service = service
        self._resolve = credentials
        self._credentials: Credentials | None = None

    def frozen_credentials(self) -> ReadOnlyCredentials:
        """Current credentials; refreshable ones refresh themselves before they expire."""
        if self._credentials is None:
            self._credentials = self._resolve()
        if self._credentials is None:
            raise MissingCredentialsError(
                "no AWS credentials found to sign gateway requests: give the runtime an "
                "execution role (or set AWS credentials locally), or set GATEWAY_AUTH=none for "
                "a gateway without IAM auth"
            )
        return self._credentials.get_frozen_credentials()

    def signature_headers(self, method: str, url: str, host: str, body: bytes) -> dict[str, str]:
        """The SigV4 headers for one request (host and body included in the signature)."""
        frozen = self.frozen_credentials()
        signable = AWSRequest(method=method, url=url, data=body, headers={"host": host})
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        SigV4Auth(credentials, self._service, self._region).add_auth(signable)
        return {
            name: signable.headers[name]
            for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
            if name in signable.headers
        }

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
        request.headers.update(
            self.signature_headers(
                request.method, str(request.url), request.url.netloc.decode(), request.content
            )
        )
        yield request


def for_httpx2(auth: SigV4HttpxAuth) -> Any:
    """The same signer for httpx2, which mcp 2.x's client is built on (it refuses httpx.Auth)."""
    import httpx2

    class SigV4Httpx2Auth(httpx2.Auth):  # type: ignore[misc]
        requires_request_body = True

        def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
            request.headers.update(
                auth.signature_headers(
                    request.method, str(request.url), request.url.netloc.decode(), request.content
                )
            )
            yield request

    return SigV4Httpx2Auth()
