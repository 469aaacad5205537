"""``python -m agent``: validate settings, then serve on 0.0.0.0:$PORT (8080)."""

from __future__ import annotations

import signal
import sys

import uvicorn

from .log import configure_logging, log
from .server import create_app
from .settings import SettingsError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"agent: invalid configuration\n{error}")
    configure_logging()
    log(
        20,
        "starting",
        protocol=settings.protocol,
        port=settings.port,
        gateway=bool(settings.gateway_endpoint),
        gateway_auth=settings.gateway_auth,
        model_id=settings.model_id,
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; ending normally then means exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    log(20, "stopped")


if __name__ == "__main__":
    main()
