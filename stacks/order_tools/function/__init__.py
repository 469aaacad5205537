"""Lambda code of the order-status tool (the folder is the function's code asset)."""
