"""Who is calling: the verified end user whose memory a call may read and write, or nobody.

What can be trusted depends on the runtime's inbound auth (ERRATA 40), which the stack tells
the container through ``AGENT_AUTH_MODE``:

- ``jwt``: the runtime verified the token's signature and its authorizer's rules (issuer,
  allowed clients, claims, expiry) before the call arrived, and passes ``Authorization`` on
  (the header allowlist). The user is the token's ``sub``, once the claims this code relies on
  are re-checked: an access token (``token_use``), of the configured issuer and clients, signed
  (not ``alg: none``), unexpired, whose ``sub`` is a string and not the client id (a
  client-credentials token is a machine, not a user). A token that could not have passed the
  authorizer is refused; the user-id header is ignored, as the service ignores it for JWT calls.
- ``iam``: the caller signed with SigV4. ``InvokeAgentRuntimeForUser`` adds the user-id header,
  an id the (trusted) caller asserts; that is the user. ``Authorization`` is ignored.
- ``none`` (outside AgentCore): nobody is verified.

No verified user means no memory: nothing is loaded, retrieved or written for the call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvocationError
from .log import log

USER_ID_HEADER = "x-amzn-bedrock-agentcore-runtime-user-id"
AUTH_MODES = ("jwt", "iam", "none")
# Memory's actorId: 1..255 characters, a letter or digit first, then letters, digits, "-_/".
MAX_ACTOR_LENGTH = 255
KEEP = re.compile(r"[a-zA-Z0-9-]")
CLOCK_SKEW_SECONDS = 60
SIGNED_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384")


@dataclass(frozen=True)
class Caller:
    """The verified user's Memory actor id, or ``None``, and how it was decided (for logs).

    ``owner`` keys what lives in this process (conversations, A2A tasks): the actor, else the
    machine client a verified token names, else ``""`` for callers nothing tells apart (IAM
    calls without a user id, where the service's session id is what separates them).
    """

    actor_id: str | None
    source: str
    owner: str = ""

    @classmethod
    def user(cls, actor_id: str, source: str) -> Caller:
        return cls(actor_id, source, owner=actor_id)


def actor_for(identity: str) -> str:
    """An injective encoding of an identity into Memory's actor id pattern.

    Letters, digits and ``-`` stay; every other character becomes ``_`` and its UTF-8 bytes in
    hex, so two identities never share an actor (``john.doe`` and ``john-doe`` differ). An
    encoding over 255 characters is replaced by a SHA-256 digest under another prefix.
    """
    escaped = "".join(
        char if KEEP.fullmatch(char) else "".join(f"_{b:02x}" for b in char.encode())
        for char in identity
    )
    encoded = f"u-{escaped}"
    if len(encoded) <= MAX_ACTOR_LENGTH:
        return encoded
    return f"h-{hashlib.sha256(identity.encode()).hexdigest()}"


@dataclass(frozen=True)
class IdentityPolicy:
    """How this runtime's callers are identified (from settings, once)."""

    mode: str = "none"
    issuer: str | None = None
    client_ids: frozenset[str] = frozenset()

    def caller(self, headers: Mapping[str, str]) -> Caller:
        """The caller of a request; raises 401 ``untrusted_token`` for an impossible token."""
        lowered = {k.lower(): v for k, v in headers.items()}
        if self.mode == "iam":
            user = _header_text(lowered.get(USER_ID_HEADER, ""))
            if user:
                return Caller.user(actor_for(user), "for-user")
            return Caller(None, "no user id (InvokeAgentRuntime without ForUser)")
        if self.mode == "jwt":
            return self._from_token(lowered.get("authorization", ""))
        return Caller(None, "no inbound auth")

    def _from_token(self, header: str) -> Caller:
        scheme, _, token = header.partition(" ")
        if not token or scheme.lower() != "bearer":
            return Caller(None, "no token forwarded")
        problem, claims = self._check(token.strip())
        if problem:
            log(30, "untrusted token refused", reason=problem)  # the reason, never the token
            raise InvocationError(
                401,
                "untrusted_token",
                "The forwarded token could not have passed this runtime's authorizer; "
                "the call was refused.",
            )
        if claims["sub"] == claims["client_id"]:
            return Caller(
                None, "machine client (client credentials)", owner=f"client:{claims['client_id']}"
            )
        return Caller.user(actor_for(claims["sub"]), "jwt")

    def _check(self, token: str) -> tuple[str | None, dict[str, Any]]:
        parts = token.split(".")
        if len(parts) != 3:
            return "not a JWS compact token", {}
        header, claims = _segment(parts[0]), _segment(parts[1])
        if header is None or claims is None:
            return "undecodable header or payload", {}
        if header.get("alg") not in SIGNED_ALGORITHMS or not parts[2]:
            return f"not signed (alg {header.get('alg')!r})", {}
        if claims.get("token_use") != "access":
            return "not an access token", {}
        if self.issuer is None or claims.get("iss") != self.issuer:
            return "another issuer", {}
        client = claims.get("client_id")
        if not isinstance(client, str) or client not in self.client_ids:
            return "a client this runtime does not allow", {}
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or not _is_text(subject):
            return "no string subject", {}
        expiry = claims.get("exp")
        if (
            not isinstance(expiry, int | float)
            or not math.isfinite(expiry)
            or expiry + CLOCK_SKEW_SECONDS < time.time()
        ):
            return "expired", {}
        return None, claims


def _header_text(value: str) -> str:
    """A header value as the caller sent it: servers decode header bytes as latin-1, and the
    service passes the user id's UTF-8 bytes through, so ``jöhn`` is re-read as UTF-8."""
    try:
        return value.encode("latin-1").decode()
    except UnicodeError:
        raise InvocationError(
            400, "invalid_user_id", "The user-id header is not UTF-8 text; send the id as UTF-8."
        ) from None


def _is_text(value: str) -> bool:
    """Encodable as UTF-8: a lone surrogate (valid JSON, ``"\\ud800"``) is not."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _segment(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        return None
    return decoded if isinstance(decoded, dict) else None


IDENTITY_HEADERS = (b"authorization", USER_ID_HEADER.encode())


class SingleIdentityHeaders:
    """ASGI middleware: a request with two ``Authorization`` or two user-id headers is refused.

    The runtime's authorizer verified one of them; which one a framework keeps differs
    (Starlette's mapping the last, a2a-sdk's ``dict`` the first), so a second copy could
    name another user. HTTP gets 401 ``ambiguous_identity``; a WebSocket is closed with 1008
    before it is accepted. The header values are never logged.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            names = [name.lower() for name, _ in scope.get("headers", ())]
            repeated = [h.decode() for h in IDENTITY_HEADERS if names.count(h) > 1]
            if repeated:
                log(30, "request refused: identity header repeated", headers=repeated)
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                error = InvocationError(
                    401,
                    "ambiguous_identity",
                    "The request carries more than one Authorization or user-id header; send one.",
                )
                body = json.dumps(error.body()).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
