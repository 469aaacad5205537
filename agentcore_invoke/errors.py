"""The one kind of failure the command reports: a line that says what went wrong and what to do."""


class InvokeError(Exception):
    """Printed as ``agentcore-invoke: <message>``; the command exits with status 1."""
