"""A signed-in user's Cognito tokens: sign in once, then refresh silently until the refresh
token expires. The runtime's memory belongs to that user (ERRATA 40), so no client token.

Two ways to sign in, both on the command-line app client (public, no secret):

- ``login_browser``: authorization code with PKCE (RFC 7636) through Cognito's sign-in page,
  the code coming back to a loopback redirect (``http://localhost:8400/callback``, RFC 8252);
- ``login_password``: Cognito's ``USER_PASSWORD_AUTH`` (``InitiateAuth``), for CI, where the
  environment turns it on (``cognito.cli_password_auth``).

Tokens are cached per user pool client in a file only the user can read.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .errors import InvokeError

REFRESH_MARGIN_SECONDS = 60
CALLBACK_PORT = 8400
LOGIN_TIMEOUT_SECONDS = 300


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agentcore-invoke"


@dataclass
class UserTokens:
    """Tokens of the user signed in to ``client_id`` of the pool behind ``domain_url``."""

    domain_url: str
    client_id: str
    cache_dir: Path
    timeout: float = 10.0
    clock: Callable[[], float] = time.time

    def access_token(self) -> str:
        """A valid access token: cached, else refreshed; else sign in first."""
        entry = self._read_cache()
        if entry is None:
            raise InvokeError(
                "not signed in to this environment: run `agentcore-invoke login --env <env>`"
            )
        if entry.get("expires_at", 0) - REFRESH_MARGIN_SECONDS > self.clock():
            return entry["access_token"]
        refresh = entry.get("refresh_token")
        if not refresh:
            raise InvokeError("the sign-in has expired: run `agentcore-invoke login` again")
        body = self._token_request({"grant_type": "refresh_token", "refresh_token": refresh})
        self._store(body, refresh_token=refresh)
        return body["access_token"]

    # -- signing in -------------------------------------------------------------------------
    def login_browser(self, open_url: Callable[[str], Any], port: int = CALLBACK_PORT) -> None:
        """PKCE sign-in: open Cognito's page, take the code on the loopback redirect (the
        app client allows ``http://localhost:8400/callback``)."""
        redirect = f"http://localhost:{port}/callback"
        verifier = secrets.token_urlsafe(64)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state = secrets.token_urlsafe(24)
        url = f"{self.domain_url}/oauth2/authorize?" + urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect,
                "scope": "openid",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        code = _receive_code(state, lambda: open_url(url), port)
        body = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
                "code_verifier": verifier,
            }
        )
        self._store(body)

    def login_password(self, cognito: Any, username: str, password: str) -> None:
        """``USER_PASSWORD_AUTH``; a challenge (new password, MFA) is for the browser sign-in."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except (ClientError, BotoCoreError) as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
            hint = {
                "NotAuthorizedException": "wrong user name or password, or password sign-in "
                "is off for this environment (cognito.cli_password_auth)",
                "InvalidParameterException": "password sign-in is off for this environment "
                "(cognito.cli_password_auth)",
            }.get(code, str(error))
            raise InvokeError(f"Cognito refused the sign-in ({code}): {hint}") from None
        if "AuthenticationResult" not in reply:
            raise InvokeError(
                f"Cognito asks for {reply.get('ChallengeName')}: sign in once in the browser "
                "(`agentcore-invoke login` without --user) to complete it"
            )
        result = reply["AuthenticationResult"]
        self._store(
            {
                "access_token": result["AccessToken"],
                "refresh_token": result.get("RefreshToken"),
                "expires_in": result.get("ExpiresIn", 3600),
            }
        )

    # -- the token endpoint and the cache -----------------------------------------------------
    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        url = f"{self.domain_url}/oauth2/token"
        try:
            response = httpx.post(
                url, data={**form, "client_id": self.client_id}, timeout=self.timeout
            )
        except httpx.TimeoutException:
            raise InvokeError(
                f"Cognito's token endpoint timed out after {self.timeout:.0f} s"
            ) from None
        except httpx.TransportError as error:
            raise InvokeError(f"cannot reach Cognito's token endpoint {url}: {error}") from None
        if response.status_code != 200:
            try:
                reason = response.json().get("error", response.text[:200])
            except ValueError:
                reason = response.text[:200] or "no details"
            if form["grant_type"] == "refresh_token":
                raise InvokeError(
                    f"the sign-in could not be refreshed ({reason}): run `agentcore-invoke "
                    "login` again"
                )
            raise InvokeError(f"Cognito refused the sign-in ({response.status_code} {reason})")
        return response.json()

    def _cache_file(self) -> Path:
        key = hashlib.sha256(f"{self.domain_url}|{self.client_id}".encode()).hexdigest()
        return self.cache_dir / f"user-{key[:32]}.json"

    def _read_cache(self) -> dict[str, Any] | None:
        try:
            entry = json.loads(self._cache_file().read_text())
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and entry.get("access_token") else None

    def _store(self, body: dict[str, Any], refresh_token: str | None = None) -> None:
        entry = {
            "access_token": body["access_token"],
            "refresh_token": body.get("refresh_token") or refresh_token,
            "expires_at": self.clock() + float(body.get("expires_in", 3600)),
        }
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self._cache_file(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(entry, handle)


def _receive_code(state: str, start: Callable[[], Any], port: int) -> str:
    """Listen on the loopback redirect, run ``start`` (open the browser), wait for the code."""
    received: dict[str, str] = {}
    done = threading.Event()

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path != "/callback" or query.get("state") != state:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(b"Not the sign-in this command started.")
                return
            received.update(query)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"Signed in. You can close this tab and go back to the terminal.")
            done.set()

        def log_message(self, *args: Any) -> None:
            pass

    try:
        server = http.server.HTTPServer(("127.0.0.1", port), Callback)
    except OSError as error:
        raise InvokeError(f"cannot listen on port {port} for the sign-in: {error}") from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        start()
        if not done.wait(LOGIN_TIMEOUT_SECONDS):
            raise InvokeError(f"no sign-in arrived within {LOGIN_TIMEOUT_SECONDS} s")
    finally:
        server.shutdown()
        server.server_close()
    if "code" not in received:
        raise InvokeError(f"the sign-in failed: {received.get('error', 'no code returned')}")
    return received["code"]
