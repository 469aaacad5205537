"""The invocation body: JSON with a ``prompt`` string, checked before any work starts.

Everything a caller can get wrong here is a 4xx with a message that says what to send: the
parser's own failures (deep nesting, oversized integers, invalid UTF-8) included.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InvocationError

SEND_THIS = 'send {"prompt": "..."}'


def check_content_type(content_type: str) -> None:
    """No Content-Type means JSON: boto3's documented call and the CLI's default send none."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise InvocationError(
            415,
            "unsupported_content_type",
            f"Send the body as JSON with Content-Type: application/json (got {media_type!r}).",
        )


def parse_payload(body: bytes) -> dict[str, Any]:
    """The decoded JSON object; raises ``InvocationError`` for anything else."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise InvocationError(
            400, "invalid_json", f"The body is nested too deeply to parse; {SEND_THIS}."
        ) from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, integer-digit limit
        reason = "not valid UTF-8" if isinstance(error, UnicodeDecodeError) else "not valid JSON"
        raise InvocationError(400, "invalid_json", f"The body is {reason}; {SEND_THIS}.") from None
    if not isinstance(payload, dict):
        raise InvocationError(400, "invalid_body", f"The body must be a JSON object: {SEND_THIS}.")
    prompt = payload.get("prompt")
    if prompt is None:
        raise InvocationError(400, "missing_prompt", 'The body needs a "prompt" string.')
    if not isinstance(prompt, str):
        raise InvocationError(400, "invalid_prompt", '"prompt" must be a string.')
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError:
        raise InvocationError(
            400,
            "invalid_prompt",
            '"prompt" contains a lone surrogate escape (\\ud800-\\udfff); send valid Unicode.',
        ) from None
    if not prompt.strip():
        raise InvocationError(400, "empty_prompt", '"prompt" must not be empty.')
    return payload
