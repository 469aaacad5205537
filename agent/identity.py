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
    """The verified user's Memory actor id, or ``None``, and how it was decided (for logs)."""

    actor_id: str | None
    source: str


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
            user = lowered.get(USER_ID_HEADER, "")
            if user:
                return Caller(actor_for(user), "for-user")
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
            return Caller(None, "machine client (client credentials)")
        return Caller(actor_for(claims["sub"]), "jwt")

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
        if not isinstance(subject, str) or not subject:
            return "no string subject", {}
        expiry = claims.get("exp")
        if not isinstance(expiry, int | float) or expiry + CLOCK_SKEW_SECONDS < time.time():
            return "expired", {}
        return None, claims


def _segment(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        return None
    return decoded if isinstance(decoded, dict) else None
