"""Send a prompt to the runtime's invoke URL and yield what it answers, as it arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from .errors import InvokeError

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"


def _service_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return f"{error.get('code')}: {error.get('message')}"
        return str(body.get("message") or body.get("Message") or body)[:300]
    return str(body)[:300]


def invoke(
    url: str,
    prompt: str,
    *,
    session_id: str,
    auth: httpx.Auth | None,
    headers: dict[str, str],
    timeout: float,
) -> Iterator[dict[str, Any]]:
    """Yield JSON frames: SSE ``data:`` frames, or one ``final`` frame for a JSON reply."""
    request_headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream, application/json",
        SESSION_HEADER: session_id,
        **headers,
    }
    try:
        with httpx.stream(
            "POST",
            url,
            json={"prompt": prompt},
            headers=request_headers,
            auth=auth,
            timeout=timeout,
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise InvokeError(
                    f"the runtime answered {response.status_code}: {_service_message(response)}"
                )
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        yield json.loads(line[5:].strip())
            else:
                response.read()
                yield {"type": "final", **response.json()}
    except httpx.TimeoutException:
        raise InvokeError(
            f"timed out after {timeout:.0f} s waiting for the runtime (raise --timeout)"
        ) from None
    except httpx.TransportError as error:
        raise InvokeError(f"cannot reach the runtime at {httpx.URL(url).host}: {error}") from None
