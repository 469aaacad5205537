"""Secrets from AWS Secrets Manager: fetched in the background, cached, refreshed, never shown.

The runtime receives only ARNs (``SECRET_ARN_<NAME>``); values are fetched after the server
listens, so ``/ping`` never waits, and again every ``SECRETS_REFRESH_SECONDS`` so a rotated
secret is picked up. A missing or denied secret is one log line (when its state changes), and
``require`` turns it into a clear 503 for the calls that need it. Values are never logged,
returned or put in an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvocationError
from .log import log


@dataclass
class _Entry:
    arn: str
    value: str | None = None
    problem: str | None = "not fetched yet"
    logged: str | None = field(default=None, repr=False)


class SecretStore:
    """The agent's secrets by name; ``client`` is created lazily (boto3 loads on first fetch)."""

    def __init__(self, arns: Mapping[str, str], *, region: str, refresh_seconds: float) -> None:
        self._entries = {name: _Entry(arn) for name, arn in arns.items()}
        self._region = region
        self._refresh_seconds = refresh_seconds
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None

    @property
    def names(self) -> list[str]:
        return sorted(self._entries)

    def start(self) -> None:
        """Begin fetching in the background (once the event loop runs)."""
        if self._entries and self._task is None:
            self._task = asyncio.create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def get(self, name: str) -> str | None:
        entry = self._entries.get(name)
        return entry.value if entry else None

    def require(self, name: str) -> str:
        """The value, or a 503 that names the secret and why (never its value)."""
        entry = self._entries.get(name)
        if entry is None:
            raise InvocationError(
                503, "secret_unavailable", f"The secret {name} is not configured for this agent."
            )
        if entry.value is None:
            raise InvocationError(
                503,
                "secret_unavailable",
                f"The secret {name} cannot be read ({entry.problem}); check that it exists and "
                "that the runtime's role may read it.",
            )
        return entry.value

    async def refresh(self) -> None:
        """Fetch every secret once; keep the last good value when a refresh fails."""
        for name, entry in self._entries.items():
            try:
                value = await asyncio.to_thread(self._fetch, entry.arn)
            except Exception as error:
                entry.problem = _reason(error)
                if entry.logged != entry.problem:  # one line per change of state
                    log(40, "secret unavailable", secret=name, reason=entry.problem)
                    entry.logged = entry.problem
                continue
            if entry.value is None:
                log(20, "secret loaded", secret=name)
            entry.value, entry.problem, entry.logged = value, None, None

    async def _refresh_forever(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._refresh_seconds)

    def _fetch(self, arn: str) -> str:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager", region_name=self._region)
        response = self._client.get_secret_value(SecretId=arn)
        value = response.get("SecretString")
        if value is None:
            raise ValueError("the secret holds binary data, not a string")
        return value


def _reason(error: Exception) -> str:
    """An error code a person can act on, never text that could echo a value."""
    response = getattr(error, "response", {})
    code = str(response.get("Error", {}).get("Code") or "")
    if code == "403" or response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
        return f"AccessDenied ({code})" if code and code != "403" else "AccessDenied (HTTP 403)"
    return code or type(error).__name__
