"""The order-status tool code, as the gateway's Lambda target runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stacks.order_tools.construct import FUNCTION_DIRECTORY
from stacks.order_tools.function.handler import handler
from stacks.order_tools.function.orders import ORDERS


@pytest.mark.parametrize("order_id", ["ORD-1234", "ord-1234", "  ORD-1234 "])
def test_known_order(order_id: str) -> None:
    assert handler({"order_id": order_id}, None) == {
        "order_id": "ORD-1234",
        "status": "IN_TRANSIT",
        "carrier": "FedEx",
        "tracking_number": "794601234567",
        "eta": "2026-04-17",
    }


def test_every_fixture_order_has_all_fields() -> None:
    for order_id in ORDERS:
        result = handler({"order_id": order_id}, None)
        assert set(result) == {"order_id", "status", "carrier", "tracking_number", "eta"}


def test_unknown_order() -> None:
    assert handler({"order_id": "ORD-0000"}, None) == {
        "error": {"code": "ORDER_NOT_FOUND", "message": "No order ORD-0000 was found"}
    }


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"order_id": "1234"}, "INVALID_ORDER_ID"),
        ({"order_id": "ORD-12"}, "INVALID_ORDER_ID"),
        ({"order_id": "ORD-12345678901"}, "INVALID_ORDER_ID"),
        ({"order_id": "ORD-12a4"}, "INVALID_ORDER_ID"),
        ({"order_id": ""}, "INVALID_ORDER_ID"),
        ({"order_id": 1234}, "INVALID_ORDER_ID"),
        ({}, "INVALID_ORDER_ID"),
        (["ORD-1234"], "INVALID_INPUT"),
        ("ORD-1234", "INVALID_INPUT"),
        (None, "INVALID_INPUT"),
    ],
)
def test_malformed_input(event, code: str) -> None:
    result = handler(event, None)
    assert result["error"]["code"] == code
    assert result["error"]["message"]


def test_runs_the_way_lambda_loads_it() -> None:
    """Lambda imports `handler` from the function folder as a top-level module."""
    probe = (
        "import json, handler; print(json.dumps(handler.handler({'order_id': 'ORD-2001'}, None)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=FUNCTION_DIRECTORY,
        env={"PYTHONPATH": str(FUNCTION_DIRECTORY)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["carrier"] == "UPS"
