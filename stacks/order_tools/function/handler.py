"""Order-status tool: the Lambda target behind the demo AgentCore Gateway.

The gateway invokes the function with the tool's arguments as the event and the tool name in
``context.client_context.custom["bedrockAgentCoreToolName"]`` (``<target>___<tool>``). The
function answers with a JSON object: the order, or an ``error`` with a code and a message the
model can relay to the user.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Lambda runs this folder as the top-level package; tests import it from the app.
    from .orders import ORDERS
except ImportError:  # pragma: no cover - exercised only inside Lambda
    from orders import ORDERS  # type: ignore[no-redef]

TOOL_NAME = "get_order_status"
ORDER_ID_PATTERN = r"^ORD-[0-9]{4,10}$"
_ORDER_ID = re.compile(ORDER_ID_PATTERN)

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "order_id": {
            "type": "string",
            "description": "The order id: ORD- followed by 4 to 10 digits, e.g. ORD-1234.",
        }
    },
    "required": ["order_id"],
}
OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "status": {"type": "string"},
        "carrier": {"type": "string"},
        "tracking_number": {"type": "string"},
        "eta": {"type": "string"},
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}
DESCRIPTION = (
    "Look up an order's shipping status, carrier, tracking number and estimated delivery date "
    "by its order id (ORD- followed by 4 to 10 digits)."
)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def get_order_status(order_id: Any) -> dict[str, Any]:
    """Return the order's shipping details, or an error that says what was wrong."""
    if not isinstance(order_id, str) or not order_id.strip():
        return _error("INVALID_ORDER_ID", "order_id is required and must be a string like ORD-1234")
    normalized = order_id.strip().upper()
    if not _ORDER_ID.match(normalized):
        return _error(
            "INVALID_ORDER_ID",
            f"'{order_id}' is not an order id: expected ORD- followed by 4 to 10 digits",
        )
    order = ORDERS.get(normalized)
    if order is None:
        return _error("ORDER_NOT_FOUND", f"No order {normalized} was found")
    return {"order_id": normalized, **order}


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: the event is the tool's input object."""
    if not isinstance(event, dict):
        return _error("INVALID_INPUT", "the tool input must be a JSON object with an order_id")
    return get_order_status(event.get("order_id"))
