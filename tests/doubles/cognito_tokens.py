"""Cognito-shaped access tokens (TEST DATA: the signature is not real).

The runtime's JWT authorizer verifies signatures before a call reaches the container; the
container re-checks only the claims it relies on, so these are what it sees in production.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"
CLI_CLIENT = "cli-client-0001"
APP_CLIENT = "app-client-0002"


def _part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def access_token(
    sub: Any = "5f1c2d3e-aaaa-bbbb-cccc-000000000001",
    *,
    alg: str = "RS256",
    signature: str = "c2lnbmF0dXJl",
    **claims: Any,
) -> str:
    """``Bearer <token>`` for user ``sub``; a claim given as ``None`` is left out."""
    body = {
        "sub": sub,
        "client_id": CLI_CLIENT,
        "token_use": "access",
        "iss": ISSUER,
        "exp": int(time.time()) + 3600,
        "cognito:groups": ["agent-users"],
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return f"Bearer {_part({'alg': alg, 'kid': 'k1'})}.{_part(body)}.{signature}"


def jwt_environment() -> dict[str, str]:
    """What the stack sets for a JWT runtime, for these tokens."""
    return {
        "AGENT_AUTH_MODE": "jwt",
        "AGENT_JWT_ISSUER": ISSUER,
        "AGENT_JWT_CLIENT_IDS": f"{CLI_CLIENT},{APP_CLIENT}",
    }
