"""``python -m agentcore_invoke`` is the same as the ``agentcore-invoke`` command."""

from .cli import main

main()
