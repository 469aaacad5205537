"""Fixture orders served by the demo tool.

A fixed data set keeps the demo deterministic and free to run: no table to seed, no
custom resource, nothing to clean up. Replace the function to use real data.
"""

ORDERS: dict[str, dict[str, str]] = {
    "ORD-1234": {
        "status": "IN_TRANSIT",
        "carrier": "FedEx",
        "tracking_number": "794601234567",
        "eta": "2026-04-17",
    },
    "ORD-2001": {
        "status": "DELIVERED",
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "eta": "2026-03-02",
    },
    "ORD-3150": {
        "status": "PROCESSING",
        "carrier": "USPS",
        "tracking_number": "9400111899223334445566",
        "eta": "2026-05-09",
    },
    "ORD-4477": {
        "status": "DELAYED",
        "carrier": "DHL",
        "tracking_number": "JD014600006281234567",
        "eta": "2026-04-28",
    },
}
