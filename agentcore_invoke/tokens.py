"""Access tokens from Cognito's client-credentials grant, cached on disk until near expiry."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from .errors import InvokeError

REFRESH_MARGIN_SECONDS = 60


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agentcore-invoke"


@dataclass
class ClientCredentialsTokens:
    token_url: str
    client_id: str
    client_secret: Callable[[], str]
    scope: str
    cache_dir: Path
    timeout: float = 10.0
    clock: Callable[[], float] = time.time

    def access_token(self) -> str:
        cached = self._read_cache()
        if cached is not None:
            return cached
        token, expires_in = self._request()
        self._write_cache(token, self.clock() + expires_in)
        return token

    def _cache_file(self) -> Path:
        key = hashlib.sha256(f"{self.token_url}|{self.client_id}|{self.scope}".encode()).hexdigest()
        return self.cache_dir / f"{key[:32]}.json"

    def _read_cache(self) -> str | None:
        try:
            entry = json.loads(self._cache_file().read_text())
        except (OSError, ValueError):
            return None
        if entry.get("expires_at", 0) - REFRESH_MARGIN_SECONDS <= self.clock():
            return None
        return entry.get("access_token")

    def _write_cache(self, token: str, expires_at: float) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._cache_file()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"access_token": token, "expires_at": expires_at}, handle)

    def _request(self) -> tuple[str, float]:
        try:
            response = httpx.post(
                self.token_url,
                data={"grant_type": "client_credentials", "scope": self.scope},
                auth=(self.client_id, self.client_secret()),
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            raise InvokeError(
                f"Cognito token endpoint timed out after {self.timeout:.0f} s"
            ) from None
        except httpx.TransportError as error:
            raise InvokeError(
                f"cannot reach the Cognito token endpoint {self.token_url}: {error}"
            ) from None
        if response.status_code != 200:
            try:
                reason = response.json().get("error", response.text[:200])
            except ValueError:
                reason = response.text[:200] or "no details"
            raise InvokeError(
                f"Cognito refused the token request ({response.status_code} {reason}): check the "
                f"app client {self.client_id} and its scope {self.scope}"
            )
        body = response.json()
        return body["access_token"], float(body.get("expires_in", 3600))
