"""The runtime's health contract: Healthy, or HealthyBusy while work is in flight."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .log import now


class Health:
    """Counts in-flight invocations; the runtime keeps busy sessions' microVMs alive."""

    def __init__(self) -> None:
        self._in_flight = 0
        self._last_update = now()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        self._change(+1)
        try:
            yield
        finally:
            self._change(-1)

    def _change(self, delta: int) -> None:
        was_busy = self._in_flight > 0
        self._in_flight += delta
        if was_busy != (self._in_flight > 0):
            self._last_update = now()

    def status(self) -> dict[str, object]:
        return {
            "status": "HealthyBusy" if self._in_flight else "Healthy",
            "time_of_last_update": self._last_update,
        }
