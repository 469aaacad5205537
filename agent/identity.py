"""Who is calling: the actor id that keeps one user's memory apart from another's.

The runtime passes the caller's user id when the call carries one (InvokeAgentRuntimeForUser),
and, with a JWT authorizer whose Authorization header is passed through, the token the runtime
has already verified. Without either, every caller of the runtime is the one actor "default".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from .memory import actor_id_from

USER_ID_HEADER = "x-amzn-bedrock-agentcore-runtime-user-id"


def actor_id(headers: Mapping[str, str]) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get(USER_ID_HEADER):
        return actor_id_from(lowered[USER_ID_HEADER])
    token = lowered.get("authorization", "").removeprefix("Bearer ").strip()
    claims = _claims(token) if token.count(".") == 2 else {}
    return actor_id_from(claims.get("sub") or claims.get("client_id"))


def _claims(token: str) -> dict:
    """The verified token's payload (the runtime checked its signature before the call)."""
    payload = token.split(".")[1]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
